"""Host reservations of either family: identifiers, and Kea's uniqueness rules for one set.

Rules from kea-dhcp4 and kea-dhcp6 2.2 (checked with `-t`): exactly one identifier per
reservation; identifiers are hex ("01:aa:bb", "01 aa bb", "01aabb", "0x01aabb") or a quoted string
("'text'"), with a length limit per kind; within one subnet (or the global set) an identifier
appears once, and an address once when ip-reservations-unique. `ReservationSetBase` holds these;
reservations4 and reservations6 say which identifiers and resources a family has and build the
family's Reservation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from hakea.config.errors import ConfigError
from hakea.config.values import as_list

__all__ = ["ReservationSetBase", "decode_identifier"]

_HEX = frozenset("0123456789abcdefABCDEF")
_DEFAULT_LIMIT = 128  # Kea's host identifier limit, for kinds the family does not list

ResolverT = TypeVar("ResolverT")
ReservationT = TypeVar("ReservationT")


def decode_identifier(kind: str, text: str, path: str, limit: int) -> bytes:
    """An identifier's bytes, at most `limit` of them."""
    value = _decode(text.strip())
    if value is None or not value:
        raise ConfigError(path, f"invalid host identifier value '{text}'")
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


class ReservationSetBase(Generic[ResolverT, ReservationT]):
    """The reservations of one subnet, or the global ones, with Kea's uniqueness rules."""

    IDENTIFIERS: ClassVar[tuple[str, ...]]  # the identifier keys of the family
    LIMITS: ClassVar[Mapping[str, int]]  # identifier kind -> longest value (default 128 bytes)
    UNMATCHED: ClassVar[tuple[str, ...]]  # kinds hakea does not match clients by
    RESOURCES: ClassVar[tuple[str, ...]]  # what a reservation may reserve: at least one of them
    EXCLUSIVE: ClassVar[str]  # Kea's text for two identifiers, formatted with the two found

    def __init__(self, where: str, ip_unique: bool, subnet: tuple[int, int] | None = None) -> None:
        self.where = where  # "subnet 192.0.2.0/24" or "the global reservations"
        self.ip_unique = ip_unique
        self.subnet = subnet  # (network, prefix_len) reserved addresses must lie in
        self._identifiers: set[tuple[str, bytes]] = set()
        self._reserved: set[int] = set()  # addresses (and DHCPv6 prefixes, by address)
        self.items: list[ReservationT] = []

    def add(self, entry: Any, path: str, resolver: ResolverT, warnings: list[str]) -> ReservationT:
        """Check one "reservations" entry, keep and return its Reservation."""
        raise NotImplementedError

    def add_all(
        self, entries: Any, path: str, resolver: ResolverT, warnings: list[str]
    ) -> tuple[ReservationT, ...]:
        """Every entry of a "reservations" list (`path` names the list); all the set holds."""
        for i, entry in enumerate(as_list(entries, path)):
            self.add(entry, f"{path}[{i}]", resolver, warnings)
        return tuple(self.items)

    def _present(self, obj: Mapping[str, Any]) -> list[str]:
        """The identifier keys of an entry, in the order Kea reads them (the entry's)."""
        return [key for key in obj if key in self.IDENTIFIERS]

    def _identifier(self, obj: Mapping[str, Any], path: str, warnings: list[str]) -> tuple[str, bytes]:
        present = self._present(obj)
        if not present:
            raise ConfigError(
                path,
                "one of the supported identifiers must be specified for host reservation: "
                + ", ".join(sorted(self.IDENTIFIERS)),
            )
        if len(present) > 1:
            raise ConfigError(f"{path}/{present[1]}", self.EXCLUSIVE.format(*present))
        kind = present[0]
        limit = self.LIMITS.get(kind, _DEFAULT_LIMIT)
        identifier = decode_identifier(kind, obj[kind], f"{path}/{kind}", limit)
        if (kind, identifier) in self._identifiers:
            raise ConfigError(
                f"{path}/{kind}",
                f"a reservation for {kind} {_hex(identifier)} already exists in {self.where}",
            )
        self._identifiers.add((kind, identifier))
        if kind in self.UNMATCHED:
            warnings.append(f"{path}/{kind}: hakea does not match clients by {kind}; reservation kept unused")
        return kind, identifier

    def _require_resource(self, obj: Mapping[str, Any], path: str) -> None:
        if not any(obj.get(key) for key in self.RESOURCES):
            raise ConfigError(
                path,
                "a reservation must reserve at least one resource: "
                f"{', '.join(self.RESOURCES[:-1])} or {self.RESOURCES[-1]}",
            )

    def _claim_unique(self, address: int, what: str, path: str) -> None:
        """With ip-reservations-unique, `what` ("address 192.0.2.1") is reserved once in the set."""
        if self.ip_unique:
            if address in self._reserved:
                raise ConfigError(
                    path, f"{what} is already reserved in {self.where} (ip-reservations-unique is true)"
                )
            self._reserved.add(address)
