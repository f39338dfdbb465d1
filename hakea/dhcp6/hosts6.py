"""DHCPv6 host reservations (Kea "reservations"), indexed once per subnet and once globally.

Lookup order is Kea's default host-reservation-identifiers for DHCPv6 that hakea supports: the
DUID first, then the hardware address (as the server derived it, see hakea.dhcp6.hwaddr6).
"""

from __future__ import annotations

from collections.abc import Iterable

from hakea.config.model6 import Reservation6


class HostIndex6:
    __slots__ = ("by_address", "by_duid", "by_hwaddr", "by_prefix")

    def __init__(self, reservations: Iterable[Reservation6]) -> None:
        self.by_duid: dict[bytes, Reservation6] = {}
        self.by_hwaddr: dict[bytes, Reservation6] = {}
        self.by_address: dict[int, Reservation6] = {}
        self.by_prefix: dict[tuple[int, int], Reservation6] = {}
        for r in reservations:
            # The first reservation for an identifier wins (Kea refuses duplicates at load time).
            if r.duid:
                self.by_duid.setdefault(r.duid, r)
            if r.hw_address:
                self.by_hwaddr.setdefault(r.hw_address, r)
            for address in r.ip_addresses:
                self.by_address.setdefault(address, r)
            for prefix in r.prefixes:
                self.by_prefix.setdefault(prefix, r)

    def __bool__(self) -> bool:
        return bool(self.by_duid or self.by_hwaddr)

    def find(self, duid: bytes, hwaddr: bytes) -> Reservation6 | None:
        r = self.by_duid.get(duid) if duid else None
        if r is None and hwaddr:
            r = self.by_hwaddr.get(hwaddr)
        return r


EMPTY_HOSTS6 = HostIndex6(())
