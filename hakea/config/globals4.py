"""The service-level maps of "Dhcp4": interfaces, databases, control socket, hooks, expiry, ...

Each parser checks keys and types as Kea 2.2 does and builds the model object hakea uses; maps
hakea does not act on (dhcp-ddns, loggers, config-control, host databases...) are validated the
same way so a configuration Kea refuses is refused here too, then left in `raw`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from hakea.config import keys4, keys_common
from hakea.config.errors import ConfigError
from hakea.config.model import (
    ControlSocket,
    ExpiredLeasesProcessing,
    HookLibrary,
    InterfacesConfig,
    LeaseDatabase,
)
from hakea.config.reservations4 import IDENTIFIERS
from hakea.config.values import (
    ANY,
    Kind,
    as_list,
    as_map,
    check_keys,
    one_of,
    parse_ipv4,
    require,
    string_list,
)

HA_LIBRARY = "libdhcp_ha.so"
LEASE_CMDS_LIBRARY = "libdhcp_lease_cmds.so"
_DB_TYPES = ("memfile", "mysql", "postgresql")
_ON_FAIL = ("stop-retry-exit", "serve-retry-exit", "serve-retry-continue")
_LEASE_DB_MODEL_KEYS = frozenset({"type", "persist", "name", "lfc-interval", "max-row-errors"})


def parse_interfaces(value: Any, path: str) -> InterfacesConfig:
    obj = as_map(value, path)
    check_keys(obj, path, keys4.INTERFACES_CONFIG)
    names = string_list(obj.get("interfaces", []), f"{path}/interfaces")
    for i, name in enumerate(names):
        iface, sep, address = name.partition("/")
        if not iface:
            raise ConfigError(f"{path}/interfaces[{i}]", f"'{name}' does not name an interface")
        if sep:
            parse_ipv4(address, f"{path}/interfaces[{i}]")
    return InterfacesConfig(
        interfaces=names,
        socket_type=one_of(obj, "dhcp-socket-type", path, ("raw", "udp"), "raw"),
        outbound_interface=one_of(
            obj, "outbound-interface", path, ("same-as-inbound", "use-routing"), "same-as-inbound"
        ),
        re_detect=obj.get("re-detect", True),
    )


def _check_database(obj: Mapping[str, Any], path: str, table: Mapping[str, Kind]) -> str:
    check_keys(obj, path, table)
    require(obj, "type", path)
    db_type = one_of(obj, "type", path, _DB_TYPES, "memfile")
    if "on-fail" in obj:
        one_of(obj, "on-fail", path, _ON_FAIL, "stop-retry-exit")
    return db_type


def parse_lease_database(value: Any, path: str) -> LeaseDatabase:
    obj = as_map(value, path)
    db_type = _check_database(obj, path, keys_common.LEASE_DATABASE)
    return LeaseDatabase(
        type=db_type,
        persist=obj.get("persist", True),
        name=obj.get("name", ""),
        lfc_interval=obj.get("lfc-interval", 3600),
        max_row_errors=obj.get("max-row-errors", 0),
        parameters=tuple(sorted((k, v) for k, v in obj.items() if k not in _LEASE_DB_MODEL_KEYS)),
    )


def check_hosts_databases(dhcp4: Mapping[str, Any], warnings: list[str], root: str = "Dhcp4") -> None:
    entries: list[tuple[Any, str]] = []
    if "hosts-database" in dhcp4:
        entries.append((dhcp4["hosts-database"], f"{root}/hosts-database"))
    for i, entry in enumerate(as_list(dhcp4.get("hosts-databases", []), f"{root}/hosts-databases")):
        entries.append((entry, f"{root}/hosts-databases[{i}]"))
    for entry, path in entries:
        _check_database(as_map(entry, path), path, keys_common.HOSTS_DATABASE)
        warnings.append(f"{path}: hakea does not read host databases; only configured reservations are used")


def parse_control_socket(value: Any, path: str) -> ControlSocket:
    obj = as_map(value, path)
    check_keys(obj, path, keys_common.CONTROL_SOCKET)
    require(obj, "socket-type", path)
    name: str = require(obj, "socket-name", path)
    if not name:
        raise ConfigError(f"{path}/socket-name", "must not be empty")
    return ControlSocket(socket_type=one_of(obj, "socket-type", path, ("unix",), "unix"), socket_name=name)


def parse_hooks_libraries(value: Any, path: str, warnings: list[str]) -> tuple[HookLibrary, ...]:
    libraries: list[HookLibrary] = []
    for i, entry in enumerate(as_list(value, path)):
        item_path = f"{path}[{i}]"
        obj = as_map(entry, item_path)
        check_keys(obj, item_path, keys_common.HOOK_LIBRARY)
        library: str = require(obj, "library", item_path)
        if not library:
            raise ConfigError(f"{item_path}/library", "must not be empty")
        parameters: dict[str, Any] = obj.get("parameters", {})
        if library.endswith(HA_LIBRARY):
            # Local import: hakea.ha.config depends on hakea.config.errors, not the other way.
            from hakea.ha.config import parse_ha_config

            parse_ha_config(parameters, f"{item_path}/parameters")
        elif not library.endswith(LEASE_CMDS_LIBRARY):
            warnings.append(
                f"{item_path}/library: hakea provides lease_cmds and ha only; '{library}' is ignored"
            )
        libraries.append(HookLibrary(library=library, parameters=parameters))
    if any(h.library.endswith(HA_LIBRARY) for h in libraries) and not any(
        h.library.endswith(LEASE_CMDS_LIBRARY) for h in libraries
    ):
        warnings.append(f"{path}: the ha library is loaded without lease_cmds, which Kea's HA needs")
    return tuple(libraries)


def parse_expired_leases(value: Any, path: str) -> ExpiredLeasesProcessing:
    obj = as_map(value, path)
    check_keys(obj, path, keys_common.EXPIRED_LEASES_PROCESSING)
    d = ExpiredLeasesProcessing()
    return ExpiredLeasesProcessing(
        reclaim_timer_wait_time=obj.get("reclaim-timer-wait-time", d.reclaim_timer_wait_time),
        flush_reclaimed_timer_wait_time=obj.get(
            "flush-reclaimed-timer-wait-time", d.flush_reclaimed_timer_wait_time
        ),
        hold_reclaimed_time=obj.get("hold-reclaimed-time", d.hold_reclaimed_time),
        max_reclaim_leases=obj.get("max-reclaim-leases", d.max_reclaim_leases),
        max_reclaim_time=obj.get("max-reclaim-time", d.max_reclaim_time),
        unwarned_reclaim_cycles=obj.get("unwarned-reclaim-cycles", d.unwarned_reclaim_cycles),
    )


def parse_multi_threading(value: Any, path: str) -> bool:
    obj = as_map(value, path)
    check_keys(obj, path, keys_common.MULTI_THREADING)
    enabled: bool = require(obj, "enable-multi-threading", path)
    return enabled


def check_minor_maps(
    dhcp4: Mapping[str, Any], root: str = "Dhcp4", identifiers: tuple[str, ...] = IDENTIFIERS
) -> None:
    """Maps hakea does not act on, checked as Kea checks them (the same in Dhcp4 and Dhcp6)."""
    if "sanity-checks" in dhcp4:
        obj = as_map(dhcp4["sanity-checks"], f"{root}/sanity-checks")
        check_keys(obj, f"{root}/sanity-checks", keys_common.SANITY_CHECKS)
        if "lease-checks" in obj:
            checks = ("none", "warn", "fix", "fix-del", "del")
            one_of(obj, "lease-checks", f"{root}/sanity-checks", checks, "warn")
    if "dhcp-ddns" in dhcp4:
        _check_dhcp_ddns(dhcp4["dhcp-ddns"], f"{root}/dhcp-ddns")
    for i, logger in enumerate(as_list(dhcp4.get("loggers", []), f"{root}/loggers")):
        check_logger(logger, f"{root}/loggers[{i}]")
    if "config-control" in dhcp4:
        obj = as_map(dhcp4["config-control"], f"{root}/config-control")
        check_keys(obj, f"{root}/config-control", keys_common.CONFIG_CONTROL)
        for i, db in enumerate(
            as_list(obj.get("config-databases", []), f"{root}/config-control/config-databases")
        ):
            db_path = f"{root}/config-control/config-databases[{i}]"
            _check_database(as_map(db, db_path), db_path, keys_common.HOSTS_DATABASE)
    if "compatibility" in dhcp4:
        path = f"{root}/compatibility"
        check_keys(as_map(dhcp4["compatibility"], path), path, keys_common.COMPATIBILITY)
    if "dhcp-queue-control" in dhcp4:
        obj = as_map(dhcp4["dhcp-queue-control"], f"{root}/dhcp-queue-control")
        check_keys(
            obj,
            f"{root}/dhcp-queue-control",
            {k: keys_common.DHCP_QUEUE_CONTROL_TYPED.get(k, ANY) for k in obj},
        )
    if "host-reservation-identifiers" in dhcp4:
        path = f"{root}/host-reservation-identifiers"
        for i, name in enumerate(string_list(dhcp4["host-reservation-identifiers"], path)):
            if name not in identifiers:
                raise ConfigError(f"{path}[{i}]", f"'{name}' is not one of: {', '.join(identifiers)}")


def _check_dhcp_ddns(value: Any, path: str) -> None:
    obj = as_map(value, path)
    check_keys(obj, path, keys_common.DHCP_DDNS)
    require(obj, "enable-updates", path)
    for key in ("server-ip", "sender-ip"):
        if key in obj:
            try:
                ipaddress.ip_address(obj[key])
            except ValueError:
                raise ConfigError(f"{path}/{key}", f"'{obj[key]}' is not a valid IP address") from None
    one_of(obj, "ncr-protocol", path, ("UDP",), "UDP")
    one_of(obj, "ncr-format", path, ("JSON",), "JSON")
    one_of(obj, "replace-client-name", path, ("never", "always", "when-present", "when-not-present"), "never")


def check_logger(value: Any, path: str) -> None:
    obj = as_map(value, path)
    check_keys(obj, path, keys_common.LOGGER)
    require(obj, "name", path)
    for i, output in enumerate(as_list(obj.get("output_options", []), f"{path}/output_options")):
        out_path = f"{path}/output_options[{i}]"
        check_keys(as_map(output, out_path), out_path, keys_common.LOGGER_OUTPUT)


__all__ = [
    "HA_LIBRARY",
    "LEASE_CMDS_LIBRARY",
    "check_hosts_databases",
    "check_logger",
    "check_minor_maps",
    "parse_control_socket",
    "parse_expired_leases",
    "parse_hooks_libraries",
    "parse_interfaces",
    "parse_lease_database",
    "parse_multi_threading",
]
