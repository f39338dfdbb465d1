"""Load a Kea 2.2 "Dhcp6" configuration, unchanged, into the typed Dhcp6Config.

    config = load_dhcp6(text_or_dict)            # raises ConfigError("Dhcp6/...: reason")
    config = load_dhcp6_file("/etc/kea/kea-dhcp6.conf", warnings=notes)

Every key Kea 2.2 accepts is accepted (checked against kea-dhcp6 2.2.0, see keys6), including those
hakea does not act on; a key Kea refuses is refused with its path ("Dhcp6/foo: unsupported
parameter"). Deprecated keys, extraneous commas and settings hakea ignores are appended to
`warnings` when given, and logged to the "hakea.config" logger.

The JSON dialect (comments, <?include?>), key and value checks, option-data, client classes,
inheritance rules, databases, control socket and hooks (HA parsed by hakea.ha.config) are the
DHCPv4 loader's; the *6 modules add what DHCPv6 has of its own. Parsing order follows Kea:
option definitions, global lifetimes, client classes (member() may name earlier classes only),
global reservations, then shared networks and subnets (automatic subnet ids are handed out in
that order).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from hakea.config import jsonc, keys6
from hakea.config.classes4 import parse_client_classes
from hakea.config.dhcp4 import toplevel_section
from hakea.config.errors import ConfigError
from hakea.config.globals4 import (
    check_hosts_databases,
    check_minor_maps,
    parse_control_socket,
    parse_expired_leases,
    parse_hooks_libraries,
    parse_lease_database,
    parse_multi_threading,
)
from hakea.config.globals6 import (
    ERP_LOCAL_DOMAIN_NAME,
    check_host_reservation_identifiers,
    check_mac_sources,
    parse_interfaces6,
    parse_relay_supplied_options,
    parse_server_id,
)
from hakea.config.model import ExpiredLeasesProcessing, LeaseDatabase
from hakea.config.model6 import Dhcp6Config, ServerId
from hakea.config.network4 import check_common, lifetime, local_values
from hakea.config.network6 import GLOBAL_DEFAULTS6, INHERITED6
from hakea.config.options6 import OptionResolver6
from hakea.config.reservations6 import IDENTIFIERS6, ReservationSet6
from hakea.config.subnets6 import SubnetContext6, parse_networks6
from hakea.config.values import as_list, check_keys

log = logging.getLogger("hakea.config")

__all__ = ["ConfigError", "load_dhcp6", "load_dhcp6_file"]

ROOT = "Dhcp6"


def load_dhcp6(
    source: str | Mapping[str, Any],
    *,
    base_dir: str | None = None,
    warnings: list[str] | None = None,
    source_name: str = "<string>",
) -> Dhcp6Config:
    """Kea JSON text (comments and <?include?> allowed) or an already parsed dict -> Dhcp6Config.

    The top level must be an object holding "Dhcp6". `base_dir` resolves relative includes.
    Raises ConfigError (JsonSyntaxError for text that is not JSON) naming the offending key.
    """
    notes: list[str] = [] if warnings is None else warnings
    first_note = len(notes)
    if isinstance(source, str):
        top: Any = jsonc.loads(source, source=source_name, base_dir=base_dir, warnings=notes)
    else:
        top = source
    dhcp6 = toplevel_section(top, ROOT, notes)
    config = _load(dhcp6, notes)
    for note in notes[first_note:]:
        log.warning("%s", note)
    return config


def load_dhcp6_file(path: str, *, warnings: list[str] | None = None) -> Dhcp6Config:
    """Read a Kea configuration file; <?include?> paths are relative to its directory."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise ConfigError(path, f"cannot read the configuration file: {reason}") from None
    return load_dhcp6(
        text, base_dir=os.path.dirname(os.path.abspath(path)), warnings=warnings, source_name=path
    )


def _load(dhcp6: dict[str, Any], notes: list[str]) -> Dhcp6Config:
    path = ROOT
    check_keys(dhcp6, path, keys6.GLOBAL)
    check_common(dhcp6, path)
    resolver = OptionResolver6().with_definitions(dhcp6.get("option-def", []), f"{path}/option-def")
    global_values = {**GLOBAL_DEFAULTS6, **local_values(dhcp6, path, notes, INHERITED6)}
    # Kea checks the global lifetime bounds (not the timers) even when no subnet inherits them.
    preferred = lifetime(global_values, path, "preferred-lifetime")
    valid = lifetime(global_values, path)
    assert preferred is not None and valid is not None  # both have global defaults

    client_classes = parse_client_classes(
        dhcp6.get("client-classes", []),
        f"{path}/client-classes",
        resolver,
        family=6,
        table=keys6.CLIENT_CLASS,
    )
    option_data = resolver.option_data_list(dhcp6.get("option-data"), f"{path}/option-data")

    ip_unique: bool = dhcp6.get("ip-reservations-unique", True)
    global_reservations = ReservationSet6("the global reservations", ip_unique)
    for i, entry in enumerate(as_list(dhcp6.get("reservations", []), f"{path}/reservations")):
        global_reservations.add(entry, f"{path}/reservations[{i}]", resolver, notes)

    ctx = SubnetContext6(resolver=resolver, warnings=notes, ip_reservations_unique=ip_unique)
    subnets, shared_networks = parse_networks6(dhcp6, global_values, ctx)

    if "mac-sources" in dhcp6:
        check_mac_sources(dhcp6["mac-sources"], f"{path}/mac-sources")
    check_host_reservation_identifiers(dhcp6, f"{path}/host-reservation-identifiers")
    check_hosts_databases(dhcp6, notes, ROOT)
    check_minor_maps(dhcp6, ROOT, IDENTIFIERS6)
    return Dhcp6Config(
        subnets=subnets,
        shared_networks=shared_networks,
        client_classes=client_classes,
        option_data=option_data,
        interfaces=(
            parse_interfaces6(dhcp6["interfaces-config"], f"{path}/interfaces-config")
            if "interfaces-config" in dhcp6
            else ()
        ),
        lease_database=(
            parse_lease_database(dhcp6["lease-database"], f"{path}/lease-database")
            if "lease-database" in dhcp6
            else LeaseDatabase()
        ),
        control_socket=(
            parse_control_socket(dhcp6["control-socket"], f"{path}/control-socket")
            if "control-socket" in dhcp6
            else None
        ),
        hooks_libraries=parse_hooks_libraries(
            dhcp6.get("hooks-libraries", []), f"{path}/hooks-libraries", notes
        ),
        expired_leases_processing=(
            parse_expired_leases(dhcp6["expired-leases-processing"], f"{path}/expired-leases-processing")
            if "expired-leases-processing" in dhcp6
            else ExpiredLeasesProcessing()
        ),
        preferred_lifetime=preferred[1],
        valid_lifetime=valid[1],
        renew_timer=global_values.get("renew-timer"),
        rebind_timer=global_values.get("rebind-timer"),
        decline_probation_period=dhcp6.get("decline-probation-period", 86400),
        rapid_commit=global_values["rapid-commit"],
        server_id=(
            parse_server_id(dhcp6["server-id"], f"{path}/server-id") if "server-id" in dhcp6 else ServerId()
        ),
        reservations=tuple(global_reservations.items),
        # Kea 2.2 defaults multi-threading to off (the default became on in 2.3.5).
        multi_threading=(
            parse_multi_threading(dhcp6["multi-threading"], f"{path}/multi-threading")
            if "multi-threading" in dhcp6
            else False
        ),
        server_tag=dhcp6.get("server-tag", ""),
        relay_supplied_options=(
            parse_relay_supplied_options(
                dhcp6["relay-supplied-options"], f"{path}/relay-supplied-options", resolver
            )
            if "relay-supplied-options" in dhcp6
            else (ERP_LOCAL_DOMAIN_NAME,)
        ),
        raw={ROOT: dhcp6},
    )
