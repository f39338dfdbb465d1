"""Load a Kea 2.2 "Dhcp6" configuration, unchanged, into the typed Dhcp6Config.

    config = load_dhcp6(text_or_dict)            # raises ConfigError("Dhcp6/...: reason")
    config = load_dhcp6_file("/etc/kea/kea-dhcp6.conf", warnings=notes)

Every key Kea 2.2 accepts is accepted (checked against kea-dhcp6 2.2.0, see keys6), including those
hakea does not act on; a key Kea refuses is refused with its path ("Dhcp6/foo: unsupported
parameter"). Deprecated keys, extraneous commas and settings hakea ignores are appended to
`warnings` when given, and logged to the "hakea.config" logger.

The JSON dialect (comments, <?include?>), key and value checks, option-data, client classes,
inheritance rules, databases, control socket and hooks (HA parsed by hakea.ha.config) are those
both families share (hakea.config.loader and the modules it names); the *6 modules add what
DHCPv6 has of its own. Parsing order follows Kea:
option definitions, global lifetimes, client classes (member() may name earlier classes only),
global reservations, then shared networks and subnets (automatic subnet ids are handed out in
that order).
"""

from __future__ import annotations

from typing import Any

from hakea.config import keys6
from hakea.config.classes4 import parse_client_classes
from hakea.config.errors import ConfigError
from hakea.config.globals4 import check_hosts_databases, check_minor_maps
from hakea.config.globals6 import (
    ERP_LOCAL_DOMAIN_NAME,
    check_host_reservation_identifiers,
    check_mac_sources,
    parse_interfaces6,
    parse_relay_supplied_options,
    parse_server_id,
)
from hakea.config.loader import SectionLoader, multi_threading, parse_addressing, service_settings
from hakea.config.model6 import Dhcp6Config, ServerId
from hakea.config.network import lifetime, local_values
from hakea.config.network6 import GLOBAL_DEFAULTS6, INHERITED6
from hakea.config.options6 import OptionResolver6
from hakea.config.reservations6 import IDENTIFIERS6, ReservationSet6
from hakea.config.subnets import SubnetContext
from hakea.config.subnets6 import parse_networks6
from hakea.config.values6 import IPV6

__all__ = ["ConfigError", "load_dhcp6", "load_dhcp6_file"]

ROOT = "Dhcp6"


def _load(dhcp6: dict[str, Any], notes: list[str]) -> Dhcp6Config:
    # The global keys and the values set at this level are checked already (SectionLoader).
    resolver = OptionResolver6().with_definitions(dhcp6.get("option-def", []), f"{ROOT}/option-def")
    global_values = {**GLOBAL_DEFAULTS6, **local_values(dhcp6, ROOT, notes, INHERITED6)}
    # Kea checks the global lifetime bounds (not the timers) even when no subnet inherits them.
    preferred = lifetime(global_values, ROOT, "preferred-lifetime")
    valid = lifetime(global_values, ROOT)
    assert preferred is not None and valid is not None  # both have global defaults

    client_classes = parse_client_classes(
        dhcp6.get("client-classes", []),
        f"{ROOT}/client-classes",
        resolver,
        family=6,
        table=keys6.CLIENT_CLASS,
    )
    ctx = SubnetContext(
        family=IPV6,
        resolver=resolver,
        warnings=notes,
        ip_reservations_unique=dhcp6.get("ip-reservations-unique", True),
    )
    addressing = parse_addressing(dhcp6, ROOT, global_values, ctx, ReservationSet6, parse_networks6)

    if "mac-sources" in dhcp6:
        check_mac_sources(dhcp6["mac-sources"], f"{ROOT}/mac-sources")
    check_host_reservation_identifiers(dhcp6, f"{ROOT}/host-reservation-identifiers")
    check_hosts_databases(dhcp6, notes, ROOT)
    check_minor_maps(dhcp6, ROOT, IDENTIFIERS6)
    interfaces = (
        parse_interfaces6(dhcp6["interfaces-config"], f"{ROOT}/interfaces-config")
        if "interfaces-config" in dhcp6
        else ()
    )
    return Dhcp6Config(
        client_classes=client_classes,
        interfaces=interfaces,
        **addressing,
        **service_settings(dhcp6, ROOT, notes),
        preferred_lifetime=preferred[1],
        valid_lifetime=valid[1],
        renew_timer=global_values.get("renew-timer"),
        rebind_timer=global_values.get("rebind-timer"),
        decline_probation_period=dhcp6.get("decline-probation-period", 86400),
        rapid_commit=global_values["rapid-commit"],
        server_id=(
            parse_server_id(dhcp6["server-id"], f"{ROOT}/server-id") if "server-id" in dhcp6 else ServerId()
        ),
        multi_threading=multi_threading(dhcp6, ROOT),
        server_tag=dhcp6.get("server-tag", ""),
        relay_supplied_options=(
            parse_relay_supplied_options(
                dhcp6["relay-supplied-options"], f"{ROOT}/relay-supplied-options", resolver
            )
            if "relay-supplied-options" in dhcp6
            else (ERP_LOCAL_DOMAIN_NAME,)
        ),
        raw={ROOT: dhcp6},
    )


_LOADER = SectionLoader(ROOT, keys6.GLOBAL, _load)

# load_dhcp6(text_or_dict, *, base_dir=None, warnings=None, source_name="<string>") and
# load_dhcp6_file(path, *, warnings=None): see SectionLoader.load and .load_file.
load_dhcp6 = _LOADER.load
load_dhcp6_file = _LOADER.load_file
