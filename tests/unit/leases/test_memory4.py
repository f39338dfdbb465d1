"""MemoryLeaseStore4 internals: the bucketed address order and the expiry heap's housekeeping."""

from __future__ import annotations

import random

from hakea.leases.memory4 import _BUCKET, MemoryLeaseStore4, SortedAddresses

from .conftest import NET, lease


def test_sorted_addresses_splits_and_merges_buckets_correctly() -> None:
    rng = random.Random(3)
    values = SortedAddresses()
    model: set[int] = set()
    for step in range(12 * _BUCKET):
        if model and rng.random() < 0.3:
            v = rng.choice(sorted(model)) if step % 500 == 0 else next(iter(model))
            values.remove(v)
            model.discard(v)
        else:
            v = rng.randrange(10**6)
            if v not in model:
                values.add(v)
                model.add(v)
    ordered = sorted(model)
    assert list(values) == ordered == values.snapshot()
    assert len(values) == len(ordered)
    assert max(len(b) for b in values._buckets) <= 2 * _BUCKET
    assert values._maxes == [b[-1] for b in values._buckets]
    for after in (None, -1, ordered[0], ordered[len(ordered) // 2], ordered[-1] - 1, ordered[-1], 10**7):
        start = 0 if after is None else sum(1 for v in ordered if v <= after)
        assert values.after(after, 2500) == ordered[start : start + 2500]
    assert values.after(None, 0) == []


def test_sorted_addresses_ascending_inserts_and_empty() -> None:
    values = SortedAddresses()
    assert values.after(None, 5) == [] and values.after(3, 5) == []
    for v in range(5 * _BUCKET):
        values.add(v)
    assert values.after(4 * _BUCKET, 3) == [4 * _BUCKET + 1, 4 * _BUCKET + 2, 4 * _BUCKET + 3]
    for v in range(5 * _BUCKET):
        values.remove(v)
    assert len(values) == 0 and values._buckets == [] and values.after(None, 5) == []


def test_expiry_heap_is_rebuilt_when_stale_entries_dominate() -> None:
    store = MemoryLeaseStore4()
    for host in range(10):
        store.add(lease(host, cltt=0))
    for cltt in range(1, 3000):
        store.update(lease(cltt % 10, cltt=cltt))
    assert len(store._expiry) <= 2 * store.count() + 1024
    assert [x.address - NET for x in store.expired(10**9, 3)] == [0, 1, 2]


def test_returned_lease_is_the_stored_record() -> None:
    # Documented: lookups return the store's record (no copy per lookup on the hot path).
    store = MemoryLeaseStore4()
    store.add(lease(1))
    assert store.get(NET + 1) is store.page(None, 1)[0]
