"""Load a Kea 2.2 "Dhcp4" configuration, unchanged, into the typed Dhcp4Config.

    config = load_dhcp4(text_or_dict)            # raises ConfigError("Dhcp4/...: reason")
    config = load_dhcp4_file("/etc/kea/kea-dhcp4.conf", warnings=notes)

Every key Kea 2.2 accepts is accepted (checked against kea-dhcp4 2.2.0), including those hakea
does not act on; a key Kea refuses is refused with its path ("Dhcp4/foo: unsupported parameter").
Things Kea accepts but that deserve a word (deprecated keys, extraneous commas, settings hakea
ignores) are appended to `warnings` when given, and logged to the "hakea.config" logger.

Parsing order follows Kea where it shows: option definitions first, then client classes (their
tests may use member() on earlier classes only), then shared networks and subnets (automatic
subnet ids are handed out in that order).
"""

from __future__ import annotations

from typing import Any

from hakea.config import keys4
from hakea.config.classes4 import parse_client_classes
from hakea.config.errors import ConfigError
from hakea.config.globals4 import check_hosts_databases, check_minor_maps, parse_interfaces
from hakea.config.loader import (
    SectionLoader,
    multi_threading,
    parse_addressing,
    service_settings,
    toplevel_section,
)
from hakea.config.model import Dhcp4Config, InterfacesConfig
from hakea.config.network import local_values
from hakea.config.network4 import GLOBAL_DEFAULTS, INHERITED
from hakea.config.options_parse import OptionResolver
from hakea.config.reservations4 import ReservationSet
from hakea.config.subnets import SubnetContext
from hakea.config.subnets4 import parse_networks
from hakea.config.values import IPV4

__all__ = ["ConfigError", "load_dhcp4", "load_dhcp4_file", "toplevel_section"]

ROOT = "Dhcp4"


def _load(dhcp4: dict[str, Any], notes: list[str]) -> Dhcp4Config:
    # The global keys and the values set at this level are checked already (SectionLoader).
    resolver = OptionResolver().with_definitions(dhcp4.get("option-def", []), f"{ROOT}/option-def")
    global_values = {**GLOBAL_DEFAULTS, **local_values(dhcp4, ROOT, notes, INHERITED)}
    client_classes = parse_client_classes(dhcp4.get("client-classes", []), f"{ROOT}/client-classes", resolver)
    ip_unique: bool = dhcp4.get("ip-reservations-unique", True)
    ctx = SubnetContext(family=IPV4, resolver=resolver, warnings=notes, ip_reservations_unique=ip_unique)
    addressing = parse_addressing(dhcp4, ROOT, global_values, ctx, ReservationSet, parse_networks)
    check_hosts_databases(dhcp4, notes)
    check_minor_maps(dhcp4)
    return Dhcp4Config(
        **addressing,
        client_classes=client_classes,
        interfaces=(
            parse_interfaces(dhcp4["interfaces-config"], f"{ROOT}/interfaces-config")
            if "interfaces-config" in dhcp4
            else InterfacesConfig()
        ),
        **service_settings(dhcp4, ROOT, notes),
        valid_lifetime=global_values["valid-lifetime"],
        renew_timer=global_values.get("renew-timer"),
        rebind_timer=global_values.get("rebind-timer"),
        decline_probation_period=dhcp4.get("decline-probation-period", 86400),
        match_client_id=global_values["match-client-id"],
        authoritative=global_values["authoritative"],
        echo_client_id=dhcp4.get("echo-client-id", True),
        server_tag=dhcp4.get("server-tag", ""),
        multi_threading=multi_threading(dhcp4, ROOT),
        dhcp4o6_port=dhcp4.get("dhcp4o6-port", 0),
        raw={ROOT: dhcp4},
    )


_LOADER = SectionLoader(ROOT, keys4.GLOBAL, _load)

# load_dhcp4(text_or_dict, *, base_dir=None, warnings=None, source_name="<string>") and
# load_dhcp4_file(path, *, warnings=None): see SectionLoader.load and .load_file.
load_dhcp4 = _LOADER.load
load_dhcp4_file = _LOADER.load_file
