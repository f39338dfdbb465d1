"""Expired lease reclamation and the flush of reclaimed leases."""

from __future__ import annotations

from dataclasses import replace

from hakea.config.model import ExpiredLeasesProcessing
from hakea.dhcp4.reclaim import reclaim_stats
from hakea.leases.model import Lease4, LeaseState

from .builders import NOW, config, direct_meta, discover, dora, ip, mac, make_engine, subnet, txt

LAN = subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20", valid_lifetime=100)


def test_expired_leases_are_reclaimed_and_keep_their_client() -> None:
    engine, store = make_engine(config(LAN))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    assert engine.reclaim_expired(NOW + 99) == []
    changes = engine.reclaim_expired(NOW + 100)
    assert [c.kind for c in changes] == ["reclaimed"]
    lease = store.get(ack.reply.yiaddr)
    assert lease is not None and lease.state == LeaseState.EXPIRED_RECLAIMED
    assert lease.hwaddr == mac(1) and lease.hostname == ""
    assert changes[0].lease == lease and changes[0].old is not None
    assert reclaim_stats(changes) == [
        ("reclaimed-leases", 1), ("subnet[1].reclaimed-leases", 1), ("subnet[1].assigned-addresses", -1),
    ]  # fmt: skip
    assert engine.reclaim_expired(NOW + 200) == []  # reclaimed once
    # Lease affinity: the client gets its address back.
    o = engine.process(discover(mac(1)), NOW + 300, direct_meta())
    assert o.reply is not None and o.reply.yiaddr == ack.reply.yiaddr
    # A reclaimed address can go to another client too.
    small = replace(LAN, pools=(replace(LAN.pools[0], start=ip("192.0.2.10"), end=ip("192.0.2.10")),))
    engine2, store2 = make_engine(config(small))
    store2.add(Lease4(ip("192.0.2.10"), mac(1), b"", 100, int(NOW), 1, state=LeaseState.EXPIRED_RECLAIMED))
    _, ack2 = dora(engine2, mac(2), now=NOW + 1)
    assert ack2.reply is not None and txt(ack2.reply.yiaddr) == "192.0.2.10"
    assert ("subnet[1].assigned-addresses", 1) in ack2.stats


def test_reclaim_respects_the_limit_and_oldest_first() -> None:
    engine, store = make_engine(config(LAN))
    for n in range(5):
        store.add(Lease4(ip("192.0.2.10") + n, mac(n), b"", 100, int(NOW) - n, 1))
    first = engine.reclaim_expired(NOW + 1000, max_leases=2)
    assert [c.lease.address for c in first] == [ip("192.0.2.14"), ip("192.0.2.13")]
    rest = engine.reclaim_expired(NOW + 1000, max_leases=0)  # 0: no limit, as in Kea
    assert len(rest) == 3


def test_flush_timer_zero_deletes_at_reclamation() -> None:
    elp = ExpiredLeasesProcessing(flush_reclaimed_timer_wait_time=0)
    engine, store = make_engine(config(LAN, expired_leases_processing=elp))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    changes = engine.reclaim_expired(NOW + 100)
    assert [c.kind for c in changes] == ["deleted"] and store.count() == 0
    assert ("reclaimed-leases", 1) in reclaim_stats(changes)


def test_flush_removes_reclaimed_leases_after_hold_time() -> None:
    elp = ExpiredLeasesProcessing(hold_reclaimed_time=3600)
    engine, store = make_engine(config(LAN, expired_leases_processing=elp))
    _, ack = dora(engine, mac(1))
    assert ack.reply is not None
    engine.reclaim_expired(NOW + 100)
    assert engine.flush_reclaimed(NOW + 100 + 3600) == []
    flushed = engine.flush_reclaimed(NOW + 100 + 3601)
    assert [c.kind for c in flushed] == ["deleted"] and store.count() == 0
    assert reclaim_stats(flushed) == []
