"""LeaseStore6 behaviour, run against every store kind (memory, memfile without and with a file)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from hakea.leases.memfile6 import MemfileLeaseStore6
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType
from hakea.leases.store6 import LeaseStore6

from .conftest import NA, NET, PD, PD_NET, StoreFactory, lease


def hosts(leases: list[Lease6]) -> list[int]:
    """NA leases as their host number, PD leases as ("pd", number)."""
    return [x.address - NET if x.type == NA else 1000 + ((x.address - PD_NET) >> 72) for x in leases]


def test_stores_satisfy_the_protocol(tmp_path: object) -> None:
    memory: LeaseStore6 = MemoryLeaseStore6()  # mypy checks the structural match
    memfile: LeaseStore6 = MemfileLeaseStore6("unused.csv", persist=False)
    assert memory.count() == memfile.count() == 0


def test_add_get_by_type_and_duplicates(store: LeaseStore6) -> None:
    assert store.add(lease(10))
    assert store.add(lease(1, type=PD))
    assert not store.add(lease(10, duid=99))
    got = store.get(NA, NET + 10)
    assert got is not None and got.duid == lease(10).duid and got.prefix_len == 128
    pd = store.get(PD, PD_NET + (1 << 72))
    assert pd is not None and pd.prefix_len == 56 and pd.type == PD
    assert store.get(PD, NET + 10) is None  # the address holds an IA_NA lease
    assert store.get(NA, PD_NET + (1 << 72)) is None
    assert store.get(NA, NET + 11) is None
    assert store.count() == 2


def test_one_lease_per_address_whatever_the_type(store: LeaseStore6) -> None:
    # Kea 2.2's memfile keys leases by address alone (see store6.py).
    na = lease(10)
    pd_same_address = lease(0, type=PD, duid=7)
    pd_same_address.address = na.address
    store.add(na)
    assert not store.add(pd_same_address)
    assert not store.update(pd_same_address)  # no IA_PD lease there to update
    assert not store.delete(PD, na.address)
    assert store.get(NA, na.address) is not None
    store.upsert(pd_same_address)  # replaces, as a journal replay would
    assert store.get(NA, na.address) is None
    got = store.get(PD, na.address)
    assert got is not None and got.duid == pd_same_address.duid
    assert store.get_by_duid(na.duid) == []
    assert store.count() == 1


def test_store_keeps_its_own_copy(store: LeaseStore6) -> None:
    mine = lease(10)
    store.add(mine)
    mine.duid = b"\x01" * 6
    mine.cltt = 5
    got = store.get(NA, NET + 10)
    assert got is not None and got.duid == lease(10).duid and got.cltt == 1_000_000
    assert hosts(store.get_by_duid(lease(10).duid)) == [10]


def test_update_and_upsert(store: LeaseStore6) -> None:
    assert not store.update(lease(10))
    assert store.count() == 0
    store.add(lease(10))
    assert store.update(lease(10, duid=77, subnet=2, hostname="a.example", iaid=5))
    assert store.get_by_duid(lease(10).duid) == []
    assert hosts(store.get_by_duid(lease(77).duid)) == [10]
    assert hosts(store.get_by_duid(lease(77).duid, iaid=5)) == [10]
    assert store.get_by_subnet(1) == []
    assert hosts(store.get_by_subnet(2)) == [10]
    store.upsert(lease(11))
    store.upsert(lease(11, cltt=2_000_000))
    got = store.get(NA, NET + 11)
    assert got is not None and got.cltt == 2_000_000
    assert store.count() == 2


def test_update_of_a_stored_lease_mutated_in_place_reindexes(store: LeaseStore6) -> None:
    store.add(lease(10, hostname="old.example", cltt=100))
    got = store.get(NA, NET + 10)
    assert got is not None
    got.hostname = "new.example"
    got.duid = b"\x0a" * 6
    got.cltt = 50
    assert store.update(got)
    assert store.get_by_hostname("old.example") == []
    assert hosts(store.get_by_hostname("new.example")) == [10]
    assert store.get_by_duid(lease(10).duid) == []
    assert hosts(store.get_by_duid(b"\x0a" * 6)) == [10]
    assert hosts(store.expired(50 + 3600, 10)) == [10]


def test_delete_by_type_and_address(store: LeaseStore6) -> None:
    store.add(lease(10, hostname="h.example"))
    store.add(lease(2, type=PD))
    assert not store.delete(NA, NET + 11)
    assert not store.delete(PD, NET + 10)  # wrong type: kept (Kea: "IPv6 lease not found.")
    assert store.delete(NA, NET + 10)
    assert not store.delete(NA, NET + 10)
    assert store.delete(PD, PD_NET + (2 << 72))
    assert store.get(NA, NET + 10) is None
    assert store.get_by_duid(lease(10).duid) == []
    assert store.get_by_hostname("h.example") == []
    assert store.get_by_subnet(1) == []
    assert store.page(None, 10) == []
    assert store.expired(10**10, 10) == []
    assert store.count() == 0


def test_get_by_duid_narrows_by_iaid_type_and_subnet(store: LeaseStore6) -> None:
    client = 5
    store.add(lease(3, duid=client, iaid=1, subnet=1))
    store.add(lease(1, duid=client, iaid=1, subnet=1))
    store.add(lease(2, duid=client, iaid=2, subnet=2))
    store.add(lease(4, duid=client, iaid=1, subnet=1, type=PD))
    store.add(lease(9, duid=6, iaid=1))
    duid = lease(0, duid=client).duid
    assert hosts(store.get_by_duid(duid)) == [3, 1, 2, 1004]  # Kea's order (as added), both types
    assert hosts(store.get_by_duid(duid, iaid=1)) == [3, 1, 1004]
    assert hosts(store.get_by_duid(duid, iaid=1, type=NA)) == [3, 1]
    assert hosts(store.get_by_duid(duid, iaid=1, type=PD)) == [1004]
    assert hosts(store.get_by_duid(duid, type=NA, subnet_id=2)) == [2]
    assert hosts(store.get_by_duid(duid, iaid=2, subnet_id=1)) == []
    assert store.get_by_duid(b"\x09\x09") == []
    assert store.get_by_duid(b"") == []


def test_lookups_list_leases_in_keas_order(store: LeaseStore6) -> None:
    # kea-dhcp6 2.2.0's memfile: leases in the order they got their DUID / hostname / subnet; an
    # update with the same key keeps the lease's place, a changed key puts it last.
    for host in (30, 20, 25):
        store.add(lease(host, duid=5, subnet=1, hostname="a"))
    assert hosts(store.get_by_subnet(1)) == [30, 20, 25]
    assert store.update(lease(30, duid=5, subnet=1, hostname="A", valid=99))
    assert hosts(store.get_by_duid(lease(0, duid=5).duid)) == [30, 20, 25]
    assert hosts(store.get_by_hostname("a")) == [30, 20, 25]
    assert store.update(lease(20, duid=6, subnet=2, hostname="b"))
    assert store.update(lease(20, duid=5, subnet=1, hostname="a"))
    assert hosts(store.get_by_duid(lease(0, duid=5).duid)) == [30, 25, 20]
    assert hosts(store.get_by_hostname("A")) == [30, 25, 20]
    assert hosts(store.get_by_subnet(1)) == [30, 25, 20]
    store.upsert(lease(30, duid=5, subnet=1, hostname="a"))
    assert hosts(store.get_by_subnet(1)) == [30, 25, 20]
    assert store.delete(NA, NET + 25)
    store.add(lease(25, duid=5, subnet=1, hostname="a"))
    assert hosts(store.get_by_subnet(1)) == [30, 20, 25]


def test_declined_leases_share_keas_empty_duid(store: LeaseStore6) -> None:
    for host in range(3):
        x = lease(host, state=LeaseState.DECLINED, preferred=0, valid=86400)
        x.duid = b"\x00"
        store.add(x)
    assert hosts(store.get_by_duid(b"\x00")) == [0, 1, 2]
    assert store.delete(NA, NET + 1)
    assert hosts(store.get_by_duid(b"\x00", type=NA)) == [0, 2]


def test_hostname_and_subnet_indexes(store: LeaseStore6) -> None:
    store.add(lease(1, subnet=1, hostname="Host.Example"))
    store.add(lease(3, subnet=2))
    store.add(lease(2, subnet=1, hostname="host.example"))
    store.add(lease(4, subnet=2, type=PD, hostname="HOST.example"))
    assert hosts(store.get_by_hostname("HOST.example")) == [1, 2, 1004]
    assert store.get_by_hostname("") == []
    assert store.get_by_hostname("other") == []
    assert hosts(store.get_by_subnet(2)) == [3, 1004]
    assert store.get_by_subnet(9) == []


def test_wipe(store: LeaseStore6) -> None:
    for host in range(10):
        store.add(lease(host, subnet=1 + host % 2, type=PD if host > 6 else NA))
    assert store.wipe(2) == 5
    assert hosts(list(store.all())) == [0, 2, 4, 6, 1008]
    assert store.wipe(7) == 0
    assert store.wipe() == 5
    assert store.count() == 0


def test_page_orders_addresses_and_prefixes_together(store: LeaseStore6) -> None:
    # Kea 2.2's lease6-get-page: one address order over IA_NA and IA_PD ("from" is an address).
    for host in (5, 1, 9, 3):
        store.add(lease(host))
    store.add(lease(2, type=PD))
    store.add(lease(1, type=PD))
    assert hosts(store.page(None, 10)) == [1, 3, 5, 9, 1001, 1002]
    assert hosts(store.page(None, 2)) == [1, 3]
    assert hosts(store.page(NET + 3, 10)) == [5, 9, 1001, 1002]
    assert hosts(store.page(NET + 4, 1)) == [5]  # "from" need not be a lease
    assert hosts(store.page(NET + 9, 3)) == [1001, 1002]
    assert hosts(store.page(PD_NET + (1 << 72), 3)) == [1002]
    assert store.page(PD_NET + (2 << 72), 10) == []
    assert store.page(2**128 - 1, 10) == []
    assert store.page(None, 0) == []
    assert hosts(store.page(0, 10)) == [1, 3, 5, 9, 1001, 1002]


def test_paging_25000_in_pages_of_10000_with_interleaved_adds(make_store: StoreFactory) -> None:
    store = make_store()
    rng = random.Random(7)
    picks = rng.sample(range(0, 200_000, 2), 25_000)  # even numbers; odd ones are added meanwhile
    store.load(lease(h, type=PD if h % 4 == 0 else NA) for h in picks)
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
            h = next(extra)
            store.add(lease(h, type=PD if h % 3 == 0 else NA))
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen))
    wanted = {lease(h, type=PD if h % 4 == 0 else NA).address for h in picks}
    assert wanted <= set(seen)  # every lease present throughout was returned
    assert pages >= 3


def test_all_in_address_order_and_safe_to_modify_meanwhile(store: LeaseStore6) -> None:
    for host in (4, 2, 8, 6):
        store.add(lease(host))
    out = []
    for x in store.all():
        out.append(x.address - NET)
        store.delete(NA, NET + 6)
        store.add(lease(7))
    assert out == [2, 4, 8]


def test_expired_oldest_first_limited_and_not_consumed(store: LeaseStore6) -> None:
    store.add(lease(1, cltt=300, valid=100))  # expires 400
    store.add(lease(2, cltt=100, valid=100))  # 200
    store.add(lease(3, cltt=200, valid=100, type=PD))  # 300
    store.add(lease(4, cltt=900, valid=100))  # 1000
    store.add(lease(5, cltt=0, valid=100, state=LeaseState.EXPIRED_RECLAIMED))  # never again
    store.add(lease(6, cltt=50, valid=200, preferred=0, state=LeaseState.DECLINED))  # probation: 250
    assert hosts(store.expired(400, 10)) == [2, 6, 1003, 1]  # expire <= now
    assert hosts(store.expired(399.5, 10)) == [2, 6, 1003]
    assert hosts(store.expired(400, 2)) == [2, 6]
    assert hosts(store.expired(400, 2)) == [2, 6]  # a query reclaims nothing
    assert store.expired(400, 0) == []
    # Renewal moves a lease out; reclamation (state change) and deletion remove it.
    store.update(lease(2, cltt=1000, valid=100))
    store.update(lease(3, cltt=200, valid=100, type=PD, state=LeaseState.EXPIRED_RECLAIMED))
    store.update(lease(6, cltt=50, valid=200, preferred=0, state=LeaseState.EXPIRED_RECLAIMED))
    store.delete(NA, NET + 1)
    assert store.expired(400, 10) == []
    assert hosts(store.expired(1100, 10)) == [4, 2]
    store.update(lease(3, cltt=200, valid=100, type=PD))  # back to default: expirable again
    assert hosts(store.expired(1100, 10)) == [1003, 4, 2]


def test_expired_survives_many_renewals(store: LeaseStore6) -> None:
    for host in range(50):
        store.add(lease(host, cltt=host))
    for round_ in range(1, 60):
        for host in range(50):
            store.update(lease(host, cltt=round_ * 100 + host))
    assert hosts(store.expired(10**9, 100)) == list(range(50))
    assert hosts(store.expired(5900 + 3600 + 9, 100)) == list(range(10))


def test_load_upserts(store: LeaseStore6) -> None:
    store.add(lease(1, hostname="old.example"))
    store.load([lease(1, hostname="new.example"), *[lease(h) for h in range(2, 200)], lease(5, duid=555)])
    assert store.count() == 199
    assert store.get_by_duid(lease(5).duid) == []  # the later duplicate in one batch wins
    assert hosts(store.get_by_duid(lease(555).duid)) == [5]
    assert store.get_by_hostname("old.example") == []
    assert hosts(store.get_by_hostname("new.example")) == [1]
    assert hosts(store.page(None, 3)) == [1, 2, 3]
    store.load([lease(1000), lease(0), lease(3, type=PD)])  # the small-batch path
    assert hosts(store.page(None, 2)) == [0, 1]
    assert hosts(store.expired(10**9, 2)) == [0, 1]
    store.load([])
    assert store.count() == 202
    store.flush()


_ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "update", "upsert", "delete", "load", "wipe"]),
        st.integers(0, 30),  # host
        st.sampled_from([NA, PD]),
        st.integers(0, 3),  # duid
        st.integers(1, 3),  # subnet
        st.integers(0, 50),  # cltt
        st.sampled_from(list(LeaseState)),
    ),
    max_size=80,
)


@settings(max_examples=60, deadline=None)
@given(_ops)
def test_indexes_agree_with_a_brute_force_model(
    ops: list[tuple[str, int, LeaseType, int, int, int, LeaseState]],
) -> None:
    store = MemoryLeaseStore6()
    model: dict[int, Lease6] = {}
    # Kea's order in the DUID / hostname / subnet lookups: when the lease at each address got the
    # key it has in that index (a replacement with the same key keeps its place).
    stamps = iter(range(10**6))
    placed: dict[str, dict[int, tuple[object, int]]] = {"duid": {}, "hostname": {}, "subnet": {}}

    def place(y: Lease6) -> None:
        for index, key in (("duid", y.duid), ("hostname", y.hostname.lower()), ("subnet", y.subnet_id)):
            old = placed[index].get(y.address)
            if old is None or old[0] != key:
                placed[index][y.address] = (key, next(stamps))

    def unplace(address: int) -> None:
        for index in placed.values():
            index.pop(address, None)

    def in_keas_order(index: str, leases: list[Lease6]) -> list[Lease6]:
        return sorted(leases, key=lambda y: placed[index][y.address][1])

    for op, host, kind, duid, subnet, cltt, state in ops:
        x = lease(host, duid=duid, subnet=subnet, cltt=cltt, valid=10, hostname=f"h{duid}", state=state)
        x.type = kind  # same address for both types: exercises the one-lease-per-address rule
        x.iaid = host % 2
        held = model.get(x.address)
        if op == "add":
            assert store.add(x) == (held is None)
            if held is None:
                model[x.address] = x
                place(x)
        elif op == "update":
            same = held is not None and held.type == kind
            assert store.update(x) == same
            if same:
                model[x.address] = x
                place(x)
        elif op in ("upsert", "load"):
            store.upsert(x) if op == "upsert" else store.load([x])
            model[x.address] = x
            place(x)
        elif op == "delete":
            same = held is not None and held.type == kind
            assert store.delete(kind, x.address) == same
            if same:
                del model[x.address]
                unplace(x.address)
        else:
            gone = [a for a, y in model.items() if y.subnet_id == subnet]
            assert store.wipe(subnet) == len(gone)
            for a in gone:
                del model[a]
                unplace(a)
    ordered = sorted(model.values(), key=lambda y: y.address)
    assert list(store.all()) == ordered
    assert store.page(None, 1000) == ordered
    assert store.count() == len(model)
    for y in ordered:
        assert store.get(y.type, y.address) == y
        assert store.get(NA if y.type == PD else PD, y.address) is None
    for d in range(4):
        key = lease(0, duid=d).duid
        mine = in_keas_order("duid", [y for y in ordered if y.duid == key])
        assert store.get_by_duid(key) == mine
        assert store.get_by_duid(key, iaid=1, type=PD) == [y for y in mine if y.iaid == 1 and y.type == PD]
        assert store.get_by_duid(key, subnet_id=2) == [y for y in mine if y.subnet_id == 2]
        named = in_keas_order("hostname", [y for y in ordered if y.hostname == f"h{d}"])
        assert store.get_by_hostname(f"H{d}") == named
    for subnet in (1, 2, 3):
        in_subnet = in_keas_order("subnet", [y for y in ordered if y.subnet_id == subnet])
        assert store.get_by_subnet(subnet) == in_subnet
    for now in (0, 20, 40, 70):
        due = sorted(
            (y for y in ordered if y.state != LeaseState.EXPIRED_RECLAIMED and y.expire <= now),
            key=lambda y: (y.expire, y.address),
        )
        assert store.expired(now, 1000) == due
