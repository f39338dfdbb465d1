"""The DHCPv4 lease store interface the engine, the commands and HA use.

Every backend (the embedded memfile, later PostgreSQL) implements it. Methods are synchronous:
the memfile answers from memory and appends to its file before returning (so a lease is on disk
before the ACK leaves); a networked backend wraps its own I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from hakea.leases.model import Lease4


class LeaseStoreError(Exception):
    """A backend could not complete an operation (disk full, I/O error)."""


class LeaseStore4(Protocol):
    def get(self, address: int) -> Lease4 | None: ...

    def get_by_hwaddr(self, hwaddr: bytes, subnet_id: int | None = None) -> list[Lease4]: ...

    def get_by_client_id(self, client_id: bytes, subnet_id: int | None = None) -> list[Lease4]: ...

    def get_by_hostname(self, hostname: str) -> list[Lease4]: ...

    def get_by_subnet(self, subnet_id: int) -> list[Lease4]: ...

    def add(self, lease: Lease4) -> bool:
        """Insert; False (and nothing written) if a lease for that address exists."""
        ...

    def update(self, lease: Lease4) -> bool:
        """Replace the lease for lease.address; False if there is none."""
        ...

    def upsert(self, lease: Lease4) -> None: ...

    def delete(self, address: int) -> bool: ...

    def wipe(self, subnet_id: int | None = None) -> int: ...

    def page(self, after: int | None, limit: int) -> list[Lease4]:
        """Up to `limit` leases with address > after (all when after is None), in address order."""
        ...

    def all(self) -> Iterator[Lease4]: ...

    def expired(self, now: float, limit: int) -> list[Lease4]:
        """Up to `limit` leases not yet reclaimed whose expire <= now, oldest first.

        "Not yet reclaimed": state DEFAULT or DECLINED, as Kea's getExpiredLeases4 -- a declined
        lease is reclaimed like any other once its decline-probation-period (its valid_lft) ends.
        """
        ...

    def count(self) -> int: ...

    def load(self, leases: Iterable[Lease4]) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
