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

import logging
import os
from collections.abc import Mapping
from typing import Any

from hakea.config import jsonc, keys4
from hakea.config.classes4 import parse_client_classes
from hakea.config.errors import ConfigError
from hakea.config.globals4 import (
    check_hosts_databases,
    check_minor_maps,
    parse_control_socket,
    parse_expired_leases,
    parse_hooks_libraries,
    parse_interfaces,
    parse_lease_database,
    parse_multi_threading,
)
from hakea.config.model import Dhcp4Config, ExpiredLeasesProcessing, InterfacesConfig, LeaseDatabase
from hakea.config.network4 import GLOBAL_DEFAULTS, check_common, local_values
from hakea.config.options_parse import OptionResolver
from hakea.config.reservations4 import ReservationSet
from hakea.config.subnets4 import SubnetContext, parse_networks
from hakea.config.values import as_list, as_map, check_keys, json_type

log = logging.getLogger("hakea.config")

__all__ = ["ConfigError", "load_dhcp4", "load_dhcp4_file", "toplevel_section"]


def toplevel_section(top: Any, wanted: str, warnings: list[str]) -> dict[str, Any]:
    """The `wanted` object ("Dhcp4", "Control-agent") of a whole configuration file.

    Sections of other Kea daemons are ignored with a warning (Kea 2.2 itself refuses any other
    top-level key, which makes a shared file impossible); any other key is refused.
    """
    if not isinstance(top, dict):
        raise ConfigError("<top level>", f'expected a map with a "{wanted}" entry, got {json_type(top)}')
    for key in top:
        if key == wanted:
            continue
        if key in keys4.OTHER_TOPLEVEL or key in ("Dhcp4", "Control-agent"):
            warnings.append(f'{key}: ignored (this daemon reads only "{wanted}")')
        else:
            raise ConfigError(key, "unsupported top-level object")
    if wanted not in top:
        raise ConfigError(wanted, f'the configuration has no "{wanted}" object')
    return as_map(top[wanted], wanted)


def load_dhcp4(
    source: str | Mapping[str, Any],
    *,
    base_dir: str | None = None,
    warnings: list[str] | None = None,
    source_name: str = "<string>",
) -> Dhcp4Config:
    """Kea JSON text (comments and <?include?> allowed) or an already parsed dict -> Dhcp4Config.

    The top level must be an object holding "Dhcp4". `base_dir` resolves relative includes.
    Raises ConfigError (JsonSyntaxError for text that is not JSON) naming the offending key.
    """
    notes: list[str] = [] if warnings is None else warnings
    first_note = len(notes)
    if isinstance(source, str):
        top: Any = jsonc.loads(source, source=source_name, base_dir=base_dir, warnings=notes)
    else:
        top = source
    dhcp4 = toplevel_section(top, "Dhcp4", notes)
    config = _load(dhcp4, notes)
    for note in notes[first_note:]:
        log.warning("%s", note)
    return config


def load_dhcp4_file(path: str, *, warnings: list[str] | None = None) -> Dhcp4Config:
    """Read a Kea configuration file; <?include?> paths are relative to its directory."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise ConfigError(path, f"cannot read the configuration file: {reason}") from None
    return load_dhcp4(
        text, base_dir=os.path.dirname(os.path.abspath(path)), warnings=warnings, source_name=path
    )


def _load(dhcp4: dict[str, Any], notes: list[str]) -> Dhcp4Config:
    path = "Dhcp4"
    check_keys(dhcp4, path, keys4.GLOBAL)
    check_common(dhcp4, path)
    resolver = OptionResolver().with_definitions(dhcp4.get("option-def", []), f"{path}/option-def")
    global_values = {**GLOBAL_DEFAULTS, **local_values(dhcp4, path, notes)}

    client_classes = parse_client_classes(dhcp4.get("client-classes", []), f"{path}/client-classes", resolver)
    option_data = resolver.option_data_list(dhcp4.get("option-data"), f"{path}/option-data")

    ip_unique: bool = dhcp4.get("ip-reservations-unique", True)
    global_reservations = ReservationSet("the global reservations", ip_unique)
    for i, entry in enumerate(as_list(dhcp4.get("reservations", []), f"{path}/reservations")):
        global_reservations.add(entry, f"{path}/reservations[{i}]", resolver, notes)

    ctx = SubnetContext(resolver=resolver, warnings=notes, ip_reservations_unique=ip_unique)
    subnets, shared_networks = parse_networks(dhcp4, global_values, ctx)

    check_hosts_databases(dhcp4, notes)
    check_minor_maps(dhcp4)
    return Dhcp4Config(
        subnets=subnets,
        shared_networks=shared_networks,
        client_classes=client_classes,
        option_data=option_data,
        interfaces=(
            parse_interfaces(dhcp4["interfaces-config"], f"{path}/interfaces-config")
            if "interfaces-config" in dhcp4
            else InterfacesConfig()
        ),
        lease_database=(
            parse_lease_database(dhcp4["lease-database"], f"{path}/lease-database")
            if "lease-database" in dhcp4
            else LeaseDatabase()
        ),
        control_socket=(
            parse_control_socket(dhcp4["control-socket"], f"{path}/control-socket")
            if "control-socket" in dhcp4
            else None
        ),
        hooks_libraries=parse_hooks_libraries(
            dhcp4.get("hooks-libraries", []), f"{path}/hooks-libraries", notes
        ),
        expired_leases_processing=(
            parse_expired_leases(dhcp4["expired-leases-processing"], f"{path}/expired-leases-processing")
            if "expired-leases-processing" in dhcp4
            else ExpiredLeasesProcessing()
        ),
        valid_lifetime=global_values["valid-lifetime"],
        renew_timer=global_values.get("renew-timer"),
        rebind_timer=global_values.get("rebind-timer"),
        decline_probation_period=dhcp4.get("decline-probation-period", 86400),
        match_client_id=global_values["match-client-id"],
        authoritative=global_values["authoritative"],
        echo_client_id=dhcp4.get("echo-client-id", True),
        server_tag=dhcp4.get("server-tag", ""),
        reservations=tuple(global_reservations.items),
        # Kea 2.2 defaults multi-threading to off (the default became on in 2.3.5).
        multi_threading=(
            parse_multi_threading(dhcp4["multi-threading"], f"{path}/multi-threading")
            if "multi-threading" in dhcp4
            else False
        ),
        dhcp4o6_port=dhcp4.get("dhcp4o6-port", 0),
        raw={"Dhcp4": dhcp4},
    )
