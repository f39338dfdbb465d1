"""MemoryLeaseStore6: the LeaseStore6 protocol held entirely in memory.

The memfile backend (memfile6.py) is this store plus an append-only journal. The structure is
memory4's (see its docstring for the measurements behind it):
- by address: a dict (one lease per address, whatever its type: see store6.py) plus the addresses
  in order in memory4's bucketed SortedAddresses, so `page()` is a bisect and a few slices;
- by DUID, lower-cased hostname and subnet: dict of key -> {address: lease}. A client holds a
  handful of leases, so get_by_duid narrows by iaid / type / subnet by scanning its bucket
  (declined leases all carry DUID 00, Kea's "empty" DUID, and share one bucket);
- expiry: a heap of (expire, address) with lazy invalidation, live only while the lease at that
  address still has that expire and is not reclaimed (state default or declined).

Ownership, as memory4: add/update/upsert/load store a copy of the caller's lease; lookups return
the store's own records, to be read, and changed only through update() (which re-indexes from the
keys recorded at the last store, so even a record mutated in place is re-indexed correctly).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

from hakea.leases.memory4 import SortedAddresses
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType

# What was indexed for one stored lease: (duid, hostname_key, subnet_id, expire or -1 when already
# reclaimed). Recorded, not re-read from the lease: a caller may have mutated the stored object.
_Keys = tuple[bytes, str, int, int]

_RECLAIMED = LeaseState.EXPIRED_RECLAIMED


def copy_lease6(lease: Lease6) -> Lease6:
    """A shallow copy (user_context is shared); positional construction, as memory4.copy_lease."""
    return Lease6(
        lease.address,
        lease.duid,
        lease.iaid,
        lease.valid_lft,
        lease.preferred_lft,
        lease.cltt,
        lease.subnet_id,
        lease.type,
        lease.prefix_len,
        lease.fqdn_fwd,
        lease.fqdn_rev,
        lease.hostname,
        lease.hwaddr,
        lease.hwtype,
        lease.hwaddr_source,
        lease.state,
        lease.user_context,
    )


def _bucket_remove(index: dict[bytes, dict[int, Lease6]], key: bytes, address: int) -> None:
    bucket = index.get(key)
    if bucket is not None:
        bucket.pop(address, None)
        if not bucket:
            del index[key]


class MemoryLeaseStore6:
    """LeaseStore6 in memory. Not thread-safe: the daemon calls it from its event loop only."""

    def __init__(self) -> None:
        self._by_address: dict[int, Lease6] = {}
        self._keys: dict[int, _Keys] = {}
        self._sorted = SortedAddresses()
        self._by_duid: dict[bytes, dict[int, Lease6]] = {}
        self._by_hostname: dict[str, dict[int, Lease6]] = {}
        self._by_subnet: dict[int, dict[int, Lease6]] = {}
        self._expiry: list[tuple[int, int]] = []

    # ---- persistence hooks (memfile6 overrides them; called before memory changes) -----------

    def _persist(self, lease: Lease6) -> None:
        """`lease` is about to become the stored lease for its address."""

    def _persist_deletes(self, leases: list[Lease6]) -> None:
        """These stored leases are about to be deleted."""

    def _persist_many(self, leases: list[Lease6]) -> None:
        """These leases are about to be stored (bulk load)."""

    # ---- lookups -----------------------------------------------------------------------------

    def get(self, type: LeaseType, address: int) -> Lease6 | None:
        lease = self._by_address.get(address)
        return lease if lease is not None and lease.type == type else None

    def get_by_duid(
        self,
        duid: bytes,
        iaid: int | None = None,
        type: LeaseType | None = None,
        subnet_id: int | None = None,
    ) -> list[Lease6]:
        bucket = self._by_duid.get(duid)
        if not bucket:
            return []
        return [
            lease
            for lease in (bucket[a] for a in sorted(bucket))
            if (iaid is None or lease.iaid == iaid)
            and (type is None or lease.type == type)
            and (subnet_id is None or lease.subnet_id == subnet_id)
        ]

    def get_by_hostname(self, hostname: str) -> list[Lease6]:
        # Case-insensitive (DNS, RFC 4343), as memory4; an empty hostname matches nothing.
        if not hostname:
            return []
        bucket = self._by_hostname.get(hostname.lower())
        return [bucket[a] for a in sorted(bucket)] if bucket else []

    def get_by_subnet(self, subnet_id: int) -> list[Lease6]:
        bucket = self._by_subnet.get(subnet_id)
        return [bucket[a] for a in sorted(bucket)] if bucket else []

    def page(self, after: int | None, limit: int) -> list[Lease6]:
        if limit <= 0:
            return []
        by_address = self._by_address
        return [by_address[a] for a in self._sorted.after(after, limit)]

    def all(self) -> Iterator[Lease6]:
        # Over a snapshot of the addresses: the caller may change the store meanwhile (a lease
        # deleted before it is reached is skipped).
        by_address = self._by_address
        for address in self._sorted.snapshot():
            lease = by_address.get(address)
            if lease is not None:
                yield lease

    def expired(self, now: float, limit: int) -> list[Lease6]:
        heap = self._expiry
        keys = self._keys
        found: list[Lease6] = []
        live: list[tuple[int, int]] = []
        seen: set[int] = set()
        while heap and len(found) < limit and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            expire, address = entry
            recorded = keys.get(address)
            if recorded is None or recorded[3] != expire or address in seen:
                continue  # stale (deleted, renewed or reclaimed): dropped for good
            seen.add(address)
            found.append(self._by_address[address])
            live.append(entry)
        for entry in live:  # a query reclaims nothing: the live entries go back
            heapq.heappush(heap, entry)
        return found

    def count(self) -> int:
        return len(self._by_address)

    # ---- changes -----------------------------------------------------------------------------

    def add(self, lease: Lease6) -> bool:
        if lease.address in self._by_address:
            return False
        self._persist(lease)
        self._store(copy_lease6(lease))
        return True

    def update(self, lease: Lease6) -> bool:
        stored = self._by_address.get(lease.address)
        if stored is None or stored.type != lease.type:
            return False
        self._persist(lease)
        self._store(copy_lease6(lease))
        return True

    def upsert(self, lease: Lease6) -> None:
        self._persist(lease)
        self._store(copy_lease6(lease))

    def delete(self, type: LeaseType, address: int) -> bool:
        lease = self._by_address.get(address)
        if lease is None or lease.type != type:
            return False
        self._persist_deletes([lease])
        self._remove(address)
        return True

    def wipe(self, subnet_id: int | None = None) -> int:
        """Delete every lease (of one subnet); returns how many (Kea's lease6-wipe)."""
        victims = list(self.all()) if subnet_id is None else self.get_by_subnet(subnet_id)
        if not victims:
            return 0
        self._persist_deletes(victims)
        for lease in victims:
            self._remove(lease.address)
        return len(victims)

    def load(self, leases: Iterable[Lease6]) -> None:
        """Upsert many leases at once (HA sync pages, imports); one write for memfile."""
        copies = [copy_lease6(lease) for lease in leases]
        if not copies:
            return
        self._persist_many(copies)
        self._store_many(copies)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    # ---- internals (no persistence) ----------------------------------------------------------

    def _store(self, lease: Lease6) -> None:
        """Make `lease` (owned by the store) the lease at its address and index it."""
        address = lease.address
        old_keys = self._keys.get(address)
        if old_keys is None:
            self._sorted.add(address)
        else:
            self._unindex(address, old_keys)
        self._by_address[address] = lease
        expiry_key = self._index(lease)
        # A new heap entry only when the (unreclaimed) expiry changed: the old entry stays live.
        if expiry_key >= 0 and (old_keys is None or old_keys[3] != expiry_key):
            heapq.heappush(self._expiry, (expiry_key, address))
            # Renewals leave stale entries: rebuild once they dominate, so memory stays O(n).
            if len(self._expiry) > 2 * len(self._by_address) + 1024:
                self._rebuild_expiry()

    def _store_many(self, leases: list[Lease6]) -> None:
        """Bulk store: one sort of the address list instead of an insort per new address."""
        if len(leases) < 64:
            for lease in leases:
                self._store(lease)
            return
        by_address = self._by_address
        new_addresses = False
        for lease in leases:
            address = lease.address
            old_keys = self._keys.get(address)
            if old_keys is None:
                new_addresses = True
            else:
                self._unindex(address, old_keys)
            by_address[address] = lease
            self._index(lease)
        if new_addresses:
            self._sorted.reset(by_address)
        self._rebuild_expiry()

    def _remove(self, address: int) -> None:
        if self._by_address.pop(address, None) is None:
            return
        self._unindex(address, self._keys.pop(address))
        self._sorted.remove(address)  # its expiry entry goes stale and is dropped lazily

    def _index(self, lease: Lease6) -> int:
        """Index `lease`; returns its expiry key (expire, or -1 when already reclaimed)."""
        address = lease.address
        duid = lease.duid
        hostname = lease.hostname
        hostname_key = hostname.lower() if hostname else ""
        subnet_id = lease.subnet_id
        expiry_key = lease.cltt + lease.valid_lft if lease.state != _RECLAIMED else -1
        self._keys[address] = (duid, hostname_key, subnet_id, expiry_key)
        if duid:
            bucket = self._by_duid.get(duid)
            if bucket is None:
                self._by_duid[duid] = {address: lease}
            else:
                bucket[address] = lease
        if hostname_key:
            names = self._by_hostname.get(hostname_key)
            if names is None:
                self._by_hostname[hostname_key] = {address: lease}
            else:
                names[address] = lease
        subnet = self._by_subnet.get(subnet_id)
        if subnet is None:
            self._by_subnet[subnet_id] = {address: lease}
        else:
            subnet[address] = lease
        return expiry_key

    def _unindex(self, address: int, keys: _Keys) -> None:
        duid, hostname_key, subnet_id, _ = keys
        if duid:
            _bucket_remove(self._by_duid, duid, address)
        if hostname_key:
            names = self._by_hostname.get(hostname_key)
            if names is not None:
                names.pop(address, None)
                if not names:
                    del self._by_hostname[hostname_key]
        subnet = self._by_subnet.get(subnet_id)
        if subnet is not None:
            subnet.pop(address, None)
            if not subnet:
                del self._by_subnet[subnet_id]

    def _rebuild_expiry(self) -> None:
        self._expiry = [(k[3], a) for a, k in self._keys.items() if k[3] >= 0]
        heapq.heapify(self._expiry)
