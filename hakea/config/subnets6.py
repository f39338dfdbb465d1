""" "subnet6" and "shared-networks" -> Subnet6 / SharedNetwork6 / Pool6 / PdPool6.

Kea 2.2 facts matched here (checked against kea-dhcp6 2.2.0), beyond those shared with DHCPv4
(hakea.config.subnets: automatic ids, shared networks' subnets first, then "subnet6", a counter
that ignores explicit ids; duplicate ids and prefixes refused; subnets sorted by id, networks by
name; pools inside their subnet and not overlapping there):
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

from collections.abc import Mapping
from typing import Any

from hakea.config import keys6
from hakea.config.errors import ConfigError
from hakea.config.model6 import PdPool6, Pool6, SharedNetwork6, Subnet6
from hakea.config.network import inherit, local_values, parse_relay
from hakea.config.network6 import (
    INHERITED6,
    SharedNetworkRules,
    check_interface_choice,
    check_network6,
    lifetime_warnings,
)
from hakea.config.options6 import OptionResolver6
from hakea.config.reservations6 import ReservationSet6
from hakea.config.subnets import (
    SubnetContext,
    check_overlaps,
    level_settings,
    open_shared_network,
    parse_address_pools,
    subnet_settings,
)
from hakea.config.subnets import parse_networks as _parse_networks
from hakea.config.values import as_list, as_map, check_keys, require
from hakea.config.values6 import ALL_ONES, IPV6, ipv6_text, mask6, parse_ipv6, prefix_text

Context = SubnetContext[OptionResolver6]


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


def _parse_pd_pool(entry: Any, path: str, ctx: Context) -> PdPool6:
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
        **level_settings(obj, path, ctx.resolver),
    )


def _parse_pd_pools(value: Any, path: str, subnet_text: str, ctx: Context) -> tuple[PdPool6, ...]:
    pools = [_parse_pd_pool(e, f"{path}[{i}]", ctx) for i, e in enumerate(as_list(value, path))]
    ranges = [(p.prefix, p.prefix | (ALL_ONES >> p.prefix_len)) for p in pools]
    order = check_overlaps(ranges, path, "prefix", "pd-pool", subnet_text, IPV6)
    ctx.pd_pools.extend((first, last, f"{path}[{i}]") for i, (first, last) in enumerate(ranges))
    return tuple(pools[i] for i in order)


def parse_subnet6(
    entry: Any,
    path: str,
    parent: Mapping[str, Any],
    ctx: Context,
    shared: SharedNetworkRules | None = None,
    network_relay: tuple[int, ...] = (),
) -> Subnet6:
    """One subnet; `parent` holds the inherited values, `shared` its shared network's rules."""
    head = ctx.open_subnet(entry, path, keys6.SUBNET)
    obj = head.obj
    check_interface_choice(obj, path, f"subnet {head.text}")
    values = inherit(parent, local_values(obj, path, ctx.warnings, INHERITED6))
    valid, (pref_lo, preferred, pref_hi) = check_network6(values, path)
    lifetime_warnings(values, path, ctx.warnings)
    if shared is not None:
        shared.check_subnet(obj, path, head.text, values["rapid-commit"])
    relay = parse_relay(obj["relay"], f"{path}/relay", IPV6) if "relay" in obj else network_relay
    reservations = ReservationSet6(
        f"subnet {head.text}", ctx.ip_reservations_unique, (head.network, head.prefix_len)
    ).add_all(obj.get("reservations", []), f"{path}/reservations", ctx.resolver, ctx.warnings)
    interface_id: str = values.get("interface-id", "")
    return Subnet6(
        pools=parse_address_pools(obj.get("pools", []), f"{path}/pools", head, ctx, Pool6),
        pd_pools=_parse_pd_pools(obj.get("pd-pools", []), f"{path}/pd-pools", head.text, ctx),
        **subnet_settings(head, path, values, valid, relay, ctx.resolver),
        interface_id=interface_id.encode(),
        preferred_lifetime=preferred,
        min_preferred_lifetime=pref_lo if "min-preferred-lifetime" in values else None,
        max_preferred_lifetime=pref_hi if "max-preferred-lifetime" in values else None,
        rapid_commit=values["rapid-commit"],
        reservations=reservations,
        shared_network=shared.name if shared is not None else None,
    )


def parse_shared_network6(entry: Any, path: str, parent: Mapping[str, Any], ctx: Context) -> SharedNetwork6:
    obj, name = open_shared_network(entry, path, keys6.SHARED_NETWORK)
    check_interface_choice(obj, path, f"shared network {name}")
    values = inherit(parent, local_values(obj, path, ctx.warnings, INHERITED6))
    check_network6(values, path)
    relay = parse_relay(obj["relay"], f"{path}/relay", IPV6) if "relay" in obj else ()
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
        **level_settings(obj, path, ctx.resolver),
    )


def parse_networks6(
    dhcp6: Mapping[str, Any], global_values: Mapping[str, Any], ctx: Context
) -> tuple[tuple[Subnet6, ...], tuple[SharedNetwork6, ...]]:
    """All subnets (sorted by id, shared-network members included) and the shared networks."""
    return _parse_networks(
        dhcp6, "Dhcp6", "subnet6", global_values, ctx, parse_shared_network6, parse_subnet6
    )
