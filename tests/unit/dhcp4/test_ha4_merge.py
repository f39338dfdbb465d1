"""hakea.server.ha4.merge_page: the bulk form of HA's sync merge rule gives what merge_leases4 gives."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hakea.ha.sync import merge_leases4
from hakea.leases.csv4 import read_file
from hakea.leases.memfile4 import MemfileLeaseStore4
from hakea.leases.model import Lease4
from hakea.server.ha4 import merge_page

BASE = 0x0A000000


def lease(offset: int, cltt: int, mac: int) -> Lease4:
    return Lease4(BASE + offset, bytes([2, 0, 0, 0, 0, mac]), b"", 3600, cltt, 1)


leases = st.lists(
    st.builds(lease, st.integers(0, 30), st.integers(1_000, 1_010), st.integers(0, 255)), max_size=40
)


def snapshot(store: MemfileLeaseStore4) -> list[Lease4]:
    return list(store.all())


@settings(max_examples=60, deadline=None)
@given(local=leases, page=leases)
def test_same_store_and_counts_as_the_lease_by_lease_merge(
    tmp_path_factory: object, local: list[Lease4], page: list[Lease4]
) -> None:
    d = Path(tmp_path_factory.mktemp("m"))  # type: ignore[attr-defined]
    one, bulk = MemfileLeaseStore4(d / "one.csv"), MemfileLeaseStore4(d / "bulk.csv")
    for store in (one, bulk):
        store.load(local)
    expected = merge_leases4(one, page)
    got = merge_page(bulk, page)
    assert (got.inserted, got.updated, got.skipped) == (expected.inserted, expected.updated, expected.skipped)
    assert snapshot(bulk) == snapshot(one)
    one.close()
    bulk.close()
    # The journal holds the merged state too (what a restart reads back).
    state, _ = read_file(str(d / "bulk.csv"))
    assert {a: x for a, x in state.items() if x is not None} == {x.address: x for x in snapshot(bulk)}


def test_a_newer_local_lease_is_kept(tmp_path: Path) -> None:
    store = MemfileLeaseStore4(tmp_path / "l.csv")
    store.load([lease(1, 2_000, 1)])
    counts = merge_page(store, [lease(1, 1_000, 9), lease(2, 1_000, 9)])
    assert (counts.inserted, counts.updated, counts.skipped) == (1, 0, 1)
    got = store.get(BASE + 1)
    assert got is not None and got.cltt == 2_000 and got.hwaddr[-1] == 1
    store.close()
