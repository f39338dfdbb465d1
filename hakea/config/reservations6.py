"""DHCPv6 host reservations ("reservations" at global and subnet level) -> Reservation6.

Rules from kea-dhcp6 2.2 (checked with `-t`): exactly one identifier of duid, hw-address, flex-id
(same forms as DHCPv4: "01:02:03", "010203", "'text'"); a DUID is at most 128 bytes, a hardware
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
from typing import Any

from hakea.config import keys6
from hakea.config.errors import ConfigError
from hakea.config.model6 import Reservation6
from hakea.config.options6 import OptionResolver6
from hakea.config.reservations4 import decode_identifier
from hakea.config.values import as_list, as_map, check_keys, json_type, string_list
from hakea.config.values6 import in_prefix, ipv6_text, is_multicast, mask6, parse_ipv6, prefix_text

IDENTIFIERS6 = ("duid", "flex-id", "hw-address")  # Kea reads a map's keys in this (sorted) order
_LIMITS = {"duid": 128, "hw-address": 20, "flex-id": 128}
_RESOURCES = ("hostname", "ip-addresses", "prefixes", "option-data", "client-classes")


def _hex(value: bytes) -> str:
    return ":".join(f"{b:02x}" for b in value)


class ReservationSet6:
    """The reservations of one subnet, or the global ones, with Kea's uniqueness rules."""

    def __init__(self, where: str, ip_unique: bool, subnet: tuple[int, int] | None = None) -> None:
        self.where = where  # "subnet 2001:db8:1::/64" or "the global reservations"
        self.ip_unique = ip_unique
        self.subnet = subnet  # (network, prefix_len) reserved addresses must lie in
        self._identifiers: set[tuple[str, bytes]] = set()
        self._reserved: set[int] = set()  # addresses and prefixes, by address
        self.items: list[Reservation6] = []

    def add(self, entry: Any, path: str, resolver: OptionResolver6, warnings: list[str]) -> Reservation6:
        obj = as_map(entry, path)
        check_keys(obj, path, keys6.RESERVATION)
        kind, identifier = self._identifier(obj, path)
        if kind == "flex-id":
            warnings.append(
                f"{path}/flex-id: hakea does not match clients by flex-id; reservation kept unused"
            )
        if not any(obj.get(key) for key in _RESOURCES):
            raise ConfigError(
                path,
                "a reservation must reserve at least one resource: hostname, ip-addresses, prefixes, "
                "option-data or client-classes",
            )
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

    @staticmethod
    def _strings(obj: Mapping[str, Any], key: str, path: str) -> list[str]:
        items = as_list(obj.get(key, []), f"{path}/{key}")
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise ConfigError(f"{path}/{key}[{i}]", f"expected a string, got {json_type(item)}")
        return items

    def _identifier(self, obj: Mapping[str, Any], path: str) -> tuple[str, bytes]:
        present = [key for key in IDENTIFIERS6 if key in obj]
        if not present:
            raise ConfigError(
                path,
                "one of the supported identifiers must be specified for host reservation: "
                "duid, flex-id, hw-address",
            )
        if len(present) > 1:
            raise ConfigError(
                f"{path}/{present[1]}", f"the '{present[1]}' and '{present[0]}' are mutually exclusive"
            )
        kind = present[0]
        identifier = decode_identifier(kind, obj[kind], f"{path}/{kind}", _LIMITS[kind])
        if (kind, identifier) in self._identifiers:
            raise ConfigError(
                f"{path}/{kind}",
                f"a reservation for {kind} {_hex(identifier)} already exists in {self.where}",
            )
        self._identifiers.add((kind, identifier))
        return kind, identifier

    def _claim(self, address: int, what: str, path: str, own: set[int]) -> None:
        if address in own:
            raise ConfigError(path, f"{what} is reserved twice in this reservation")
        own.add(address)
        if self.ip_unique:
            if address in self._reserved:
                raise ConfigError(
                    path,
                    f"{what} is already reserved in {self.where} (ip-reservations-unique is true)",
                )
            self._reserved.add(address)

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
