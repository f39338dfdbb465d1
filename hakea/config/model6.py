"""Typed DHCPv6 configuration: what Kea's "Dhcp6" object becomes after validation.

Addresses are ints; option data resolved at load time to (code, payload) as for v4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hakea.config.model import (
    ClientClassDef,
    ControlSocket,
    ExpiredLeasesProcessing,
    HookedConfig,
    HookLibrary,
    LeaseDatabase,
    OptionData,
)


@dataclass(slots=True, frozen=True)
class Pool6:
    start: int
    end: int  # inclusive
    client_class: str | None = None
    require_client_classes: tuple[str, ...] = ()
    option_data: tuple[OptionData, ...] = ()

    def contains(self, address: int) -> bool:
        return self.start <= address <= self.end


@dataclass(slots=True, frozen=True)
class PdPool6:
    prefix: int
    prefix_len: int
    delegated_len: int
    excluded_prefix: int = 0
    excluded_prefix_len: int = 0
    client_class: str | None = None
    require_client_classes: tuple[str, ...] = ()
    option_data: tuple[OptionData, ...] = ()

    @property
    def capacity(self) -> int:
        return 1 << (self.delegated_len - self.prefix_len)


@dataclass(slots=True, frozen=True)
class Reservation6:
    duid: bytes | None = None
    hw_address: bytes | None = None
    ip_addresses: tuple[int, ...] = ()
    prefixes: tuple[tuple[int, int], ...] = ()  # (prefix, length)
    hostname: str = ""
    client_classes: tuple[str, ...] = ()
    option_data: tuple[OptionData, ...] = ()


@dataclass(slots=True, frozen=True)
class Subnet6:
    id: int
    network: int
    prefix_len: int
    pools: tuple[Pool6, ...] = ()
    pd_pools: tuple[PdPool6, ...] = ()
    option_data: tuple[OptionData, ...] = ()
    relay_addresses: tuple[int, ...] = ()
    interface: str = ""
    interface_id: bytes = b""
    client_class: str | None = None
    require_client_classes: tuple[str, ...] = ()
    preferred_lifetime: int = 3600
    valid_lifetime: int = 7200
    # Bounds for client-requested lifetimes (None: not configured, the default is the bound).
    min_preferred_lifetime: int | None = None
    max_preferred_lifetime: int | None = None
    min_valid_lifetime: int | None = None
    max_valid_lifetime: int | None = None
    renew_timer: int | None = None
    rebind_timer: int | None = None
    calculate_tee_times: bool = True
    t1_percent: float = 0.5
    t2_percent: float = 0.8
    rapid_commit: bool = False
    reservations: tuple[Reservation6, ...] = ()
    reservation_mode_global: bool = False
    reservation_mode_in_subnet: bool = True
    shared_network: str | None = None

    def contains(self, address: int) -> bool:
        shift = 128 - self.prefix_len
        return (address >> shift) == (self.network >> shift)


@dataclass(slots=True, frozen=True)
class SharedNetwork6:
    name: str
    subnets: tuple[Subnet6, ...]
    relay_addresses: tuple[int, ...] = ()
    interface: str = ""
    interface_id: bytes = b""
    client_class: str | None = None
    option_data: tuple[OptionData, ...] = ()
    require_client_classes: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class ServerId:
    type: str = "LLT"  # "LLT" | "EN" | "LL"
    identifier: bytes = b""
    htype: int = 1
    time: int = 0
    enterprise_id: int = 0
    persist: bool = True


@dataclass(slots=True, frozen=True)
class Dhcp6Config(HookedConfig):
    subnets: tuple[Subnet6, ...] = ()
    shared_networks: tuple[SharedNetwork6, ...] = ()
    client_classes: tuple[ClientClassDef, ...] = ()
    option_data: tuple[OptionData, ...] = ()
    interfaces: tuple[str, ...] = ()
    lease_database: LeaseDatabase = field(default_factory=LeaseDatabase)
    control_socket: ControlSocket | None = None
    hooks_libraries: tuple[HookLibrary, ...] = ()
    expired_leases_processing: ExpiredLeasesProcessing = field(default_factory=ExpiredLeasesProcessing)
    preferred_lifetime: int = 3600
    valid_lifetime: int = 7200
    renew_timer: int | None = None
    rebind_timer: int | None = None
    decline_probation_period: int = 86400
    rapid_commit: bool = False
    server_id: ServerId = ServerId()
    reservations: tuple[Reservation6, ...] = ()
    multi_threading: bool = False
    server_tag: str = ""
    relay_supplied_options: tuple[int, ...] = (65,)  # RSOO codes passed on (Kea: 65 always)
    raw: dict[str, Any] = field(default_factory=dict)
