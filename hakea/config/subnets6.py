""" "subnet6" and "shared-networks" -> Subnet6 / SharedNetwork6 / Pool6 / PdPool6.

Kea 2.2 facts matched here (checked against kea-dhcp6 2.2.0), beyond those shared with DHCPv4
(automatic ids: shared networks' subnets first, then "subnet6", a counter that ignores explicit
ids; duplicate ids and prefixes refused; subnets sorted by id, networks by name):
- the largest subnet id is 4294967294;
- address pools are "first - last" or "prefix/len" (len 1..128), lie in their subnet and do not
  overlap each other there;
- "pd-pools" need prefix, prefix-len (1..128) and delegated-len (>= prefix-len); they need NOT
  lie in the subnet, and may overlap those of other subnets (Kea accepts both; hakea warns on the
  overlap), but not each other within one subnet. An excluded prefix (RFC 6603) is longer than
  delegated-len and lies in the first delegated prefix (it shares its delegated-len bits);
- hakea refuses a delegated-len above 128, which `kea-dhcp6 -t` lets through;
- host bits in a subnet or pd-pool prefix are masked, with a warning (Kea keeps them as written).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hakea.config import keys6
from hakea.config.errors import ConfigError
from hakea.config.model6 import PdPool6, Pool6, SharedNetwork6, Subnet6
from hakea.config.network4 import check_common, client_class, inherit, local_values
from hakea.config.network6 import (
    INHERITED6,
    SharedNetworkRules,
    check_interface_choice,
    check_network6,
    lifetime_warnings,
    parse_relay6,
)
from hakea.config.options6 import OptionResolver6
from hakea.config.reservations6 import ReservationSet6
from hakea.config.values import UINT32_MAX, as_list, as_map, check_keys, require, string_list
from hakea.config.values6 import ALL_ONES, ipv6_text, mask6, parse_ipv6, parse_prefix6, prefix_text

SUBNET_ID_MAX = UINT32_MAX - 1


@dataclass(slots=True)
class SubnetContext6:
    """State shared by all subnets of one configuration."""

    resolver: OptionResolver6
    warnings: list[str]
    ip_reservations_unique: bool = True
    next_auto_id: int = 1
    ids: dict[int, str] = field(default_factory=dict)  # subnet id -> path of its subnet
    prefixes: dict[tuple[int, int], str] = field(default_factory=dict)
    pools: list[tuple[int, int, str]] = field(default_factory=list)  # first, last, path
    pd_pools: list[tuple[int, int, str]] = field(default_factory=list)

    def assign_id(self, obj: Mapping[str, Any], path: str) -> int:
        subnet_id: int = obj.get("id", 0)
        if subnet_id == 0:
            subnet_id = self.next_auto_id
            self.next_auto_id = 1 if subnet_id >= SUBNET_ID_MAX else subnet_id + 1
        if subnet_id in self.ids:
            where = f"{path}/id" if "id" in obj else path
            raise ConfigError(
                where, f"ID of the new IPv6 subnet '{subnet_id}' is already in use (by {self.ids[subnet_id]})"
            )
        self.ids[subnet_id] = path
        return subnet_id


def parse_pool_range6(text: str, path: str) -> tuple[int, int]:
    """ "first - last" or "prefix/len" -> (first, last), inclusive."""
    if "-" in text:
        first_text, _, last_text = text.partition("-")
        first = parse_ipv6(first_text.strip(), path)
        last = parse_ipv6(last_text.strip(), path)
        if first > last:
            raise ConfigError(path, f"'{text}': the first address is after the last")
        return first, last
    if "/" in text:
        base, length = parse_prefix6(text, path, lo=1)
        first = base & mask6(length)
        return first, first | (ALL_ONES >> length)
    raise ConfigError(path, f"'{text}' is neither 'first - last' nor 'prefix/len'")


def _range_text(first: int, last: int) -> str:
    return f"{ipv6_text(first)}-{ipv6_text(last)}"


def _check_overlaps(ranges: list[tuple[int, int]], path: str, key: str, what: str, where: str) -> list[int]:
    """Indexes sorted by first address; refuses two ranges of one subnet that overlap."""
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    for prev, cur in itertools.pairwise(order):
        if ranges[cur][0] <= ranges[prev][1]:
            later, other = max(prev, cur), min(prev, cur)
            raise ConfigError(
                f"{path}[{later}]/{key}",
                f"{what} {_range_text(*ranges[later])} overlaps with {path.rsplit('/', 1)[-1]}[{other}] "
                f"({_range_text(*ranges[other])}) in subnet {where}",
            )
    return order


def _parse_pools(
    value: Any, path: str, network: int, prefix_len: int, subnet_text: str, ctx: SubnetContext6
) -> tuple[Pool6, ...]:
    pools: list[Pool6] = []
    for i, entry in enumerate(as_list(value, path)):
        item_path = f"{path}[{i}]"
        obj = as_map(entry, item_path)
        check_keys(obj, item_path, keys6.POOL)
        text: str = require(obj, "pool", item_path)
        first, last = parse_pool_range6(text, f"{item_path}/pool")
        mask = mask6(prefix_len)
        if first & mask != network or last & mask != network:
            raise ConfigError(
                f"{item_path}/pool",
                f"pool {_range_text(first, last)} does not match the prefix of its subnet {subnet_text}",
            )
        pools.append(
            Pool6(
                start=first,
                end=last,
                client_class=client_class(obj),
                require_client_classes=string_list(
                    obj.get("require-client-classes", []), f"{item_path}/require-client-classes"
                ),
                option_data=ctx.resolver.option_data_list(obj.get("option-data"), f"{item_path}/option-data"),
            )
        )
    order = _check_overlaps([(p.start, p.end) for p in pools], path, "pool", "pool", subnet_text)
    ctx.pools.extend((p.start, p.end, f"{path}[{i}]") for i, p in enumerate(pools))
    return tuple(pools[i] for i in order)


def _excluded_prefix(
    obj: Mapping[str, Any], path: str, prefix: int, delegated_len: int, warnings: list[str]
) -> tuple[int, int]:
    """RFC 6603 excluded prefix of a pd-pool: (0, 0) when none."""
    if "excluded-prefix" not in obj and "excluded-prefix-len" not in obj:
        return 0, 0
    text: str = obj.get("excluded-prefix", "::")
    excluded = parse_ipv6(text, f"{path}/excluded-prefix")
    length: int = obj.get("excluded-prefix-len", 0)
    if length == 0:
        if excluded == 0:
            return 0, 0  # Kea's "no excluded prefix"
        raise ConfigError(
            f"{path}/excluded-prefix-len",
            f"an excluded-prefix needs an excluded-prefix-len greater than delegated-len ({delegated_len})",
        )
    if length > 128:
        raise ConfigError(f"{path}/excluded-prefix-len", f"{length} is invalid, it must be at most 128")
    if length <= delegated_len:
        raise ConfigError(
            f"{path}/excluded-prefix-len",
            f"{length} is invalid, it must be greater than delegated-len ({delegated_len})",
        )
    first_delegated = prefix & mask6(delegated_len)
    if excluded & mask6(delegated_len) != first_delegated:
        raise ConfigError(
            f"{path}/excluded-prefix",
            f"excluded prefix {prefix_text(excluded, length)} must have the same common prefix part of "
            f"{delegated_len} as the delegated prefix {prefix_text(first_delegated, delegated_len)}",
        )
    if excluded & ~mask6(length):
        masked = excluded & mask6(length)
        warnings.append(
            f"{path}/excluded-prefix: '{text}' has bits set beyond {length}; using {ipv6_text(masked)}"
        )
        excluded = masked
    return excluded, length


def _parse_pd_pool(entry: Any, path: str, ctx: SubnetContext6) -> PdPool6:
    obj = as_map(entry, path)
    check_keys(obj, path, keys6.PD_POOL)
    text: str = require(obj, "prefix", path)
    prefix_len: int = require(obj, "prefix-len", path)
    delegated_len: int = require(obj, "delegated-len", path)
    prefix = parse_ipv6(text, f"{path}/prefix")
    if not 1 <= prefix_len <= 128:
        raise ConfigError(f"{path}/prefix-len", f"{prefix_len} is invalid, it must be 1..128")
    if delegated_len > 128:
        # Stricter than `kea-dhcp6 -t`, which accepts it; no client could use such a prefix.
        raise ConfigError(f"{path}/delegated-len", f"{delegated_len} is invalid, it must be at most 128")
    if delegated_len < prefix_len:
        raise ConfigError(
            f"{path}/delegated-len",
            f"delegated-len ({delegated_len}) must be greater than or equal to prefix-len ({prefix_len})",
        )
    if prefix & ~mask6(prefix_len):
        masked = prefix & mask6(prefix_len)
        ctx.warnings.append(
            f"{path}/prefix: '{text}' has bits set beyond prefix-len {prefix_len}; using {ipv6_text(masked)}"
        )
        prefix = masked
    excluded, excluded_len = _excluded_prefix(obj, path, prefix, delegated_len, ctx.warnings)
    return PdPool6(
        prefix=prefix,
        prefix_len=prefix_len,
        delegated_len=delegated_len,
        excluded_prefix=excluded,
        excluded_prefix_len=excluded_len,
        client_class=client_class(obj),
        require_client_classes=string_list(
            obj.get("require-client-classes", []), f"{path}/require-client-classes"
        ),
        option_data=ctx.resolver.option_data_list(obj.get("option-data"), f"{path}/option-data"),
    )


def _parse_pd_pools(value: Any, path: str, subnet_text: str, ctx: SubnetContext6) -> tuple[PdPool6, ...]:
    pools = [_parse_pd_pool(e, f"{path}[{i}]", ctx) for i, e in enumerate(as_list(value, path))]
    ranges = [(p.prefix, p.prefix | (ALL_ONES >> p.prefix_len)) for p in pools]
    order = _check_overlaps(ranges, path, "prefix", "pd-pool", subnet_text)
    ctx.pd_pools.extend((first, last, f"{path}[{i}]") for i, (first, last) in enumerate(ranges))
    return tuple(pools[i] for i in order)


def parse_subnet6(
    entry: Any,
    path: str,
    parent: Mapping[str, Any],
    ctx: SubnetContext6,
    shared: SharedNetworkRules | None = None,
    network_relay: tuple[int, ...] = (),
) -> Subnet6:
    """One subnet; `parent` holds the inherited values, `shared` its shared network's rules."""
    obj = as_map(entry, path)
    check_keys(obj, path, keys6.SUBNET)
    text: str = require(obj, "subnet", path)
    base, prefix_len = parse_prefix6(text, f"{path}/subnet")
    network = base & mask6(prefix_len)
    subnet_text = prefix_text(network, prefix_len)
    if base != network:
        ctx.warnings.append(f"{path}/subnet: '{text}' has host bits set; using {subnet_text}")
    if (network, prefix_len) in ctx.prefixes:
        raise ConfigError(
            f"{path}/subnet",
            f"subnet with the prefix of '{subnet_text}' already exists "
            f"({ctx.prefixes[(network, prefix_len)]})",
        )
    ctx.prefixes[(network, prefix_len)] = path
    subnet_id = ctx.assign_id(obj, path)

    check_common(obj, path)
    check_interface_choice(obj, path, f"subnet {subnet_text}")
    values = inherit(parent, local_values(obj, path, ctx.warnings, INHERITED6))
    (valid_lo, valid, valid_hi), (pref_lo, preferred, pref_hi) = check_network6(values, path)
    lifetime_warnings(values, path, ctx.warnings)
    if shared is not None:
        shared.check_subnet(obj, path, subnet_text, values["rapid-commit"])
    relay = parse_relay6(obj["relay"], f"{path}/relay") if "relay" in obj else network_relay

    reservations = ReservationSet6(f"subnet {subnet_text}", ctx.ip_reservations_unique, (network, prefix_len))
    for i, r in enumerate(as_list(obj.get("reservations", []), f"{path}/reservations")):
        reservations.add(r, f"{path}/reservations[{i}]", ctx.resolver, ctx.warnings)

    interface_id: str = values.get("interface-id", "")
    return Subnet6(
        id=subnet_id,
        network=network,
        prefix_len=prefix_len,
        pools=_parse_pools(obj.get("pools", []), f"{path}/pools", network, prefix_len, subnet_text, ctx),
        pd_pools=_parse_pd_pools(obj.get("pd-pools", []), f"{path}/pd-pools", subnet_text, ctx),
        option_data=ctx.resolver.option_data_list(obj.get("option-data"), f"{path}/option-data"),
        relay_addresses=relay,
        interface=values.get("interface", ""),
        interface_id=interface_id.encode(),
        client_class=client_class(obj),
        require_client_classes=string_list(
            obj.get("require-client-classes", []), f"{path}/require-client-classes"
        ),
        preferred_lifetime=preferred,
        valid_lifetime=valid,
        min_preferred_lifetime=pref_lo if "min-preferred-lifetime" in values else None,
        max_preferred_lifetime=pref_hi if "max-preferred-lifetime" in values else None,
        min_valid_lifetime=valid_lo if "min-valid-lifetime" in values else None,
        max_valid_lifetime=valid_hi if "max-valid-lifetime" in values else None,
        renew_timer=values.get("renew-timer"),
        rebind_timer=values.get("rebind-timer"),
        calculate_tee_times=values["calculate-tee-times"],
        t1_percent=values["t1-percent"],
        t2_percent=values["t2-percent"],
        rapid_commit=values["rapid-commit"],
        reservations=tuple(reservations.items),
        reservation_mode_global=values["reservations-global"],
        reservation_mode_in_subnet=values["reservations-in-subnet"],
        shared_network=shared.name if shared is not None else None,
    )


def parse_shared_network6(
    entry: Any, path: str, parent: Mapping[str, Any], ctx: SubnetContext6
) -> SharedNetwork6:
    obj = as_map(entry, path)
    check_keys(obj, path, keys6.SHARED_NETWORK)
    name: str = require(obj, "name", path)
    if not name:
        raise ConfigError(f"{path}/name", "a shared network name must not be empty")
    check_common(obj, path)
    check_interface_choice(obj, path, f"shared network {name}")
    values = inherit(parent, local_values(obj, path, ctx.warnings, INHERITED6))
    check_network6(values, path)
    relay = parse_relay6(obj["relay"], f"{path}/relay") if "relay" in obj else ()
    rules = SharedNetworkRules(name, obj)
    subnets = [
        parse_subnet6(s, f"{path}/subnet6[{i}]", values, ctx, shared=rules, network_relay=relay)
        for i, s in enumerate(as_list(obj.get("subnet6", []), f"{path}/subnet6"))
    ]
    interface_id: str = obj.get("interface-id", "")
    return SharedNetwork6(
        name=name,
        subnets=tuple(sorted(subnets, key=lambda s: s.id)),
        relay_addresses=relay,
        interface=obj.get("interface", ""),
        interface_id=interface_id.encode(),
        client_class=client_class(obj),
        option_data=ctx.resolver.option_data_list(obj.get("option-data"), f"{path}/option-data"),
        require_client_classes=string_list(
            obj.get("require-client-classes", []), f"{path}/require-client-classes"
        ),
    )


def parse_networks6(
    dhcp6: Mapping[str, Any], global_values: Mapping[str, Any], ctx: SubnetContext6
) -> tuple[tuple[Subnet6, ...], tuple[SharedNetwork6, ...]]:
    """All subnets (sorted by id, shared-network members included) and the shared networks."""
    networks: list[SharedNetwork6] = []
    names: dict[str, str] = {}
    # Shared networks first: their subnets take the first automatic ids, as in Kea.
    for i, entry in enumerate(as_list(dhcp6.get("shared-networks", []), "Dhcp6/shared-networks")):
        path = f"Dhcp6/shared-networks[{i}]"
        network = parse_shared_network6(entry, path, global_values, ctx)
        if network.name in names:
            raise ConfigError(
                f"{path}/name",
                f"duplicate network '{network.name}' found in the configuration (see {names[network.name]})",
            )
        names[network.name] = path
        networks.append(network)
    subnets = [s for n in networks for s in n.subnets]
    subnets += [
        parse_subnet6(s, f"Dhcp6/subnet6[{i}]", global_values, ctx)
        for i, s in enumerate(as_list(dhcp6.get("subnet6", []), "Dhcp6/subnet6"))
    ]
    _warn_cross_subnet_overlaps(ctx.pools, "pool", ctx.warnings)
    _warn_cross_subnet_overlaps(ctx.pd_pools, "prefix", ctx.warnings)
    return tuple(sorted(subnets, key=lambda s: s.id)), tuple(sorted(networks, key=lambda n: n.name))


def _warn_cross_subnet_overlaps(ranges: list[tuple[int, int, str]], key: str, warnings: list[str]) -> None:
    # Ranges inside one subnet were already checked; overlapping ranges of two subnets are accepted
    # by Kea, but an address or prefix could then be leased twice under different subnet ids.
    reach = -1
    reach_path = ""
    for first, last, path in sorted(ranges):
        if first <= reach:
            warnings.append(f"{path}/{key}: overlaps with {reach_path} in another subnet")
        if last > reach:
            reach, reach_path = last, path
