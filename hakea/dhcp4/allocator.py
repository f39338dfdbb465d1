"""Free-address search inside one pool: Kea's "iterative" and "random" allocators.

The engine supplies `is_free(address)` (no active lease, not reserved for another client, not in
decline probation); allocators only decide the order in which candidates are tried.

Iterative keeps a cursor per pool (the last address handed out, even for an OFFER, as Kea does),
so consecutive allocations cost O(1) lookups while the pool has free space after the cursor; the
pool is walked whole only when it is (nearly) exhausted. Random draws a few uniform candidates,
then walks the pool from a random point so that exhaustion is still detected exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from hakea.dhcp4.prepared import PreparedPool

IsFree = Callable[[int], bool]


class Allocator(Protocol):
    def pick(self, pool: PreparedPool, is_free: IsFree) -> int | None: ...


class IterativeAllocator:
    __slots__ = ("_cursor",)

    def __init__(self) -> None:
        self._cursor: dict[int, int] = {}

    def pick(self, pool: PreparedPool, is_free: IsFree) -> int | None:
        start, end = pool.start, pool.end
        last = self._cursor.get(pool.key, end)
        candidate = last + 1 if start <= last < end else start
        for _ in range(end - start + 1):
            if is_free(candidate):
                self._cursor[pool.key] = candidate
                return candidate
            candidate = candidate + 1 if candidate < end else start
        return None


_RANDOM_TRIES = 16


class RandomAllocator:
    __slots__ = ("_rng",)

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()

    def pick(self, pool: PreparedPool, is_free: IsFree) -> int | None:
        start, end = pool.start, pool.end
        size = end - start + 1
        randrange = self._rng.randrange
        for _ in range(min(size, _RANDOM_TRIES)):
            candidate = start + randrange(size)
            if is_free(candidate):
                return candidate
        candidate = start + randrange(size)
        for _ in range(size):
            if is_free(candidate):
                return candidate
            candidate = candidate + 1 if candidate < end else start
        return None
