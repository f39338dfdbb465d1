"""Loading one Kea DHCP daemon's section ("Dhcp4", "Dhcp6"): what load_dhcp4 and load_dhcp6 share.

The text (comments and <?include?> allowed, hakea.config.jsonc) or an already parsed dict must
have the daemon's object at its top level; the sections of other Kea daemons are ignored with a
warning. Notes gathered while loading (deprecated keys, extraneous commas, settings hakea ignores)
are appended to the caller's `warnings` and logged to the "hakea.config" logger. The service-level
maps both daemons read alike (databases, control socket, hooks, expiry) and the addressing (global
option-data and reservations, shared networks, subnets) are parsed here too, into the fields
Dhcp4Config and Dhcp6Config share.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypedDict, TypeVar

from hakea.config import jsonc
from hakea.config.errors import ConfigError
from hakea.config.globals4 import (
    parse_control_socket,
    parse_expired_leases,
    parse_hooks_libraries,
    parse_lease_database,
    parse_multi_threading,
)
from hakea.config.keys_common import KEA_TOPLEVEL
from hakea.config.model import ControlSocket, ExpiredLeasesProcessing, HookLibrary, LeaseDatabase, OptionData
from hakea.config.network import check_common
from hakea.config.reservations import ReservationSetBase
from hakea.config.subnets import SubnetContext
from hakea.config.values import Kind, as_map, check_keys, json_type

__all__ = [
    "Addressing",
    "SectionLoader",
    "ServiceSettings",
    "multi_threading",
    "parse_addressing",
    "service_settings",
    "toplevel_section",
]

log = logging.getLogger("hakea.config")

ConfigT = TypeVar("ConfigT")
ReservationT = TypeVar("ReservationT")
SubnetT = TypeVar("SubnetT")
NetworkT = TypeVar("NetworkT")


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
        if key in KEA_TOPLEVEL:
            warnings.append(f'{key}: ignored (this daemon reads only "{wanted}")')
        else:
            raise ConfigError(key, "unsupported top-level object")
    if wanted not in top:
        raise ConfigError(wanted, f'the configuration has no "{wanted}" object')
    return as_map(top[wanted], wanted)


class SectionLoader(Generic[ConfigT]):
    """load_dhcp4 / load_dhcp6 and their file variants: the `wanted` section of a configuration,
    its keys checked against `table`, then `build` (the section, the notes) -> the typed config."""

    def __init__(
        self, wanted: str, table: Mapping[str, Kind], build: Callable[[dict[str, Any], list[str]], ConfigT]
    ) -> None:
        self.wanted = wanted
        self.table = table
        self.build = build

    def load(
        self,
        source: str | Mapping[str, Any],
        *,
        base_dir: str | None = None,
        warnings: list[str] | None = None,
        source_name: str = "<string>",
    ) -> ConfigT:
        """Kea JSON text (comments and <?include?> allowed) or an already parsed dict -> config.

        The top level must be an object holding the wanted section. `base_dir` resolves relative
        includes. Raises ConfigError (JsonSyntaxError for text that is not JSON) naming the
        offending key; notes are appended to `warnings` (when given) and logged.
        """
        notes: list[str] = [] if warnings is None else warnings
        first_note = len(notes)
        if isinstance(source, str):
            top: Any = jsonc.loads(source, source=source_name, base_dir=base_dir, warnings=notes)
        else:
            top = source
        section = toplevel_section(top, self.wanted, notes)
        check_keys(section, self.wanted, self.table)
        check_common(section, self.wanted)
        config = self.build(section, notes)
        for note in notes[first_note:]:
            log.warning("%s", note)
        return config

    def load_file(self, path: str, *, warnings: list[str] | None = None) -> ConfigT:
        """Read a Kea configuration file; <?include?> paths are relative to its directory."""
        return self.load(
            jsonc.read_file(path), base_dir=jsonc.file_dir(path), warnings=warnings, source_name=path
        )


class ServiceSettings(TypedDict):
    """The service-level maps Dhcp4Config and Dhcp6Config are built from alike."""

    lease_database: LeaseDatabase
    control_socket: ControlSocket | None
    hooks_libraries: tuple[HookLibrary, ...]
    expired_leases_processing: ExpiredLeasesProcessing


def service_settings(section: Mapping[str, Any], path: str, notes: list[str]) -> ServiceSettings:
    return ServiceSettings(
        lease_database=(
            parse_lease_database(section["lease-database"], f"{path}/lease-database")
            if "lease-database" in section
            else LeaseDatabase()
        ),
        control_socket=(
            parse_control_socket(section["control-socket"], f"{path}/control-socket")
            if "control-socket" in section
            else None
        ),
        hooks_libraries=parse_hooks_libraries(
            section.get("hooks-libraries", []), f"{path}/hooks-libraries", notes
        ),
        expired_leases_processing=(
            parse_expired_leases(section["expired-leases-processing"], f"{path}/expired-leases-processing")
            if "expired-leases-processing" in section
            else ExpiredLeasesProcessing()
        ),
    )


def multi_threading(section: Mapping[str, Any], path: str) -> bool:
    # Kea 2.2 defaults multi-threading to off (the default became on in 2.3.5).
    if "multi-threading" not in section:
        return False
    return parse_multi_threading(section["multi-threading"], f"{path}/multi-threading")


class Addressing(TypedDict, Generic[SubnetT, NetworkT, ReservationT]):
    """The global option-data, reservations, subnets and shared networks of a configuration."""

    option_data: tuple[OptionData, ...]
    reservations: tuple[ReservationT, ...]
    subnets: tuple[SubnetT, ...]
    shared_networks: tuple[NetworkT, ...]


ContextT = TypeVar("ContextT", bound=SubnetContext[Any])


def parse_addressing(
    section: Mapping[str, Any],
    root: str,
    global_values: Mapping[str, Any],
    ctx: ContextT,
    reservation_set: Callable[[str, bool], ReservationSetBase[Any, ReservationT]],
    parse_networks: Callable[
        [Mapping[str, Any], Mapping[str, Any], ContextT], tuple[tuple[SubnetT, ...], tuple[NetworkT, ...]]
    ],
) -> Addressing[SubnetT, NetworkT, ReservationT]:
    """Global option-data, global reservations (into a family's `reservation_set`), then shared
    networks and subnets (the family's `parse_networks`), in Kea's order."""
    option_data = ctx.resolver.option_data_list(section.get("option-data"), f"{root}/option-data")
    reservations = reservation_set("the global reservations", ctx.ip_reservations_unique).add_all(
        section.get("reservations", []), f"{root}/reservations", ctx.resolver, ctx.warnings
    )
    subnets, shared_networks = parse_networks(section, global_values, ctx)
    return Addressing(
        option_data=option_data,
        reservations=reservations,
        subnets=subnets,
        shared_networks=shared_networks,
    )
