"""MemoryLeaseStore6 internals: the expiry heap's housekeeping, record ownership, copies."""

from __future__ import annotations

import dataclasses

from hakea.leases.memory6 import MemoryLeaseStore6, copy_lease6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType

from .conftest import NA, NET, lease


def test_expiry_heap_is_rebuilt_when_stale_entries_dominate() -> None:
    store = MemoryLeaseStore6()
    for host in range(10):
        store.add(lease(host, cltt=0))
    for cltt in range(1, 3000):
        store.update(lease(cltt % 10, cltt=cltt))
    assert len(store._expiry) <= 2 * store.count() + 1024
    assert [x.address - NET for x in store.expired(10**9, 3)] == [0, 1, 2]


def test_returned_lease_is_the_stored_record() -> None:
    # As memory4: lookups return the store's record (no copy per lookup on the hot path).
    store = MemoryLeaseStore6()
    store.add(lease(1))
    got = store.get(NA, NET + 1)
    assert got is store.page(None, 1)[0] is store.get_by_duid(lease(1).duid)[0]


def test_copy_lease6_copies_every_field() -> None:
    values = {f.name: f for f in dataclasses.fields(Lease6)}
    declined = LeaseState.DECLINED
    original = Lease6(
        1, b"\x01", 2, 3, 4, 5, 6, LeaseType.PD, 60, True, True, "h", b"\x02", 7, 8, declined, {}
    )
    copy = copy_lease6(original)
    assert copy == original and copy is not original
    # Every field differs from its default here, so a field the copy forgot would show.
    for name, field in values.items():
        if field.default is not dataclasses.MISSING:
            assert getattr(original, name) != field.default, name
