"""The engine never raises (hypothesis), keeps its invariants under random traffic, and reclaims."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hakea.config.model import ExpiredLeasesProcessing
from hakea.dhcp6.decision6 import QueryMeta6
from hakea.dhcp6.reclaim6 import reclaim_stats6
from hakea.dhcp6.tlv import MalformedPacket6
from hakea.dhcp6.wire import RELEASE, RENEW, REQUEST, SOLICIT, Packet6, RelayMessage6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import LeaseType

from .builders import (
    NOW,
    SERVER_DUID,
    addr_of,
    config6,
    direct_meta,
    duid_ll,
    ia_na,
    ia_pd,
    make_engine,
    message,
    pd_pool,
    relay_meta,
    subnet6,
)

SMALL = subnet6(1, "2001:db8:1::/64", "2001:db8:1::1 - 2001:db8:1::8",
                pd_pools=(pd_pool("2001:db8:8::/60", 62),), rapid_commit=True,
                valid_lifetime=100, preferred_lifetime=50)  # fmt: skip
OTHER = subnet6(2, "2001:db8:2::/64", "2001:db8:2::1 - 2001:db8:2::3", interface="")
ENGINE, _ = make_engine(config6(SMALL, OTHER))

HINTS = st.sampled_from(["2001:db8:1::1", "2001:db8:1::8", "2001:db8:9::1", "::"])
options = st.lists(
    st.one_of(
        st.tuples(st.sampled_from([1, 2, 3, 6, 8, 13, 14, 16, 18, 25, 39, 79]), st.binary(max_size=40)),
        st.builds(lambda i, a: ia_na(i, *a), st.integers(0, 3), st.lists(HINTS, max_size=2)),
        st.builds(lambda i: ia_pd(i, ("2001:db8:8::", 62)), st.integers(0, 3)),
        st.just((1, duid_ll(1))),
        st.just((2, SERVER_DUID)),
    ),
    max_size=8,
)  # fmt: skip


@st.composite
def datagrams(draw: st.DrawFn) -> Packet6 | RelayMessage6:
    inner: Packet6 | RelayMessage6 = Packet6(
        draw(st.integers(0, 14)), draw(st.integers(0, 0xFFFFFF)), draw(options)
    )
    for _ in range(draw(st.integers(0, 2))):
        link = draw(
            st.sampled_from([0, 0x20010DB8000200000000000000000001, 0xFE80 << 112 | 1, (1 << 128) - 1])
        )
        relay_opts = draw(
            st.lists(st.tuples(st.sampled_from([18, 37, 79, 135]), st.binary(max_size=8)), max_size=3)
        )
        inner = RelayMessage6(
            draw(st.sampled_from([12, 12, 13])), 0, link, 0xFE80 << 112 | 2, relay_opts, inner
        )
    return inner


steps = st.tuples(datagrams(), st.booleans(), st.sampled_from(["eth0", "eth1", ""]), st.integers(0, 150))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=6))
def test_random_message_sequences_never_raise(
    sequence: list[tuple[Packet6 | RelayMessage6, bool, str, int]],
) -> None:
    engine, store = make_engine(config6(SMALL, OTHER))
    now = NOW
    for msg, multicast, iface, dt in sequence:
        now += dt
        meta = QueryMeta6(interface=iface, source_address=0xFE80 << 112 | 5, multicast=multicast)
        d = engine.process(msg, now, meta)
        assert d.drop_reason is None or not d.drop_reason.startswith("internal error"), d.drop_reason
        if d.reply is not None:
            encoded = d.reply.to_bytes()
            assert isinstance(Packet6.parse(encoded), Packet6 | RelayMessage6)
        # the store never holds two active leases for one (duid, iaid, type)
        seen: set[tuple[bytes, int, LeaseType]] = set()
        for lease in store.all():
            if lease.state == LeaseState.DEFAULT and lease.expire > now:
                key = (lease.duid, lease.iaid, lease.type)
                assert key not in seen, lease
                seen.add(key)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_through_the_codec_and_engine(data: bytes) -> None:
    try:
        msg = Packet6.parse(data)
    except MalformedPacket6:
        return
    d = ENGINE.process(msg, NOW, relay_meta())
    assert d.drop_reason is None or not d.drop_reason.startswith("internal error"), d.drop_reason


def test_reclaim_keeps_reclaimed_leases_and_the_client_gets_its_address_back() -> None:
    engine, store = make_engine(config6(SMALL, expired_leases_processing=ExpiredLeasesProcessing()))
    got = addr_of(engine.process(message(REQUEST, duid_ll(1), ia_na(1), server_id=SERVER_DUID), NOW,
                                 direct_meta()))  # fmt: skip
    assert engine.reclaim_expired(NOW + 50) == []
    changes = engine.reclaim_expired(NOW + 101)
    assert [c.kind for c in changes] == ["reclaimed"]
    assert changes[0].lease.state == LeaseState.EXPIRED_RECLAIMED
    assert ("subnet[1].assigned-nas", -1) in reclaim_stats6(changes)
    # lease affinity: the same client gets the same address again
    again = engine.process(message(SOLICIT, duid_ll(1), ia_na(1)), NOW + 200, direct_meta())
    assert addr_of(again) == got
    assert engine.flush_reclaimed(NOW + 100 + 3600) == []
    flushed = engine.flush_reclaimed(NOW + 101 + 3601)
    assert [c.kind for c in flushed] == ["deleted"] and store.count() == 0


def test_reclaim_deletes_at_once_when_flush_is_disabled() -> None:
    engine, store = make_engine(config6(SMALL, expired_leases_processing=ExpiredLeasesProcessing(
        flush_reclaimed_timer_wait_time=0)))  # fmt: skip
    engine.process(
        message(REQUEST, duid_ll(1), ia_na(1), ia_pd(2), server_id=SERVER_DUID), NOW, direct_meta()
    )
    assert store.count() == 2
    changes = engine.reclaim_expired(NOW + 101)
    assert sorted(c.kind for c in changes) == ["deleted", "deleted"] and store.count() == 0


def test_assigned_counter_follows_the_store_through_requests_renews_and_releases() -> None:
    engine, store = make_engine(config6(SMALL))
    total: dict[str, int] = {}
    for step in range(30):
        n = step % 5
        d = engine.process(
            message(REQUEST, duid_ll(n), ia_na(1), server_id=SERVER_DUID), NOW + step, direct_meta()
        )
        got = addr_of(d)
        kind = (RENEW, RELEASE, RENEW)[step % 3]
        d2 = engine.process(message(kind, duid_ll(n), ia_na(1, got), server_id=SERVER_DUID), NOW + step,
                            direct_meta())  # fmt: skip
        for name, delta in d.stats + d2.stats:
            total[name] = total.get(name, 0) + delta
    held = [le for le in store.all() if le.type == LeaseType.NA and le.state == LeaseState.DEFAULT]
    assert total["subnet[1].assigned-nas"] == len(held) > 0
