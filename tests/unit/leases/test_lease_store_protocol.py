"""LeaseStore4 behaviour, run against every store kind (memory, memfile without and with a file)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from hakea.leases.memory4 import MemoryLeaseStore4
from hakea.leases.model import Lease4, LeaseState
from hakea.leases.store import LeaseStore4

from .conftest import NET, StoreFactory, lease


def addresses(leases: list[Lease4]) -> list[int]:
    return [x.address - NET for x in leases]


def test_memory_store_satisfies_the_protocol() -> None:
    store: LeaseStore4 = MemoryLeaseStore4()  # mypy checks the structural match
    assert store.count() == 0


def test_add_get_and_duplicate(store: LeaseStore4) -> None:
    assert store.add(lease(10))
    assert not store.add(lease(10, hw=99))
    got = store.get(NET + 10)
    assert got is not None and got.hwaddr == lease(10).hwaddr
    assert store.get(NET + 11) is None
    assert store.count() == 1


def test_store_keeps_its_own_copy(store: LeaseStore4) -> None:
    mine = lease(10)
    store.add(mine)
    mine.hwaddr = b"\x01" * 6
    mine.cltt = 5
    got = store.get(NET + 10)
    assert got is not None and got.hwaddr == lease(10).hwaddr and got.cltt == 1_000_000
    assert addresses(store.get_by_hwaddr(lease(10).hwaddr)) == [10]


def test_update_and_upsert(store: LeaseStore4) -> None:
    assert not store.update(lease(10))
    assert store.count() == 0
    store.add(lease(10))
    assert store.update(lease(10, hw=77, subnet=2, hostname="a.example"))
    assert store.get_by_hwaddr(lease(10).hwaddr) == []
    assert addresses(store.get_by_hwaddr(lease(77).hwaddr)) == [10]
    assert store.get_by_subnet(1) == []
    assert addresses(store.get_by_subnet(2)) == [10]
    store.upsert(lease(11))
    store.upsert(lease(11, cltt=2_000_000))
    got = store.get(NET + 11)
    assert got is not None and got.cltt == 2_000_000
    assert store.count() == 2


def test_update_of_a_stored_lease_mutated_in_place_reindexes(store: LeaseStore4) -> None:
    store.add(lease(10, hostname="old.example", cltt=100))
    got = store.get(NET + 10)
    assert got is not None
    got.hostname = "new.example"
    got.hwaddr = b"\x0a" * 6
    got.cltt = 50
    assert store.update(got)
    assert store.get_by_hostname("old.example") == []
    assert addresses(store.get_by_hostname("new.example")) == [10]
    assert store.get_by_hwaddr(lease(10).hwaddr) == []
    assert addresses(store.get_by_hwaddr(b"\x0a" * 6)) == [10]
    assert addresses(store.expired(50 + 3600, 10)) == [10]


def test_delete(store: LeaseStore4) -> None:
    store.add(lease(10, client_id=b"\x01\x02", hostname="h.example"))
    assert not store.delete(NET + 11)
    assert store.delete(NET + 10)
    assert not store.delete(NET + 10)
    assert store.get(NET + 10) is None
    assert store.get_by_hwaddr(lease(10).hwaddr) == []
    assert store.get_by_client_id(b"\x01\x02") == []
    assert store.get_by_hostname("h.example") == []
    assert store.get_by_subnet(1) == []
    assert store.page(None, 10) == []
    assert store.expired(10**10, 10) == []
    assert store.count() == 0


def test_secondary_indexes(store: LeaseStore4) -> None:
    store.add(lease(1, hw=5, client_id=b"\x01\xaa", subnet=1, hostname="Host.Example"))
    store.add(lease(3, hw=5, client_id=b"\x01\xaa", subnet=2))
    store.add(lease(2, hw=5, subnet=1, hostname="host.example"))
    store.add(lease(4, hw=6, client_id=b"\x01\xbb", subnet=2))
    hw5 = lease(5).hwaddr
    assert addresses(store.get_by_hwaddr(hw5)) == [1, 2, 3]
    assert addresses(store.get_by_hwaddr(hw5, 1)) == [1, 2]
    assert addresses(store.get_by_hwaddr(hw5, 3)) == []
    assert addresses(store.get_by_client_id(b"\x01\xaa")) == [1, 3]
    assert addresses(store.get_by_client_id(b"\x01\xaa", 2)) == [3]
    assert store.get_by_client_id(b"") == []
    assert addresses(store.get_by_hostname("HOST.example")) == [1, 2]
    assert store.get_by_hostname("") == []
    assert addresses(store.get_by_subnet(2)) == [3, 4]
    assert store.get_by_subnet(9) == []


def test_wipe(store: LeaseStore4) -> None:
    for host in range(10):
        store.add(lease(host, subnet=1 + host % 2))
    assert store.wipe(2) == 5
    assert addresses(list(store.all())) == [0, 2, 4, 6, 8]
    assert store.wipe(7) == 0
    assert store.wipe() == 5
    assert store.count() == 0


def test_page_bounds(store: LeaseStore4) -> None:
    for host in (5, 1, 9, 3):
        store.add(lease(host))
    assert addresses(store.page(None, 10)) == [1, 3, 5, 9]
    assert addresses(store.page(None, 2)) == [1, 3]
    assert addresses(store.page(NET + 3, 10)) == [5, 9]
    assert addresses(store.page(NET + 4, 1)) == [5]
    assert store.page(NET + 9, 10) == []
    assert store.page(None, 0) == []
    assert addresses(store.page(0, 10)) == [1, 3, 5, 9]


def test_paging_25000_in_pages_of_10000_with_interleaved_adds(make_store: StoreFactory) -> None:
    store = make_store()
    rng = random.Random(7)
    hosts = rng.sample(range(0, 200_000, 2), 25_000)  # even offsets; odd ones are added meanwhile
    store.load(lease(h) for h in hosts)
    extra = iter(rng.sample(range(1, 200_000, 2), 5_000))
    seen: list[int] = []
    after: int | None = None
    pages = 0
    while True:
        page = store.page(after, 10_000)
        if not page:
            break
        pages += 1
        seen.extend(x.address for x in page)
        after = page[-1].address
        for _ in range(1_000):  # adds land on both sides of the cursor
            store.add(lease(next(extra)))
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen))
    assert {NET + h for h in hosts} <= set(seen)  # every lease present throughout was returned
    assert pages >= 3


def test_all_in_address_order_and_safe_to_modify_meanwhile(store: LeaseStore4) -> None:
    for host in (4, 2, 8, 6):
        store.add(lease(host))
    out = []
    for x in store.all():
        out.append(x.address - NET)
        store.delete(NET + 6)
        store.add(lease(7))
    assert out == [2, 4, 8]


def test_expired_oldest_first_limited_and_not_consumed(store: LeaseStore4) -> None:
    store.add(lease(1, cltt=300, valid=100))  # expires 400
    store.add(lease(2, cltt=100, valid=100))  # 200
    store.add(lease(3, cltt=200, valid=100))  # 300
    store.add(lease(4, cltt=900, valid=100))  # 1000
    store.add(lease(5, cltt=0, valid=100, state=LeaseState.EXPIRED_RECLAIMED))  # never again
    store.add(lease(6, cltt=50, valid=200, state=LeaseState.DECLINED))  # probation ends at 250
    assert addresses(store.expired(400, 10)) == [2, 6, 3, 1]  # expire <= now
    assert addresses(store.expired(399.5, 10)) == [2, 6, 3]
    assert addresses(store.expired(400, 2)) == [2, 6]
    assert addresses(store.expired(400, 2)) == [2, 6]  # a query reclaims nothing
    assert store.expired(400, 0) == []
    # Renewal moves a lease out; reclamation (state change) and deletion remove it.
    store.update(lease(2, cltt=1000, valid=100))
    store.update(lease(3, cltt=200, valid=100, state=LeaseState.EXPIRED_RECLAIMED))
    store.update(lease(6, cltt=50, valid=200, state=LeaseState.EXPIRED_RECLAIMED))
    store.delete(NET + 1)
    assert store.expired(400, 10) == []
    assert addresses(store.expired(1100, 10)) == [4, 2]
    # Back to the default state: expirable again.
    store.update(lease(3, cltt=200, valid=100))
    assert addresses(store.expired(1100, 10)) == [3, 4, 2]


def test_expired_survives_many_renewals(store: LeaseStore4) -> None:
    for host in range(50):
        store.add(lease(host, cltt=host))
    for round_ in range(1, 60):
        for host in range(50):
            store.update(lease(host, cltt=round_ * 100 + host))
    assert addresses(store.expired(10**9, 100)) == list(range(50))
    assert addresses(store.expired(5900 + 3600 + 9, 100)) == list(range(10))


def test_load_upserts(store: LeaseStore4) -> None:
    store.add(lease(1, hostname="old.example"))
    store.load([lease(1, hostname="new.example"), *[lease(h) for h in range(2, 200)], lease(5, hw=555)])
    assert store.count() == 199
    assert store.get_by_hwaddr(lease(5).hwaddr) == []  # the later duplicate in one batch wins
    assert addresses(store.get_by_hwaddr(lease(555).hwaddr)) == [5]
    assert store.get_by_hostname("old.example") == []
    assert addresses(store.get_by_hostname("new.example")) == [1]
    assert addresses(store.page(None, 3)) == [1, 2, 3]
    store.load([lease(1000), lease(0)])  # the small-batch path
    assert addresses(store.page(None, 2)) == [0, 1]
    assert addresses(store.expired(10**9, 2)) == [0, 1]
    store.load([])
    assert store.count() == 201
    store.flush()


_ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "update", "upsert", "delete", "load", "wipe"]),
        st.integers(0, 40),  # host
        st.integers(0, 3),  # hw
        st.integers(1, 3),  # subnet
        st.integers(0, 50),  # cltt
        st.sampled_from(list(LeaseState)),
    ),
    max_size=80,
)


@settings(max_examples=60, deadline=None)
@given(_ops)
def test_indexes_agree_with_a_brute_force_model(
    ops: list[tuple[str, int, int, int, int, LeaseState]],
) -> None:
    store = MemoryLeaseStore4()
    model: dict[int, Lease4] = {}
    for op, host, hw, subnet, cltt, state in ops:
        x = lease(host, hw=hw, subnet=subnet, cltt=cltt, valid=10, hostname=f"h{hw}", state=state)
        x.client_id = bytes([hw % 2])
        if op == "add":
            assert store.add(x) == (x.address not in model)
            model.setdefault(x.address, x)
        elif op == "update":
            assert store.update(x) == (x.address in model)
            if x.address in model:
                model[x.address] = x
        elif op in ("upsert", "load"):
            store.upsert(x) if op == "upsert" else store.load([x])
            model[x.address] = x
        elif op == "delete":
            assert store.delete(x.address) == (model.pop(x.address, None) is not None)
        else:
            gone = [a for a, y in model.items() if y.subnet_id == subnet]
            assert store.wipe(subnet) == len(gone)
            for a in gone:
                del model[a]
    ordered = sorted(model.values(), key=lambda y: y.address)
    assert list(store.all()) == ordered
    assert store.page(None, 1000) == ordered
    assert store.count() == len(model)
    for hw in range(4):
        hwaddr = lease(0, hw=hw).hwaddr
        assert store.get_by_hwaddr(hwaddr) == [y for y in ordered if y.hwaddr == hwaddr]
        assert store.get_by_hwaddr(hwaddr, 2) == [
            y for y in ordered if y.hwaddr == hwaddr and y.subnet_id == 2
        ]
        assert store.get_by_hostname(f"H{hw}") == [y for y in ordered if y.hostname == f"h{hw}"]
    for cid in (b"\x00", b"\x01"):
        assert store.get_by_client_id(cid) == [y for y in ordered if y.client_id == cid]
    for subnet in (1, 2, 3):
        assert store.get_by_subnet(subnet) == [y for y in ordered if y.subnet_id == subnet]
    for now in (0, 20, 40, 70):
        due = sorted(
            (y for y in ordered if y.state != LeaseState.EXPIRED_RECLAIMED and y.expire <= now),
            key=lambda y: (y.expire, y.address),
        )
        assert store.expired(now, 1000) == due
