"""Typed DHCPv4 configuration: what the Kea JSON "Dhcp4" object becomes after validation.

Addresses are ints (host order) so the allocation engine compares and iterates them cheaply.
Option data is resolved at load time to (code, wire payload), so nothing is encoded per packet.
`raw` keeps the JSON as given, for config-get / config-write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, frozen=True)
class OptionData:
    code: int
    data: bytes  # wire payload, without code and length
    name: str = ""
    space: str = "dhcp4"
    always_send: bool = False


@dataclass(slots=True, frozen=True)
class ClientClassDef:
    name: str
    test: str = ""  # Kea expression text; compiled by hakea.classify at load time
    option_data: tuple[OptionData, ...] = ()
    only_if_required: bool = False
    next_server: int | None = None
    server_hostname: str = ""
    boot_file_name: str = ""
    valid_lifetime: int | None = None
    preferred_lifetime: int | None = None  # DHCPv6 classes only


@dataclass(slots=True, frozen=True)
class Pool4:
    start: int
    end: int  # inclusive
    client_class: str | None = None
    require_client_classes: tuple[str, ...] = ()
    option_data: tuple[OptionData, ...] = ()

    @property
    def size(self) -> int:
        return self.end - self.start + 1

    def contains(self, address: int) -> bool:
        return self.start <= address <= self.end


@dataclass(slots=True, frozen=True)
class Reservation4:
    ip_address: int | None = None
    hw_address: bytes | None = None
    client_id: bytes | None = None
    hostname: str = ""
    client_classes: tuple[str, ...] = ()
    option_data: tuple[OptionData, ...] = ()
    next_server: int | None = None
    server_hostname: str = ""
    boot_file_name: str = ""


@dataclass(slots=True, frozen=True)
class Subnet4:
    id: int
    network: int  # network address
    prefix_len: int
    pools: tuple[Pool4, ...] = ()
    option_data: tuple[OptionData, ...] = ()
    relay_addresses: tuple[int, ...] = ()
    interface: str = ""
    client_class: str | None = None
    require_client_classes: tuple[str, ...] = ()
    valid_lifetime: int = 7200
    min_valid_lifetime: int | None = None
    max_valid_lifetime: int | None = None
    renew_timer: int | None = None
    rebind_timer: int | None = None
    calculate_tee_times: bool = False
    t1_percent: float = 0.5
    t2_percent: float = 0.875
    match_client_id: bool = True
    authoritative: bool = False
    reservations: tuple[Reservation4, ...] = ()
    reservation_mode_global: bool = False
    reservation_mode_in_subnet: bool = True
    next_server: int = 0
    server_hostname: str = ""
    boot_file_name: str = ""
    shared_network: str | None = None
    allocator: str | None = None  # "iterative" | "random"; None: the global "allocator"

    @property
    def netmask(self) -> int:
        return (0xFFFFFFFF << (32 - self.prefix_len)) & 0xFFFFFFFF if self.prefix_len else 0

    def contains(self, address: int) -> bool:
        return (address & self.netmask) == self.network


@dataclass(slots=True, frozen=True)
class SharedNetwork4:
    name: str
    subnets: tuple[Subnet4, ...]
    relay_addresses: tuple[int, ...] = ()
    interface: str = ""
    client_class: str | None = None
    option_data: tuple[OptionData, ...] = ()
    require_client_classes: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class InterfacesConfig:
    interfaces: tuple[str, ...] = ()  # "eth0", "eth0/192.0.2.1", "*"
    socket_type: str = "raw"  # "raw" | "udp"
    outbound_interface: str = "same-as-inbound"
    re_detect: bool = True


@dataclass(slots=True, frozen=True)
class LeaseDatabase:
    type: str = "memfile"
    persist: bool = True
    name: str = ""  # empty: the default path chosen by the daemon
    lfc_interval: int = 3600
    max_row_errors: int = 0
    parameters: tuple[tuple[str, Any], ...] = ()  # other keys (host, user... for SQL backends)


@dataclass(slots=True, frozen=True)
class ControlSocket:
    socket_type: str
    socket_name: str


@dataclass(slots=True, frozen=True)
class ExpiredLeasesProcessing:
    reclaim_timer_wait_time: int = 10
    flush_reclaimed_timer_wait_time: int = 25
    hold_reclaimed_time: int = 3600
    max_reclaim_leases: int = 100
    max_reclaim_time: int = 250
    unwarned_reclaim_cycles: int = 5


@dataclass(slots=True, frozen=True)
class HookLibrary:
    library: str
    parameters: dict[str, Any] = field(default_factory=dict)


class HookedConfig:
    """What the daemons ask of a DHCP configuration's hook libraries (Dhcp4Config, Dhcp6Config)."""

    __slots__ = ()
    hooks_libraries: tuple[HookLibrary, ...]

    @property
    def lease_cmds_loaded(self) -> bool:
        return any(h.library.endswith("libdhcp_lease_cmds.so") for h in self.hooks_libraries)

    @property
    def ha_parameters(self) -> dict[str, Any] | None:
        for h in self.hooks_libraries:
            if h.library.endswith("libdhcp_ha.so"):
                return h.parameters
        return None


@dataclass(slots=True, frozen=True)
class Dhcp4Config(HookedConfig):
    subnets: tuple[Subnet4, ...] = ()  # every subnet, shared-network members included
    shared_networks: tuple[SharedNetwork4, ...] = ()
    client_classes: tuple[ClientClassDef, ...] = ()
    option_data: tuple[OptionData, ...] = ()
    interfaces: InterfacesConfig = InterfacesConfig()
    lease_database: LeaseDatabase = LeaseDatabase()
    control_socket: ControlSocket | None = None
    hooks_libraries: tuple[HookLibrary, ...] = ()
    expired_leases_processing: ExpiredLeasesProcessing = ExpiredLeasesProcessing()
    valid_lifetime: int = 7200
    renew_timer: int | None = None
    rebind_timer: int | None = None
    allocator: str = "iterative"  # Kea's "allocator": "iterative" | "random"
    decline_probation_period: int = 86400
    match_client_id: bool = True
    authoritative: bool = False
    echo_client_id: bool = True
    server_tag: str = ""
    reservations: tuple[Reservation4, ...] = ()  # global reservations
    multi_threading: bool = False
    dhcp4o6_port: int = 0
    raw: dict[str, Any] = field(default_factory=dict)  # the whole {"Dhcp4": {...}} as loaded
