"""Host reservations ("reservations" at global and subnet level) -> Reservation4.

Rules from kea-dhcp4 2.2 (checked with `-t`), beyond those of hakea.config.reservations: the
identifier is one of hw-address, duid, circuit-id, client-id, flex-id, a hardware address is at
most 20 bytes; a reservation must reserve something (hostname, address, options, classes,
next-server, server-hostname or boot-file-name); the address must lie in the subnet and be
neither 0.0.0.0 nor broadcast.

hakea matches clients by hw-address and client-id only; a reservation by duid, circuit-id or
flex-id is kept (its address stays reserved) with both identifiers None, and a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hakea.config import keys4
from hakea.config.errors import ConfigError
from hakea.config.model import Reservation4
from hakea.config.network import FILE_MAX, SNAME_MAX
from hakea.config.options_parse import OptionResolver
from hakea.config.reservations import ReservationSetBase
from hakea.config.values import as_map, check_keys, check_length, ipv4_text, netmask, parse_ipv4, string_list

__all__ = ["IDENTIFIERS", "ReservationSet"]

IDENTIFIERS = ("hw-address", "duid", "circuit-id", "client-id", "flex-id")


class ReservationSet(ReservationSetBase[OptionResolver, Reservation4]):
    """The reservations of one subnet, or the global ones, with Kea's uniqueness rules."""

    IDENTIFIERS = IDENTIFIERS
    LIMITS: ClassVar[Mapping[str, int]] = {"hw-address": 20, "duid": 130}
    UNMATCHED = ("duid", "circuit-id", "flex-id")
    RESOURCES = (
        "hostname",
        "ip-address",
        "option-data",
        "client-classes",
        "next-server",
        "server-hostname",
        "boot-file-name",
    )
    EXCLUSIVE = "the '{0}' and '{1}' are mutually exclusive"

    def add(self, entry: Any, path: str, resolver: OptionResolver, warnings: list[str]) -> Reservation4:
        obj = as_map(entry, path)
        check_keys(obj, path, keys4.RESERVATION)
        kind, identifier = self._identifier(obj, path, warnings)
        ip_address = self._address(obj, path)
        self._require_resource(obj, path)
        reservation = Reservation4(
            ip_address=ip_address,
            hw_address=identifier if kind == "hw-address" else None,
            client_id=identifier if kind == "client-id" else None,
            hostname=obj.get("hostname", ""),
            client_classes=string_list(obj.get("client-classes", []), f"{path}/client-classes"),
            option_data=resolver.option_data_list(obj.get("option-data"), f"{path}/option-data"),
            next_server=parse_ipv4(obj["next-server"], f"{path}/next-server")
            if "next-server" in obj
            else None,
            server_hostname=check_length(obj, "server-hostname", path, SNAME_MAX),
            boot_file_name=check_length(obj, "boot-file-name", path, FILE_MAX),
        )
        self.items.append(reservation)
        return reservation

    def _address(self, obj: Mapping[str, Any], path: str) -> int | None:
        if "ip-address" not in obj:
            return None
        key_path = f"{path}/ip-address"
        address = parse_ipv4(obj["ip-address"], key_path)
        if address in (0, 0xFFFFFFFF):
            raise ConfigError(key_path, f"must not make reservation for the '{ipv4_text(address)}' address")
        if self.subnet is not None:
            network, prefix_len = self.subnet
            if address & netmask(prefix_len) != network:
                raise ConfigError(
                    key_path,
                    f"specified reservation '{ipv4_text(address)}' is not within the IPv4 subnet "
                    f"'{ipv4_text(network)}/{prefix_len}'",
                )
        self._claim_unique(address, f"address {ipv4_text(address)}", key_path)
        return address
