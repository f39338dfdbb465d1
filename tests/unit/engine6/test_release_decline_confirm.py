"""Release, Decline, Confirm, Information-request and the identifier checks of RFC 8415 section 16."""

from __future__ import annotations

from hakea.dhcp6.ia import Status
from hakea.dhcp6.wire import (
    ADVERTISE,
    CONFIRM,
    DECLINE,
    INFORMATION_REQUEST,
    RELEASE,
    REPLY,
    REQUEST,
    SOLICIT,
)
from hakea.leases.model import LeaseState
from hakea.leases.model6 import LeaseType

from .builders import (
    NOW,
    OPTION_IA_NA,
    SERVER_DUID,
    addr_of,
    client_reply,
    config6,
    direct_meta,
    dns,
    duid_ll,
    ia_na,
    ia_status,
    ip6,
    make_engine,
    message,
    oro,
    subnet6,
)

LAN = subnet6(1, "2001:db8:1::/64", "2001:db8:1::100 - 2001:db8:1::101", option_data=(dns("2001:db8::53"),))


def bind(engine: object, n: int, iaid: int = 1) -> str:
    d = engine.process(message(REQUEST, duid_ll(n), ia_na(iaid), server_id=SERVER_DUID), NOW, direct_meta())  # type: ignore[attr-defined]
    return addr_of(d)


def test_release_deletes_the_lease() -> None:
    engine, store = make_engine(config6(LAN))
    got = bind(engine, 1)
    d = engine.process(message(RELEASE, duid_ll(1), ia_na(1, got), server_id=SERVER_DUID), NOW, direct_meta())
    reply = client_reply(d)
    assert reply.msg_type == REPLY
    assert reply.status is not None and (reply.status.code, reply.status.message) == (
        Status.SUCCESS, "Summary status for all processed IA_NAs",
    )  # fmt: skip
    assert store.get(LeaseType.NA, ip6(got)) is None
    assert [c.kind for c in d.lease_changes] == ["deleted"]
    assert ("subnet[1].assigned-nas", -1) in d.stats


def test_release_of_someone_elses_address_is_refused() -> None:
    engine, store = make_engine(config6(LAN))
    got = bind(engine, 1)
    d = engine.process(message(RELEASE, duid_ll(2), ia_na(1, got), server_id=SERVER_DUID), NOW, direct_meta())
    reply = client_reply(d)
    assert ia_status(reply, OPTION_IA_NA, 1) == (
        Status.NO_BINDING,
        "Sorry, no known leases for this duid/iaid, can't release.",
    )
    assert reply.status is not None and reply.status.code == Status.NO_BINDING
    assert store.get(LeaseType.NA, ip6(got)) is not None and d.lease_changes == ()


def test_decline_puts_the_address_in_probation() -> None:
    engine, store = make_engine(config6(LAN, decline_probation_period=600))
    got = bind(engine, 1)
    d = engine.process(message(DECLINE, duid_ll(1), ia_na(1, got), server_id=SERVER_DUID), NOW, direct_meta())
    assert ia_status(client_reply(d), OPTION_IA_NA, 1) == (
        Status.SUCCESS,
        "Lease declined. Hopefully the next one will be better.",
    )
    lease = store.get(LeaseType.NA, ip6(got))
    assert lease is not None and lease.state == LeaseState.DECLINED
    assert (lease.duid, lease.valid_lft, lease.preferred_lft, lease.hwaddr) == (b"\x00", 600, 0, b"")
    assert [c.kind for c in d.lease_changes] == ["updated"]
    assert ("declined-addresses", 1) in d.stats
    # during probation nobody gets it: the other pool address goes, then nothing is left
    other = bind(engine, 2)
    assert other != got
    adv = engine.process(message(SOLICIT, duid_ll(3), ia_na(1)), NOW + 10, direct_meta())
    assert ia_status(client_reply(adv), OPTION_IA_NA, 1) is not None
    # once the probation is over the address is handed out again
    later = engine.process(
        message(REQUEST, duid_ll(3), ia_na(1), server_id=SERVER_DUID), NOW + 601, direct_meta()
    )
    assert addr_of(later) == got
    assert ("declined-addresses", -1) in later.stats


def test_confirm_on_link_and_not_on_link() -> None:
    engine, _ = make_engine(config6(LAN))
    ok = client_reply(
        engine.process(message(CONFIRM, duid_ll(1), ia_na(1, "2001:db8:1::5")), NOW, direct_meta())
    )
    assert ok.status is not None and ok.status.code == Status.SUCCESS
    bad = client_reply(
        engine.process(message(CONFIRM, duid_ll(1), ia_na(1, "2001:db8:9::5")), NOW, direct_meta())
    )
    assert bad.status is not None and bad.status.code == Status.NOT_ON_LINK
    # RFC 8415 18.3.3: no addresses, or no subnet to judge by: no reply
    assert engine.process(message(CONFIRM, duid_ll(1), ia_na(1)), NOW, direct_meta()).reply is None
    lost = engine.process(message(CONFIRM, duid_ll(1), ia_na(1, "2001:db8:1::5")), NOW, direct_meta("eth9"))
    assert lost.reply is None


def test_information_request_gets_requested_options_only() -> None:
    engine, store = make_engine(config6(LAN))
    d = engine.process(message(INFORMATION_REQUEST, duid_ll(1), oro(23, 24)), NOW, direct_meta())
    reply = client_reply(d)
    assert reply.msg_type == REPLY and reply.ia_na == []
    assert reply.get(23) == ip6("2001:db8::53").to_bytes(16, "big")
    assert reply.get(24) is None and store.count() == 0
    # an anonymous Information-request is fine too (RFC 8415 18.2.6)
    anon = client_reply(engine.process(message(INFORMATION_REQUEST, None, oro(23)), NOW, direct_meta()))
    assert anon.client_id is None and anon.get(23) is not None


def test_identifier_checks() -> None:
    engine, _ = make_engine(config6(LAN))
    meta = direct_meta()
    assert engine.process(message(SOLICIT, None, ia_na(1)), NOW, meta).drop_reason == "no client identifier"
    with_sid = engine.process(message(SOLICIT, duid_ll(1), ia_na(1), server_id=SERVER_DUID), NOW, meta)
    assert with_sid.reply is None and with_sid.drop_reason is not None
    no_sid = engine.process(message(REQUEST, duid_ll(1), ia_na(1)), NOW, meta)
    assert no_sid.drop_reason == "no server identifier"
    other = engine.process(
        message(REQUEST, duid_ll(1), ia_na(1), server_id=b"\x00\x03\x00\x01abcdef"), NOW, meta
    )
    assert other.drop_reason is not None and "not for us" in other.drop_reason
    advertise = engine.process(message(ADVERTISE, duid_ll(1)), NOW, meta)
    assert advertise.drop_reason is not None
