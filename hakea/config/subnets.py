"""Subnets, pools and shared networks of either family: what subnets4 and subnets6 share.

Kea 2.2 facts matched here (checked against kea-dhcp4 and kea-dhcp6 2.2.0):
- a subnet without "id" (or with 0) gets the next value of a counter starting at 1, in the order
  Kea parses them: subnets of shared networks first (Kea walks the keys alphabetically), then the
  top-level subnet list; the counter ignores explicit ids, so a collision is an error ("ID of the
  new IPv4 subnet '1' is already in use"), as is a repeated subnet prefix;
- pools are "first - last" or "prefix/len", must lie in their subnet and not overlap each other
  there; Kea keeps them sorted by first address, and so does hakea. Pools of different subnets
  may overlap only if the subnets do, which Kea accepts: hakea warns;
- subnets are kept sorted by id and shared networks by name, the order Kea iterates them in;
- a subnet's address keeps its host bits in Kea ("192.0.2.7/24"); hakea masks them, with a warning.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Protocol, TypedDict, TypeVar

from hakea.config import keys_common
from hakea.config.errors import ConfigError
from hakea.config.model import OptionData
from hakea.config.network import check_common, client_class
from hakea.config.options_parse import BaseOptionResolver
from hakea.config.values import (
    UINT32_MAX,
    AddressFamily,
    Kind,
    as_list,
    as_map,
    check_keys,
    require,
    string_list,
)

__all__ = [
    "LevelSettings",
    "SubnetContext",
    "SubnetHead",
    "SubnetSettings",
    "check_overlaps",
    "level_settings",
    "open_shared_network",
    "parse_address_pools",
    "parse_networks",
    "subnet_settings",
    "warn_cross_subnet_overlaps",
]

SUBNET_ID_MAX = UINT32_MAX - 1  # the automatic id wraps around to 1 after it

ResolverT = TypeVar("ResolverT", bound=BaseOptionResolver[Any])


class SubnetHead(NamedTuple):
    """A subnet entry once its prefix and id are known."""

    obj: dict[str, Any]
    id: int
    network: int
    prefix_len: int
    text: str  # "192.0.2.0/24", for messages


@dataclass(slots=True)
class SubnetContext(Generic[ResolverT]):
    """State shared by all subnets of one configuration."""

    family: AddressFamily
    resolver: ResolverT
    warnings: list[str]
    ip_reservations_unique: bool = True
    next_auto_id: int = 1
    ids: dict[int, str] = field(default_factory=dict)  # subnet id -> path of its subnet
    prefixes: dict[tuple[int, int], str] = field(default_factory=dict)
    pools: list[tuple[int, int, str]] = field(default_factory=list)  # first, last, path
    pd_pools: list[tuple[int, int, str]] = field(default_factory=list)  # DHCPv6 prefix pools, likewise

    def assign_id(self, obj: Mapping[str, Any], path: str) -> int:
        subnet_id: int = obj.get("id", 0)
        if subnet_id == 0:
            subnet_id = self.next_auto_id
            self.next_auto_id = 1 if subnet_id >= SUBNET_ID_MAX else subnet_id + 1
        if subnet_id in self.ids:
            where = f"{path}/id" if "id" in obj else path
            raise ConfigError(
                where,
                f"ID of the new {self.family.name} subnet '{subnet_id}' is already in use "
                f"(by {self.ids[subnet_id]})",
            )
        self.ids[subnet_id] = path
        return subnet_id

    def open_subnet(self, entry: Any, path: str, table: Mapping[str, Kind]) -> SubnetHead:
        """A subnet entry's keys, prefix (host bits masked, with a warning; unique) and id, and
        the checks of the values it sets itself."""
        obj = as_map(entry, path)
        check_keys(obj, path, table)
        text: str = require(obj, "subnet", path)
        family = self.family
        base, prefix_len = family.parse_prefix(text, f"{path}/subnet")
        network = base & family.mask(prefix_len)
        subnet_text = family.prefix_text(network, prefix_len)
        if base != network:
            self.warnings.append(f"{path}/subnet: '{text}' has host bits set; using {subnet_text}")
        if (network, prefix_len) in self.prefixes:
            raise ConfigError(
                f"{path}/subnet",
                f"subnet with the prefix of '{subnet_text}' already exists "
                f"({self.prefixes[(network, prefix_len)]})",
            )
        self.prefixes[(network, prefix_len)] = path
        subnet_id = self.assign_id(obj, path)
        check_common(obj, path)
        return SubnetHead(obj, subnet_id, network, prefix_len, subnet_text)


class LevelSettings(TypedDict):
    """What pools, subnets and shared networks of both families read alike."""

    client_class: str | None
    require_client_classes: tuple[str, ...]
    option_data: tuple[OptionData, ...]


def level_settings(obj: Mapping[str, Any], path: str, resolver: BaseOptionResolver[Any]) -> LevelSettings:
    return LevelSettings(
        client_class=client_class(obj),
        require_client_classes=string_list(
            obj.get("require-client-classes", []), f"{path}/require-client-classes"
        ),
        option_data=resolver.option_data_list(obj.get("option-data"), f"{path}/option-data"),
    )


class SubnetSettings(LevelSettings):
    """What Subnet4 and Subnet6 are built from alike."""

    id: int
    network: int
    prefix_len: int
    relay_addresses: tuple[int, ...]
    interface: str
    valid_lifetime: int
    min_valid_lifetime: int | None
    max_valid_lifetime: int | None
    renew_timer: int | None
    rebind_timer: int | None
    calculate_tee_times: bool
    t1_percent: float
    t2_percent: float
    reservation_mode_global: bool
    reservation_mode_in_subnet: bool


def subnet_settings(
    head: SubnetHead,
    path: str,
    values: Mapping[str, Any],
    valid: tuple[int, int, int],
    relay: tuple[int, ...],
    resolver: BaseOptionResolver[Any],
) -> SubnetSettings:
    """`values` are the subnet's effective (inherited) values, `valid` its valid-lifetime triplet."""
    low, default, high = valid
    return SubnetSettings(
        id=head.id,
        network=head.network,
        prefix_len=head.prefix_len,
        relay_addresses=relay,
        interface=values.get("interface", ""),
        **level_settings(head.obj, path, resolver),
        valid_lifetime=default,
        min_valid_lifetime=low if "min-valid-lifetime" in values else None,
        max_valid_lifetime=high if "max-valid-lifetime" in values else None,
        renew_timer=values.get("renew-timer"),
        rebind_timer=values.get("rebind-timer"),
        calculate_tee_times=values["calculate-tee-times"],
        t1_percent=values["t1-percent"],
        t2_percent=values["t2-percent"],
        reservation_mode_global=values["reservations-global"],
        reservation_mode_in_subnet=values["reservations-in-subnet"],
    )


def parse_pool_range(text: str, path: str, family: AddressFamily) -> tuple[int, int]:
    """ "first - last" or "prefix/len" -> (first, last), inclusive."""
    if "-" in text:
        first_text, _, last_text = text.partition("-")
        first = family.parse_address(first_text.strip(), path)
        last = family.parse_address(last_text.strip(), path)
        if first > last:
            raise ConfigError(path, f"'{text}': the first address is after the last")
        return first, last
    if "/" in text:
        base, length = family.parse_pool_prefix(text, path)
        first = base & family.mask(length)
        return first, family.last(first, length)
    raise ConfigError(path, f"'{text}' is neither 'first - last' nor 'prefix/len'")


def check_overlaps(
    ranges: list[tuple[int, int]], path: str, key: str, what: str, where: str, family: AddressFamily
) -> list[int]:
    """Indexes sorted by first address; refuses two ranges of one subnet that overlap."""
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    for prev, cur in itertools.pairwise(order):
        if ranges[cur][0] <= ranges[prev][1]:
            later, other = max(prev, cur), min(prev, cur)
            listed = path.rsplit("/", 1)[-1]  # "pools", "pd-pools"
            raise ConfigError(
                f"{path}[{later}]/{key}",
                f"{what} {family.range_text(*ranges[later])} overlaps with {listed}[{other}] "
                f"({family.range_text(*ranges[other])}) in subnet {where}",
            )
    return order


class _Pool(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


PoolT = TypeVar("PoolT", bound=_Pool)


def parse_address_pools(
    value: Any,
    path: str,
    head: SubnetHead,
    ctx: SubnetContext[Any],
    pool_type: Callable[..., PoolT],
) -> tuple[PoolT, ...]:
    """A subnet's "pools", sorted by first address (`pool_type` is Pool4 or Pool6)."""
    family = ctx.family
    mask = family.mask(head.prefix_len)
    pools: list[PoolT] = []
    for i, entry in enumerate(as_list(value, path)):
        item_path = f"{path}[{i}]"
        obj = as_map(entry, item_path)
        check_keys(obj, item_path, keys_common.POOL)
        text: str = require(obj, "pool", item_path)
        first, last = parse_pool_range(text, f"{item_path}/pool", family)
        if first & mask != head.network or last & mask != head.network:
            raise ConfigError(
                f"{item_path}/pool",
                f"pool {family.range_text(first, last)} does not match the prefix of its subnet {head.text}",
            )
        pools.append(pool_type(start=first, end=last, **level_settings(obj, item_path, ctx.resolver)))
    order = check_overlaps([(p.start, p.end) for p in pools], path, "pool", "pool", head.text, family)
    ctx.pools.extend((p.start, p.end, f"{path}[{i}]") for i, p in enumerate(pools))
    return tuple(pools[i] for i in order)


def open_shared_network(entry: Any, path: str, table: Mapping[str, Kind]) -> tuple[dict[str, Any], str]:
    """A shared network entry's keys and name, and the checks of the values it sets itself."""
    obj = as_map(entry, path)
    check_keys(obj, path, table)
    name: str = require(obj, "name", path)
    if not name:
        raise ConfigError(f"{path}/name", "a shared network name must not be empty")
    check_common(obj, path)
    return obj, name


class _Subnet(Protocol):
    @property
    def id(self) -> int: ...


class _SharedNetwork(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def subnets(self) -> tuple[Any, ...]: ...


SubnetT = TypeVar("SubnetT", bound=_Subnet)
NetworkT = TypeVar("NetworkT", bound=_SharedNetwork)
ContextT = TypeVar("ContextT", bound=SubnetContext[Any])


def parse_networks(
    section: Mapping[str, Any],
    root: str,
    subnet_key: str,
    global_values: Mapping[str, Any],
    ctx: ContextT,
    parse_shared_network: Callable[[Any, str, Mapping[str, Any], ContextT], NetworkT],
    parse_subnet: Callable[[Any, str, Mapping[str, Any], ContextT], SubnetT],
) -> tuple[tuple[SubnetT, ...], tuple[NetworkT, ...]]:
    """All subnets (sorted by id, shared-network members included) and the shared networks."""
    networks: list[NetworkT] = []
    names: dict[str, str] = {}
    # Shared networks first: their subnets take the first automatic ids, as in Kea.
    for i, entry in enumerate(as_list(section.get("shared-networks", []), f"{root}/shared-networks")):
        path = f"{root}/shared-networks[{i}]"
        network = parse_shared_network(entry, path, global_values, ctx)
        if network.name in names:
            raise ConfigError(
                f"{path}/name",
                f"duplicate network '{network.name}' found in the configuration (see {names[network.name]})",
            )
        names[network.name] = path
        networks.append(network)
    subnets: list[SubnetT] = [s for n in networks for s in n.subnets]
    subnets += [
        parse_subnet(s, f"{root}/{subnet_key}[{i}]", global_values, ctx)
        for i, s in enumerate(as_list(section.get(subnet_key, []), f"{root}/{subnet_key}"))
    ]
    warn_cross_subnet_overlaps(ctx.pools, "pool", ctx.warnings)
    warn_cross_subnet_overlaps(ctx.pd_pools, "prefix", ctx.warnings)
    return tuple(sorted(subnets, key=lambda s: s.id)), tuple(sorted(networks, key=lambda n: n.name))


def warn_cross_subnet_overlaps(ranges: list[tuple[int, int, str]], key: str, warnings: list[str]) -> None:
    # Ranges inside one subnet were already checked; overlapping ranges of two subnets are accepted
    # by Kea, but an address or prefix could then be leased twice under different subnet ids.
    reach = -1
    reach_path = ""
    for first, last, path in sorted(ranges):
        if first <= reach:
            warnings.append(f"{path}/{key}: overlaps with {reach_path} in another subnet")
        if last > reach:
            reach, reach_path = last, path
