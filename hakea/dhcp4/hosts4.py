"""Host reservations (Kea "reservations"), indexed once per subnet and once globally.

Lookup order follows Kea's default host-reservation-identifiers for DHCPv4 that hakea supports:
hw-address first, then client-id (the whole option 61 payload, type byte included).
"""

from __future__ import annotations

from collections.abc import Iterable

from hakea.config.model import Reservation4


class HostIndex:
    __slots__ = ("by_address", "by_client_id", "by_hwaddr")

    def __init__(self, reservations: Iterable[Reservation4]) -> None:
        self.by_hwaddr: dict[bytes, Reservation4] = {}
        self.by_client_id: dict[bytes, Reservation4] = {}
        self.by_address: dict[int, Reservation4] = {}
        for r in reservations:
            # The first reservation for an identifier wins (Kea refuses duplicates at load time).
            if r.hw_address:
                self.by_hwaddr.setdefault(r.hw_address, r)
            if r.client_id:
                self.by_client_id.setdefault(r.client_id, r)
            if r.ip_address is not None:
                self.by_address.setdefault(r.ip_address, r)

    def __bool__(self) -> bool:
        return bool(self.by_hwaddr or self.by_client_id)

    def find(self, hwaddr: bytes, client_id: bytes | None) -> Reservation4 | None:
        r = self.by_hwaddr.get(hwaddr) if hwaddr else None
        if r is None and client_id:
            r = self.by_client_id.get(client_id)
        return r


EMPTY_HOSTS = HostIndex(())
