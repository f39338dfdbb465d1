""" "subnet4" and "shared-networks" -> Subnet4 / SharedNetwork4 / Pool4.

Kea 2.2 facts matched here (checked against kea-dhcp4 2.2.0):
- a subnet without "id" (or with 0) gets the next value of a counter starting at 1, in the order
  Kea parses them: subnets of shared networks first (Kea walks "Dhcp4" keys alphabetically), then
  "subnet4"; the counter ignores explicit ids, so a collision is an error ("ID of the new IPv4
  subnet '1' is already in use"), as is a repeated subnet prefix;
- pools are "first - last" or "prefix/len", must lie in their subnet and not overlap each other
  there; Kea keeps them sorted by first address, and so does hakea. Pools of different subnets
  may overlap only if the subnets do, which Kea accepts: hakea warns;
- subnets are kept sorted by id and shared networks by name, the order Kea iterates them in;
- a subnet's address keeps its host bits in Kea ("192.0.2.7/24"); hakea masks them, with a warning.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hakea.config import keys4
from hakea.config.errors import ConfigError
from hakea.config.model import Pool4, SharedNetwork4, Subnet4
from hakea.config.network4 import (
    check_common,
    check_network,
    client_class,
    inherit,
    local_values,
    parse_relay,
    timer_warnings,
)
from hakea.config.options_parse import OptionResolver
from hakea.config.reservations4 import ReservationSet
from hakea.config.values import (
    UINT32_MAX,
    as_list,
    as_map,
    check_keys,
    ipv4_text,
    netmask,
    parse_ipv4,
    parse_prefix,
    require,
    string_list,
)


@dataclass(slots=True)
class SubnetContext:
    """State shared by all subnets of one configuration."""

    resolver: OptionResolver
    warnings: list[str]
    ip_reservations_unique: bool = True
    next_auto_id: int = 1
    ids: dict[int, str] = field(default_factory=dict)  # subnet id -> path of its subnet
    prefixes: dict[tuple[int, int], str] = field(default_factory=dict)
    pools: list[tuple[int, int, str]] = field(default_factory=list)  # first, last, path

    def assign_id(self, obj: Mapping[str, Any], path: str) -> int:
        subnet_id: int = obj.get("id", 0)
        if subnet_id == 0:
            subnet_id = self.next_auto_id
            self.next_auto_id = 1 if subnet_id >= UINT32_MAX - 1 else subnet_id + 1
        if subnet_id in self.ids:
            where = f"{path}/id" if "id" in obj else path
            raise ConfigError(
                where, f"ID of the new IPv4 subnet '{subnet_id}' is already in use (by {self.ids[subnet_id]})"
            )
        self.ids[subnet_id] = path
        return subnet_id


def parse_pool_range(text: str, path: str) -> tuple[int, int]:
    """ "first - last" or "prefix/len" -> (first, last), inclusive."""
    if "-" in text:
        first_text, _, last_text = text.partition("-")
        first = parse_ipv4(first_text.strip(), path)
        last = parse_ipv4(last_text.strip(), path)
        if first > last:
            raise ConfigError(path, f"'{text}': the first address is after the last")
        return first, last
    if "/" in text:
        base, prefix_len = parse_prefix(text, path)
        first = base & netmask(prefix_len)
        return first, first | (~netmask(prefix_len) & UINT32_MAX)
    raise ConfigError(path, f"'{text}' is neither 'first - last' nor 'prefix/len'")


def _parse_pool(
    entry: Any, path: str, network: int, prefix_len: int, subnet_text: str, resolver: OptionResolver
) -> Pool4:
    obj = as_map(entry, path)
    check_keys(obj, path, keys4.POOL)
    text: str = require(obj, "pool", path)
    first, last = parse_pool_range(text, f"{path}/pool")
    mask = netmask(prefix_len)
    if first & mask != network or last & mask != network:
        raise ConfigError(
            f"{path}/pool",
            f"pool {ipv4_text(first)}-{ipv4_text(last)} does not match the prefix of its subnet "
            f"{subnet_text}",
        )
    return Pool4(
        start=first,
        end=last,
        client_class=client_class(obj),
        require_client_classes=string_list(
            obj.get("require-client-classes", []), f"{path}/require-client-classes"
        ),
        option_data=resolver.option_data_list(obj.get("option-data"), f"{path}/option-data"),
    )


def _parse_pools(
    value: Any, path: str, network: int, prefix_len: int, subnet_text: str, ctx: SubnetContext
) -> tuple[Pool4, ...]:
    entries = as_list(value, path)
    pools = [
        _parse_pool(e, f"{path}[{i}]", network, prefix_len, subnet_text, ctx.resolver)
        for i, e in enumerate(entries)
    ]
    order = sorted(range(len(pools)), key=lambda i: pools[i].start)
    for prev, cur in itertools.pairwise(order):
        if pools[cur].start <= pools[prev].end:
            later = max(prev, cur)
            other = min(prev, cur)
            p = pools[later]
            raise ConfigError(
                f"{path}[{later}]/pool",
                f"pool {ipv4_text(p.start)}-{ipv4_text(p.end)} overlaps with pools[{other}] "
                f"({ipv4_text(pools[other].start)}-{ipv4_text(pools[other].end)}) in subnet {subnet_text}",
            )
    for i, pool in enumerate(pools):
        ctx.pools.append((pool.start, pool.end, f"{path}[{i}]"))
    return tuple(pools[i] for i in order)


def parse_subnet(
    entry: Any,
    path: str,
    parent: Mapping[str, Any],
    ctx: SubnetContext,
    shared_network: str | None = None,
    network_relay: tuple[int, ...] = (),
) -> Subnet4:
    """One subnet; `parent` holds the inherited values, `network_relay` its shared network's relay."""
    obj = as_map(entry, path)
    check_keys(obj, path, keys4.SUBNET)
    text: str = require(obj, "subnet", path)
    base, prefix_len = parse_prefix(text, f"{path}/subnet")
    network = base & netmask(prefix_len)
    subnet_text = f"{ipv4_text(network)}/{prefix_len}"
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
    values = inherit(parent, local_values(obj, path, ctx.warnings))
    low, valid, high = check_network(values, path)
    timer_warnings(values, path, ctx.warnings)
    relay = parse_relay(obj["relay"], f"{path}/relay") if "relay" in obj else network_relay

    reservations = ReservationSet(f"subnet {subnet_text}", ctx.ip_reservations_unique, (network, prefix_len))
    for i, r in enumerate(as_list(obj.get("reservations", []), f"{path}/reservations")):
        reservations.add(r, f"{path}/reservations[{i}]", ctx.resolver, ctx.warnings)

    return Subnet4(
        id=subnet_id,
        network=network,
        prefix_len=prefix_len,
        pools=_parse_pools(obj.get("pools", []), f"{path}/pools", network, prefix_len, subnet_text, ctx),
        option_data=ctx.resolver.option_data_list(obj.get("option-data"), f"{path}/option-data"),
        relay_addresses=relay,
        interface=values.get("interface", ""),
        client_class=client_class(obj),
        require_client_classes=string_list(
            obj.get("require-client-classes", []), f"{path}/require-client-classes"
        ),
        valid_lifetime=valid,
        min_valid_lifetime=low if "min-valid-lifetime" in values else None,
        max_valid_lifetime=high if "max-valid-lifetime" in values else None,
        renew_timer=values.get("renew-timer"),
        rebind_timer=values.get("rebind-timer"),
        calculate_tee_times=values["calculate-tee-times"],
        t1_percent=values["t1-percent"],
        t2_percent=values["t2-percent"],
        match_client_id=values["match-client-id"],
        authoritative=values["authoritative"],
        reservations=tuple(reservations.items),
        reservation_mode_global=values["reservations-global"],
        reservation_mode_in_subnet=values["reservations-in-subnet"],
        next_server=parse_ipv4(values["next-server"], f"{path}/next-server"),
        server_hostname=values["server-hostname"],
        boot_file_name=values["boot-file-name"],
        shared_network=shared_network,
    )


def parse_shared_network(
    entry: Any, path: str, parent: Mapping[str, Any], ctx: SubnetContext
) -> SharedNetwork4:
    obj = as_map(entry, path)
    check_keys(obj, path, keys4.SHARED_NETWORK)
    name: str = require(obj, "name", path)
    if not name:
        raise ConfigError(f"{path}/name", "a shared network name must not be empty")
    check_common(obj, path)
    values = inherit(parent, local_values(obj, path, ctx.warnings))
    check_network(values, path)
    relay = parse_relay(obj["relay"], f"{path}/relay") if "relay" in obj else ()
    subnets = [
        parse_subnet(s, f"{path}/subnet4[{i}]", values, ctx, shared_network=name, network_relay=relay)
        for i, s in enumerate(as_list(obj.get("subnet4", []), f"{path}/subnet4"))
    ]
    return SharedNetwork4(
        name=name,
        subnets=tuple(sorted(subnets, key=lambda s: s.id)),
        relay_addresses=relay,
        interface=obj.get("interface", ""),
        client_class=client_class(obj),
        option_data=ctx.resolver.option_data_list(obj.get("option-data"), f"{path}/option-data"),
        require_client_classes=string_list(
            obj.get("require-client-classes", []), f"{path}/require-client-classes"
        ),
    )


def parse_networks(
    dhcp4: Mapping[str, Any], global_values: Mapping[str, Any], ctx: SubnetContext
) -> tuple[tuple[Subnet4, ...], tuple[SharedNetwork4, ...]]:
    """All subnets (sorted by id, shared-network members included) and the shared networks."""
    networks: list[SharedNetwork4] = []
    names: dict[str, str] = {}
    # Shared networks first: their subnets take the first automatic ids, as in Kea.
    for i, entry in enumerate(as_list(dhcp4.get("shared-networks", []), "Dhcp4/shared-networks")):
        path = f"Dhcp4/shared-networks[{i}]"
        network = parse_shared_network(entry, path, global_values, ctx)
        if network.name in names:
            raise ConfigError(
                f"{path}/name",
                f"duplicate network '{network.name}' found in the configuration (see {names[network.name]})",
            )
        names[network.name] = path
        networks.append(network)
    subnets = [s for n in networks for s in n.subnets]
    subnets += [
        parse_subnet(s, f"Dhcp4/subnet4[{i}]", global_values, ctx)
        for i, s in enumerate(as_list(dhcp4.get("subnet4", []), "Dhcp4/subnet4"))
    ]
    _warn_cross_subnet_overlaps(ctx)
    return tuple(sorted(subnets, key=lambda s: s.id)), tuple(sorted(networks, key=lambda n: n.name))


def _warn_cross_subnet_overlaps(ctx: SubnetContext) -> None:
    # Pools inside one subnet were already checked; overlapping pools of two (overlapping) subnets
    # are accepted by Kea, but an address could then be leased twice under different subnet ids.
    reach = -1
    reach_path = ""
    for first, last, path in sorted(ctx.pools):
        if first <= reach:
            ctx.warnings.append(f"{path}/pool: overlaps with {reach_path} in another subnet")
        if last > reach:
            reach, reach_path = last, path
