"""Host reservations ("reservations" at global and subnet level) -> Reservation4.

Rules from kea-dhcp4 2.2 (checked with `-t`): exactly one identifier of hw-address, duid,
circuit-id, client-id, flex-id; identifiers are hex ("01:aa:bb", "01 aa bb", "01aabb", "0x01aabb")
or a quoted string ("'text'"), a hardware address is at most 20 bytes; a reservation must reserve
something (hostname, address, options, classes, next-server, server-hostname or boot-file-name);
the address must lie in the subnet and be neither 0.0.0.0 nor broadcast; within one subnet (or
the global set) an identifier appears once, and an address once when ip-reservations-unique.

hakea matches clients by hw-address and client-id only; a reservation by duid, circuit-id or
flex-id is kept (its address stays reserved) with both identifiers None, and a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakea.config import keys4
from hakea.config.errors import ConfigError
from hakea.config.model import Reservation4
from hakea.config.network4 import FILE_MAX, SNAME_MAX
from hakea.config.options_parse import OptionResolver
from hakea.config.values import (
    as_map,
    check_keys,
    check_length,
    ipv4_text,
    netmask,
    parse_ipv4,
    string_list,
)

IDENTIFIERS = ("hw-address", "duid", "circuit-id", "client-id", "flex-id")
_MAX_LENGTH = {"hw-address": 20, "duid": 130}  # others: 128 (Kea's host identifier limit)
_HEX = frozenset("0123456789abcdefABCDEF")
_RESOURCES = (
    "hostname",
    "ip-address",
    "option-data",
    "client-classes",
    "next-server",
    "server-hostname",
    "boot-file-name",
)


def decode_identifier(kind: str, text: str, path: str, limit: int | None = None) -> bytes:
    """An identifier's bytes; `limit` overrides the family's maximum length for `kind`."""
    value = _decode(text.strip())
    if value is None or not value:
        raise ConfigError(path, f"invalid host identifier value '{text}'")
    if limit is None:
        limit = _MAX_LENGTH.get(kind, 128)
    if len(value) > limit:
        raise ConfigError(path, f"{kind} is {len(value)} bytes long, at most {limit} are allowed")
    return value


def _decode(text: str) -> bytes | None:
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].encode()
    if text[:2] in ("0x", "0X"):
        text = text[2:]
        if ":" in text or " " in text:
            return None
    for sep in (":", " "):
        if sep in text:
            parts = text.split(sep)
            if not all(1 <= len(p) <= 2 and _HEX.issuperset(p) for p in parts):
                return None
            return bytes(int(p, 16) for p in parts)
    if not _HEX.issuperset(text):
        return None
    if len(text) % 2:
        text = "0" + text
    return bytes.fromhex(text)


def _hex(value: bytes) -> str:
    return ":".join(f"{b:02x}" for b in value)


class ReservationSet:
    """The reservations of one subnet, or the global ones, with Kea's uniqueness rules."""

    def __init__(self, where: str, ip_unique: bool, subnet: tuple[int, int] | None = None) -> None:
        self.where = where  # "subnet 192.0.2.0/24" or "the global reservations"
        self.ip_unique = ip_unique
        self.subnet = subnet  # (network, prefix_len) the addresses must lie in
        self._identifiers: set[tuple[str, bytes]] = set()
        self._addresses: set[int] = set()
        self.items: list[Reservation4] = []

    def add(self, entry: Any, path: str, resolver: OptionResolver, warnings: list[str]) -> Reservation4:
        obj = as_map(entry, path)
        check_keys(obj, path, keys4.RESERVATION)
        kind, identifier = self._identifier(obj, path)
        if kind in ("duid", "circuit-id", "flex-id"):
            warnings.append(f"{path}/{kind}: hakea does not match clients by {kind}; reservation kept unused")

        ip_address = self._address(obj, path)
        if not any(obj.get(key) for key in _RESOURCES):
            raise ConfigError(
                path,
                "a reservation must reserve at least one resource: hostname, ip-address, option-data, "
                "client-classes, next-server, server-hostname or boot-file-name",
            )
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

    def _identifier(self, obj: Mapping[str, Any], path: str) -> tuple[str, bytes]:
        present = [key for key in obj if key in IDENTIFIERS]
        if not present:
            raise ConfigError(
                path,
                "one of the supported identifiers must be specified for host reservation: "
                "circuit-id, client-id, duid, flex-id, hw-address",
            )
        if len(present) > 1:
            raise ConfigError(
                f"{path}/{present[1]}", f"the '{present[0]}' and '{present[1]}' are mutually exclusive"
            )
        kind = present[0]
        identifier = decode_identifier(kind, obj[kind], f"{path}/{kind}")
        if (kind, identifier) in self._identifiers:
            raise ConfigError(
                f"{path}/{kind}",
                f"a reservation for {kind} {_hex(identifier)} already exists in {self.where}",
            )
        self._identifiers.add((kind, identifier))
        return kind, identifier

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
        if self.ip_unique:
            if address in self._addresses:
                raise ConfigError(
                    key_path,
                    f"address {ipv4_text(address)} is already reserved in {self.where} "
                    "(ip-reservations-unique is true)",
                )
            self._addresses.add(address)
        return address
