"""DHCPv6 host reservations ("reservations" at global and subnet level) -> Reservation6.

Rules from kea-dhcp6 2.2 (checked with `-t`), beyond those of hakea.config.reservations: the
identifier is one of duid, hw-address, flex-id; a DUID is at most 128 bytes, a hardware
address 20; a reservation must reserve something (hostname, ip-addresses, prefixes, option-data,
client-classes); addresses and prefixes are IPv6 and not multicast, a prefix needs its length,
a subnet's reserved addresses lie in the subnet (prefixes need not); within one subnet (or the
global set) an identifier appears once, and an address or prefix once when ip-reservations-unique
(Kea keys the check on the address alone, so 2001:db8:9::/56 and 2001:db8:9::/64 collide).

hakea matches clients by DUID and hardware address; a flex-id reservation is kept (its addresses
stay reserved) with neither identifier, and a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hakea.config import keys6
from hakea.config.errors import ConfigError
from hakea.config.model6 import Reservation6
from hakea.config.options6 import OptionResolver6
from hakea.config.reservations import ReservationSetBase
from hakea.config.values import as_list, as_map, check_keys, json_type, string_list
from hakea.config.values6 import in_prefix, ipv6_text, is_multicast, mask6, parse_ipv6, prefix_text

__all__ = ["IDENTIFIERS6", "ReservationSet6"]

IDENTIFIERS6 = ("duid", "flex-id", "hw-address")  # Kea reads a map's keys in this (sorted) order


class ReservationSet6(ReservationSetBase[OptionResolver6, Reservation6]):
    """The reservations of one subnet, or the global ones, with Kea's uniqueness rules."""

    IDENTIFIERS = IDENTIFIERS6
    LIMITS: ClassVar[Mapping[str, int]] = {"duid": 128, "hw-address": 20, "flex-id": 128}
    UNMATCHED = ("flex-id",)
    RESOURCES = ("hostname", "ip-addresses", "prefixes", "option-data", "client-classes")
    EXCLUSIVE = "the '{1}' and '{0}' are mutually exclusive"

    def add(self, entry: Any, path: str, resolver: OptionResolver6, warnings: list[str]) -> Reservation6:
        obj = as_map(entry, path)
        check_keys(obj, path, keys6.RESERVATION)
        kind, identifier = self._identifier(obj, path, warnings)
        self._require_resource(obj, path)
        own: set[int] = set()
        addresses = tuple(
            self._address(text, f"{path}/ip-addresses[{i}]", own)
            for i, text in enumerate(self._strings(obj, "ip-addresses", path))
        )
        prefixes = tuple(
            self._prefix(text, f"{path}/prefixes[{i}]", own, warnings)
            for i, text in enumerate(self._strings(obj, "prefixes", path))
        )
        reservation = Reservation6(
            duid=identifier if kind == "duid" else None,
            hw_address=identifier if kind == "hw-address" else None,
            ip_addresses=addresses,
            prefixes=prefixes,
            hostname=obj.get("hostname", ""),
            client_classes=string_list(obj.get("client-classes", []), f"{path}/client-classes"),
            option_data=resolver.option_data_list(obj.get("option-data"), f"{path}/option-data"),
        )
        self.items.append(reservation)
        return reservation

    def _present(self, obj: Mapping[str, Any]) -> list[str]:
        return [key for key in IDENTIFIERS6 if key in obj]

    @staticmethod
    def _strings(obj: Mapping[str, Any], key: str, path: str) -> list[str]:
        items = as_list(obj.get(key, []), f"{path}/{key}")
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise ConfigError(f"{path}/{key}[{i}]", f"expected a string, got {json_type(item)}")
        return items

    def _claim(self, address: int, what: str, path: str, own: set[int]) -> None:
        if address in own:
            raise ConfigError(path, f"{what} is reserved twice in this reservation")
        own.add(address)
        self._claim_unique(address, what, path)

    def _address(self, text: str, path: str, own: set[int]) -> int:
        address = parse_ipv6(text, path)
        if is_multicast(address):
            raise ConfigError(path, f"'{text}' is a multicast address, it cannot be reserved")
        if self.subnet is not None and not in_prefix(address, *self.subnet):
            raise ConfigError(
                path,
                f"specified reservation '{ipv6_text(address)}' is not within the IPv6 subnet "
                f"'{prefix_text(*self.subnet)}'",
            )
        self._claim(address, f"address {ipv6_text(address)}", path, own)
        return address

    def _prefix(self, text: str, path: str, own: set[int], warnings: list[str]) -> tuple[int, int]:
        address_text, sep, length_text = text.partition("/")
        if not sep:
            raise ConfigError(path, f"prefix reservation requires prefix length be specified in '{text}'")
        prefix = parse_ipv6(address_text.strip(), path)
        length_text = length_text.strip()
        if not (length_text.isascii() and length_text.isdigit()) or int(length_text) > 128:
            raise ConfigError(path, f"invalid prefix length in '{text}': must be 0..128")
        length = int(length_text)
        if is_multicast(prefix):
            raise ConfigError(path, f"'{text}' is a multicast prefix, it cannot be reserved")
        if prefix & ~mask6(length):
            # Kea keeps the prefix as written and delegates it so; hakea does the same.
            warnings.append(f"{path}: '{text}' has bits set beyond its length")
        self._claim(prefix, f"prefix {prefix_text(prefix, length)}", path, own)
        return prefix, length
