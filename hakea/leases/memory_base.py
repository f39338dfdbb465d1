"""The in-memory lease store both families share: MemoryLeaseStore4 and MemoryLeaseStore6 are this
base plus their own lookups (v4: hwaddr, client-id; v6: DUID, and the lease type in the key).

The memfile backends (memfile4.py, memfile6.py) are a memory store plus an append-only journal
(journal.py), so every lookup the engine, the lease commands and HA make is answered from here.

Indexes:
- by address: a dict (the primary key; one lease per address, whatever its v6 type: see store6.py)
  plus the addresses in order in a bucketed sorted list (SortedAddresses, buckets of <= 2 * _BUCKET
  addresses): an insert or removal is a bisect and a memmove within one bucket -- a flat sorted list
  costs an O(n) memmove per new lease, measured 20 us per add at 100,000 leases -- and `page()`
  (HA's lease4/6-get-page, 10,000 leases per page by default) is a bisect and a few slices;
- by lower-cased hostname and subnet here, by the family's client keys in the family's class: dict
  of key -> {address: lease};
- expiry: a heap of (expire, address) with lazy invalidation. An entry is live only while the
  lease at that address has that same expire and is not yet reclaimed (state default or declined,
  as Kea's getExpiredLeases4/6: a declined lease is reclaimed when its decline-probation-period
  ends). Renewals push a new entry and leave the old one to be dropped when it reaches the top (or
  when the heap is rebuilt because stale entries outnumber live ones).

The family's class supplies the per-lease work, as methods (the hot path is add/update -> _store ->
_index/_reindex, with no layer in between): `_index(lease)` indexes a lease and records its keys,
`_unindex(address, keys)` undoes that from the recorded keys, `_reindex(lease, old_keys)` replaces
the lease at an address (by default _unindex then _index; DHCPv6 moves a lease only in the indexes
whose key changed, so lookups list leases in Kea's order). Recorded keys are a tuple whose first
item is the expiry key (expire, or -1 when already reclaimed); the rest is the family's. They are
recorded, not re-read from the lease, because a caller may have mutated the stored object before
calling update().

Ownership: add/update/upsert/load store a copy of the caller's lease (the family's copy function,
positional construction: ~10x faster than copy.copy), so a caller keeping its object cannot change
the store behind its back. Leases returned by lookups are the store's own records: read them, and to
change one build or modify a lease and call update() -- the store re-indexes from the keys it
recorded, so even a lease mutated in place is re-indexed correctly.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

from hakea.leases.model import LeaseState

__all__ = ["RECLAIMED", "MemoryLeaseStoreBase", "SortedAddresses", "bucket_remove"]

RECLAIMED = LeaseState.EXPIRED_RECLAIMED
_BUCKET = 1000


class SortedAddresses:
    """A sorted set of ints as a list of sorted buckets, each non-empty, with their maxima."""

    __slots__ = ("_buckets", "_len", "_maxes")

    def __init__(self, values: Iterable[int] = ()) -> None:
        self._buckets: list[list[int]] = []
        self._maxes: list[int] = []
        self._len = 0
        self.reset(values)

    def reset(self, values: Iterable[int]) -> None:
        ordered = sorted(set(values))
        self._buckets = [ordered[i : i + _BUCKET] for i in range(0, len(ordered), _BUCKET)]
        self._maxes = [bucket[-1] for bucket in self._buckets]
        self._len = len(ordered)

    def __len__(self) -> int:
        return self._len

    def add(self, value: int) -> None:
        """Insert `value`, which the caller knows is not present."""
        maxes = self._maxes
        if not maxes:
            self._buckets.append([value])
            maxes.append(value)
            self._len = 1
            return
        i = bisect_left(maxes, value)
        if i == len(maxes):  # beyond every bucket: append to the last one
            i -= 1
            bucket = self._buckets[i]
            bucket.append(value)
            maxes[i] = value
        else:
            bucket = self._buckets[i]
            insort(bucket, value)
        self._len += 1
        if len(bucket) > 2 * _BUCKET:
            half = bucket[_BUCKET:]
            del bucket[_BUCKET:]
            self._buckets.insert(i + 1, half)
            maxes[i] = bucket[-1]
            maxes.insert(i + 1, half[-1])

    def remove(self, value: int) -> None:
        """Remove `value`, which the caller knows is present."""
        maxes = self._maxes
        i = bisect_left(maxes, value)
        bucket = self._buckets[i]
        j = bisect_left(bucket, value)
        del bucket[j]
        self._len -= 1
        if not bucket:
            del self._buckets[i]
            del maxes[i]
        elif j == len(bucket):
            maxes[i] = bucket[-1]

    def after(self, after: int | None, limit: int) -> list[int]:
        """Up to `limit` values > after (from the smallest when None), ascending."""
        buckets = self._buckets
        if after is None:
            i, j = 0, 0
        else:
            i = bisect_right(self._maxes, after)
            if i == len(buckets):
                return []
            j = bisect_right(buckets[i], after)
        out = buckets[i][j : j + limit] if buckets else []
        i += 1
        while len(out) < limit and i < len(buckets):
            out.extend(buckets[i][: limit - len(out)])
            i += 1
        return out

    def __iter__(self) -> Iterator[int]:
        for bucket in self._buckets:
            yield from bucket

    def snapshot(self) -> list[int]:
        out: list[int] = []
        for bucket in self._buckets:
            out.extend(bucket)
        return out


class _StoredLease(Protocol):
    @property
    def address(self) -> int: ...

    @property
    def subnet_id(self) -> int: ...


L = TypeVar("L", bound=_StoredLease)
K = TypeVar("K", bound=tuple[Any, ...])  # the recorded keys: (expiry key, *family keys)


def bucket_remove(index: dict[Any, dict[int, L]], key: object, address: int) -> None:
    """Drop `address` from index[key], and the key once its bucket is empty."""
    bucket = index.get(key)
    if bucket is not None:
        bucket.pop(address, None)
        if not bucket:
            del index[key]


class MemoryLeaseStoreBase(Generic[L, K]):
    """The family-neutral part of a lease store in memory (see the module docstring). Not
    thread-safe: the daemon calls it from its event loop only.

    The family's class passes its copy function and defines `_index` and `_unindex`, and the
    lookups and changes whose keys differ (get, update, delete, get_by_<client key>)."""

    def __init__(self, copy: Callable[[L], L]) -> None:
        # The family's copy function, as an instance attribute read into a local before the call
        # (`copy = self._copy; copy(lease)`): CPython 3.11 specialises that attribute load, so the
        # call costs what a call of the module-level function does (measured within 5 ns), where
        # `self._copy(lease)` (an unspecialised method-style load) or a staticmethod cost 20-60 ns.
        self._copy = copy
        self._by_address: dict[int, L] = {}
        self._keys: dict[int, K] = {}
        self._sorted = SortedAddresses()
        self._by_hostname: dict[str, dict[int, L]] = {}
        self._by_subnet: dict[int, dict[int, L]] = {}
        self._expiry: list[tuple[int, int]] = []

    # ---- the family's per-lease work -----------------------------------------------------------

    def _index(self, lease: L) -> int:
        """Index `lease` (owned by the store) and record its keys; returns its expiry key."""
        raise NotImplementedError

    def _unindex(self, address: int, keys: K) -> None:
        """Remove the lease at `address` from the indexes `keys` (as recorded) name."""
        raise NotImplementedError

    def _reindex(self, lease: L, old_keys: K) -> int:
        """Index `lease`, which replaces the stored lease at its address (indexed under
        `old_keys`); returns its expiry key. A family overrides it to keep a lease's place in
        the indexes whose key did not change (DHCPv6: Kea's order of insertion)."""
        self._unindex(lease.address, old_keys)
        return self._index(lease)

    # ---- persistence hooks (the memfile journal overrides them; called before memory changes) --

    def _persist(self, lease: L) -> None:
        """`lease` is about to become the stored lease for its address."""

    def _persist_deletes(self, leases: list[L]) -> None:
        """These stored leases are about to be deleted."""

    def _persist_many(self, leases: list[L]) -> None:
        """These leases are about to be stored (bulk load)."""

    # ---- lookups -------------------------------------------------------------------------------

    def get_by_hostname(self, hostname: str) -> list[L]:
        # Host names compare case-insensitively (DNS, RFC 4343); Kea's lease4/6-get-by-hostname
        # lower-cases its argument. An empty hostname matches nothing.
        if not hostname:
            return []
        return self._select(self._by_hostname.get(hostname.lower()), None)

    def get_by_subnet(self, subnet_id: int) -> list[L]:
        return self._select(self._by_subnet.get(subnet_id), None)

    @staticmethod
    def _select(bucket: dict[int, L] | None, subnet_id: int | None) -> list[L]:
        if not bucket:
            return []
        # Address order, so answers do not depend on insertion history.
        if subnet_id is None:
            return [bucket[a] for a in sorted(bucket)]
        return [bucket[a] for a in sorted(bucket) if bucket[a].subnet_id == subnet_id]

    def page(self, after: int | None, limit: int) -> list[L]:
        if limit <= 0:
            return []
        by_address = self._by_address
        return [by_address[a] for a in self._sorted.after(after, limit)]

    def all(self) -> Iterator[L]:
        # Iterates over a snapshot of the addresses, so the caller may change the store meanwhile;
        # a lease deleted before it is reached is skipped.
        by_address = self._by_address
        for address in self._sorted.snapshot():
            lease = by_address.get(address)
            if lease is not None:
                yield lease

    def expired(self, now: float, limit: int) -> list[L]:
        heap = self._expiry
        keys = self._keys
        by_address = self._by_address
        found: list[L] = []
        live: list[tuple[int, int]] = []
        seen: set[int] = set()
        while heap and len(found) < limit and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            expire, address = entry
            recorded = keys.get(address)
            if recorded is None or recorded[0] != expire or address in seen:
                continue  # stale entry (deleted, renewed or reclaimed): dropped for good
            seen.add(address)
            found.append(by_address[address])
            live.append(entry)
        for entry in live:  # a query does not reclaim: the live entries go back
            heapq.heappush(heap, entry)
        return found

    def count(self) -> int:
        return len(self._by_address)

    # ---- changes -------------------------------------------------------------------------------

    def add(self, lease: L) -> bool:
        if lease.address in self._by_address:
            return False
        self._persist(lease)
        copy = self._copy  # see __init__
        self._store(copy(lease))
        return True

    def upsert(self, lease: L) -> None:
        self._persist(lease)
        copy = self._copy  # see __init__
        self._store(copy(lease))

    def wipe(self, subnet_id: int | None = None) -> int:
        """Delete every lease (of one subnet); returns how many (Kea's lease4/6-wipe)."""
        victims = list(self.all()) if subnet_id is None else self.get_by_subnet(subnet_id)
        if not victims:
            return 0
        self._persist_deletes(victims)
        for lease in victims:
            self._remove(lease.address)
        return len(victims)

    def load(self, leases: Iterable[L]) -> None:
        """Upsert many leases at once (bulk: HA sync pages, imports); one write for memfile."""
        copy = self._copy
        copies = [copy(lease) for lease in leases]
        if not copies:
            return
        self._persist_many(copies)
        self._store_many(copies)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    # ---- internals (no persistence) ------------------------------------------------------------

    def _store(self, lease: L) -> None:
        """Make `lease` (owned by the store) the lease for its address and index it."""
        address = lease.address
        old_keys = self._keys.get(address)
        self._by_address[address] = lease
        if old_keys is None:
            self._sorted.add(address)
            expiry_key = self._index(lease)
        else:
            expiry_key = self._reindex(lease, old_keys)
        # A new heap entry only when the (unreclaimed) expiry changed: the old entry stays live.
        if expiry_key >= 0 and (old_keys is None or old_keys[0] != expiry_key):
            heapq.heappush(self._expiry, (expiry_key, address))
            # Renewals leave stale entries behind; rebuild once they dominate so memory stays O(n).
            if len(self._expiry) > 2 * len(self._by_address) + 1024:
                self._rebuild_expiry()

    def _store_many(self, leases: list[L]) -> None:
        """Bulk store: one sort of the address list instead of an insort per new address."""
        if len(leases) < 64:
            for lease in leases:
                self._store(lease)
            return
        by_address = self._by_address
        keys = self._keys
        new_addresses = False
        for lease in leases:
            address = lease.address
            old_keys = keys.get(address)
            by_address[address] = lease
            if old_keys is None:
                new_addresses = True
                self._index(lease)
            else:
                self._reindex(lease, old_keys)
        if new_addresses:
            self._sorted.reset(by_address)
        self._rebuild_expiry()

    def _remove(self, address: int) -> None:
        if self._by_address.pop(address, None) is None:
            return
        self._unindex(address, self._keys.pop(address))
        self._sorted.remove(address)  # its expiry entry goes stale and is dropped lazily

    def _rebuild_expiry(self) -> None:
        self._expiry = [(k[0], a) for a, k in self._keys.items() if k[0] >= 0]
        heapq.heapify(self._expiry)
