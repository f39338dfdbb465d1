"""The DHCPv6 lease store interface the v6 engine, the lease6 commands and HA use.

Keys. Lookups and deletions name a lease by (type, address), as Kea's getLease6(type, addr) and
lease6-get / lease6-del {"type", "ip-address"} do, but an address holds at most one lease of any
type: Kea 2.2's memfile indexes leases by address alone (seen with Debian's kea-dhcp6 2.2.0: an
IA_PD lease6-add at the address of an IA_NA lease is journaled but not stored, the journal replay
then keeps whichever row came last, and a lease6-update of the other type crashes the server).
hakea keeps the same one-lease-per-address rule without the traps:
- get/delete(type, address) see the lease at `address` only if it has that type;
- add() is refused while the address holds a lease of any type;
- update() is refused unless the address holds a lease of the same type;
- upsert()/load() make the lease the one at its address, whatever was there before (exactly what
  replaying the memfile journal produces, so memory and file always agree).
Paging (lease6-get-page, HA's sync) orders all types together by address: its "from" is an IPv6
address, the last one of the previous page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from hakea.leases.model6 import Lease6, LeaseType
from hakea.leases.store import LeaseStoreError

__all__ = ["LeaseStore6", "LeaseStoreError"]


class LeaseStore6(Protocol):
    def get(self, type: LeaseType, address: int) -> Lease6 | None: ...

    def get_by_duid(
        self,
        duid: bytes,
        iaid: int | None = None,
        type: LeaseType | None = None,
        subnet_id: int | None = None,
    ) -> list[Lease6]:
        """The leases of a client (Kea's getLeases6(type, duid, iaid[, subnet_id]) and
        lease6-get-by-duid), narrowed by whichever of iaid, type and subnet_id are given."""
        ...

    def get_by_hostname(self, hostname: str) -> list[Lease6]: ...

    def get_by_subnet(self, subnet_id: int) -> list[Lease6]: ...

    def add(self, lease: Lease6) -> bool:
        """Insert; False (and nothing written) if the address holds a lease of any type."""
        ...

    def update(self, lease: Lease6) -> bool:
        """Replace the lease of lease.type at lease.address; False if there is none."""
        ...

    def upsert(self, lease: Lease6) -> None:
        """Make `lease` the lease at its address, replacing any lease there (whatever its type)."""
        ...

    def delete(self, type: LeaseType, address: int) -> bool: ...

    def wipe(self, subnet_id: int | None = None) -> int: ...

    def page(self, after: int | None, limit: int) -> list[Lease6]:
        """Up to `limit` leases with address > after (all when after is None), in address order,
        addresses and prefixes together."""
        ...

    def all(self) -> Iterator[Lease6]: ...

    def expired(self, now: float, limit: int) -> list[Lease6]:
        """Up to `limit` leases not yet reclaimed (state DEFAULT or DECLINED) whose expire <= now,
        oldest first, as Kea's getExpiredLeases6."""
        ...

    def count(self) -> int: ...

    def load(self, leases: Iterable[Lease6]) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
