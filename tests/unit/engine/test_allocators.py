"""Iterative and random allocators, including the cost of a search in a large, busy pool."""

from __future__ import annotations

import time
from random import Random

from hakea.config.model import Pool4
from hakea.dhcp4.allocator import IterativeAllocator, RandomAllocator
from hakea.dhcp4.prepared import PreparedPool
from hakea.leases.model import Lease4

from .builders import NOW, config, direct_meta, discover, dora, ip, mac, make_engine, subnet, txt


def _pool(start: str, end: str, key: int = 0) -> PreparedPool:
    p = Pool4(ip(start), ip(end))
    return PreparedPool(p, key, p.start, p.end, None, (), (), {})


def test_iterative_walks_from_its_cursor_and_wraps() -> None:
    alloc = IterativeAllocator()
    p = _pool("10.0.0.1", "10.0.0.4")
    taken = {ip("10.0.0.2")}
    got = [alloc.pick(p, lambda a: a not in taken) for _ in range(4)]
    assert [txt(a) for a in got if a is not None] == ["10.0.0.1", "10.0.0.3", "10.0.0.4", "10.0.0.1"]
    assert alloc.pick(p, lambda a: False) is None


def test_random_allocator_stays_in_the_pool_and_finds_the_last_free_address() -> None:
    alloc = RandomAllocator(Random(7))
    p = _pool("10.0.0.0", "10.0.0.255")
    got = {alloc.pick(p, lambda a: True) for _ in range(50)}
    assert all(a is not None and ip("10.0.0.0") <= a <= ip("10.0.0.255") for a in got)
    assert len(got) > 30  # spread out, not sequential
    last = ip("10.0.0.77")
    assert alloc.pick(p, lambda a: a == last) == last
    assert alloc.pick(p, lambda a: False) is None


def test_random_allocator_from_config() -> None:
    s = subnet(1, "10.0.0.0/16", "10.0.0.0 - 10.0.255.255", allocator="random")
    engine, _store = make_engine(config(s), seed=11)
    addresses = []
    for n in range(20):
        _, ack = dora(engine, mac(n), meta=direct_meta("eth0", "10.0.0.1"))
        assert ack.reply is not None
        addresses.append(ack.reply.yiaddr)
    assert len(set(addresses)) == 20 and addresses != sorted(addresses)
    engine, _ = make_engine(config(subnet(1, "10.0.0.0/16", "10.0.0.0 - 10.0.255.255"), allocator="random"))
    firsts = [engine.process(discover(mac(n)), NOW, direct_meta("eth0", "10.0.0.1")) for n in range(5)]
    assert any(d.reply is not None and d.reply.yiaddr != ip("10.0.0.0") + n for n, d in enumerate(firsts))


def test_free_address_search_in_a_busy_slash8_is_o1_per_allocation() -> None:
    s = subnet(1, "10.0.0.0/8", "10.0.0.1 - 10.255.255.254", valid_lifetime=3600)
    engine, store = make_engine(config(s))
    base = ip("10.0.0.1")
    # 30,000 leases keep the test fast; bench/bench_engine.py measures the same with 100,000.
    busy = 30_000
    store.load(Lease4(base + i, i.to_bytes(6, "big"), b"", 3600, int(NOW), 1) for i in range(busy))
    calls = 0
    real_get = store.get

    def counting_get(address: int) -> Lease4 | None:
        nonlocal calls
        calls += 1
        return real_get(address)

    store.get = counting_get  # type: ignore[method-assign]
    meta = direct_meta("eth0", "10.0.0.1")
    # First allocation walks the occupied run once (like Kea's cursor starting at the pool start).
    first = engine.process(discover(b"\xaa" * 6), NOW, meta)
    assert first.reply is not None and first.reply.yiaddr == base + busy
    assert calls < busy + 10
    calls = 0
    t0 = time.perf_counter()
    for n in range(1000):
        _, ack = dora(engine, b"\xbb" + n.to_bytes(5, "big"), meta=meta)
        assert ack.reply is not None
    elapsed = time.perf_counter() - t0
    # A handful of lookups per allocation, not a scan of the pool.
    assert calls / 1000 < 10, calls
    assert elapsed < 2.0
