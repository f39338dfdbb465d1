""" "subnet4" and "shared-networks" -> Subnet4 / SharedNetwork4 / Pool4.

The rules (automatic ids, unique prefixes, pools inside their subnet and not overlapping, sort
orders, host bits masked) are hakea.config.subnets'; what is DHCPv4's own is the BOOTP fields,
match-client-id and authoritative, and 32-bit subnet ids (kea-dhcp4 2.2.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakea.config import keys4
from hakea.config.model import Pool4, SharedNetwork4, Subnet4
from hakea.config.network import check_network, inherit, local_values, parse_relay, timer_warnings
from hakea.config.network4 import INHERITED
from hakea.config.options_parse import OptionResolver
from hakea.config.reservations4 import ReservationSet
from hakea.config.subnets import (
    SubnetContext,
    level_settings,
    open_shared_network,
    parse_address_pools,
    subnet_settings,
)
from hakea.config.subnets import parse_networks as _parse_networks
from hakea.config.values import IPV4, as_list, parse_ipv4

Context = SubnetContext[OptionResolver]


def parse_subnet(
    entry: Any,
    path: str,
    parent: Mapping[str, Any],
    ctx: Context,
    shared_network: str | None = None,
    network_relay: tuple[int, ...] = (),
) -> Subnet4:
    """One subnet; `parent` holds the inherited values, `network_relay` its shared network's relay."""
    head = ctx.open_subnet(entry, path, keys4.SUBNET)
    obj = head.obj
    values = inherit(parent, local_values(obj, path, ctx.warnings, INHERITED))
    valid = check_network(values, path)
    timer_warnings(values, path, ctx.warnings)
    relay = parse_relay(obj["relay"], f"{path}/relay", IPV4) if "relay" in obj else network_relay
    reservations = ReservationSet(
        f"subnet {head.text}", ctx.ip_reservations_unique, (head.network, head.prefix_len)
    ).add_all(obj.get("reservations", []), f"{path}/reservations", ctx.resolver, ctx.warnings)
    return Subnet4(
        pools=parse_address_pools(obj.get("pools", []), f"{path}/pools", head, ctx, Pool4),
        **subnet_settings(head, path, values, valid, relay, ctx.resolver),
        match_client_id=values["match-client-id"],
        authoritative=values["authoritative"],
        reservations=reservations,
        next_server=parse_ipv4(values["next-server"], f"{path}/next-server"),
        server_hostname=values["server-hostname"],
        boot_file_name=values["boot-file-name"],
        shared_network=shared_network,
    )


def parse_shared_network(entry: Any, path: str, parent: Mapping[str, Any], ctx: Context) -> SharedNetwork4:
    obj, name = open_shared_network(entry, path, keys4.SHARED_NETWORK)
    values = inherit(parent, local_values(obj, path, ctx.warnings, INHERITED))
    check_network(values, path)
    relay = parse_relay(obj["relay"], f"{path}/relay", IPV4) if "relay" in obj else ()
    subnets = [
        parse_subnet(s, f"{path}/subnet4[{i}]", values, ctx, shared_network=name, network_relay=relay)
        for i, s in enumerate(as_list(obj.get("subnet4", []), f"{path}/subnet4"))
    ]
    return SharedNetwork4(
        name=name,
        subnets=tuple(sorted(subnets, key=lambda s: s.id)),
        relay_addresses=relay,
        interface=obj.get("interface", ""),
        **level_settings(obj, path, ctx.resolver),
    )


def parse_networks(
    dhcp4: Mapping[str, Any], global_values: Mapping[str, Any], ctx: Context
) -> tuple[tuple[Subnet4, ...], tuple[SharedNetwork4, ...]]:
    """All subnets (sorted by id, shared-network members included) and the shared networks."""
    return _parse_networks(dhcp4, "Dhcp4", "subnet4", global_values, ctx, parse_shared_network, parse_subnet)
