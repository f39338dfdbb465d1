"""Free-resource search in DHCPv6 pools: addresses in address pools, prefixes in pd-pools.

Both are walked as a range of candidate indexes (an address pool's index is the address itself; a
pd-pool's index i is the prefix `prefix + i << (128 - delegated_len)`), with Kea's "iterative"
order: a cursor per pool remembers the last candidate handed out, so consecutive allocations cost
one store lookup each while the pool has free space after the cursor.

IPv6 pools can be astronomically large (a /64 holds 2**64 addresses): a walk is bounded by
`max_scan` candidates, so a pool whose next `max_scan` candidates are all taken counts as
exhausted. Pools smaller than that are walked whole, so their exhaustion is exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable

IsFree = Callable[[int], bool]

DEFAULT_MAX_SCAN = 1 << 16


class IterativeAllocator6:
    """Kea's iterative allocator, one cursor per pool key."""

    __slots__ = ("_cursor", "max_scan")

    def __init__(self, max_scan: int = DEFAULT_MAX_SCAN) -> None:
        self._cursor: dict[int, int] = {}
        self.max_scan = max_scan

    def pick(self, key: int, first: int, last: int, is_free: IsFree) -> int | None:
        """The first free index of [first, last] after this pool's cursor (wrapping), or None."""
        if last < first:
            return None
        previous = self._cursor.get(key, last)
        candidate = previous + 1 if first <= previous < last else first
        for _ in range(min(last - first + 1, self.max_scan)):
            if is_free(candidate):
                self._cursor[key] = candidate
                return candidate
            candidate = candidate + 1 if candidate < last else first
        return None

    def reset(self) -> None:
        self._cursor.clear()


class RandomAllocator6:
    """Random candidates, then a bounded walk from a random point (for "allocator": "random")."""

    __slots__ = ("_rng", "max_scan")

    def __init__(self, rng: random.Random | None = None, max_scan: int = DEFAULT_MAX_SCAN) -> None:
        self._rng = rng or random.Random()
        self.max_scan = max_scan

    def pick(self, key: int, first: int, last: int, is_free: IsFree) -> int | None:
        if last < first:
            return None
        size = last - first + 1
        randrange = self._rng.randrange
        for _ in range(min(size, 16)):
            candidate = first + randrange(size)
            if is_free(candidate):
                return candidate
        candidate = first + randrange(size)
        for _ in range(min(size, self.max_scan)):
            if is_free(candidate):
                return candidate
            candidate = candidate + 1 if candidate < last else first
        return None
