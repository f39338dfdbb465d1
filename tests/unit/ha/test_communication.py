"""Failure detection, clock skew and counters (kea-ha-behaviour.md 2.8)."""

from __future__ import annotations

import dataclasses

import pytest

from hakea.ha.communication import CommunicationState, format_rfc1123, parse_rfc1123
from hakea.ha.config import HAConfig
from hakea.ha.query_filter import QueryInfo
from hakea.ha.states import State
from tests.sim.harness import make_configs

T0 = 1_800_000_000.0


def _cfg(params: dict[str, int] | None = None) -> HAConfig:
    base = {
        "heartbeat-delay": 1000,
        "max-response-delay": 1000,
        "max-ack-delay": 10000,
        "max-unacked-clients": 10,
    }
    base.update(params or {})
    return make_configs("load-balancing", params=base)["server1"]


def _mac(i: int) -> bytes:
    return bytes([0, 1, 2, 3, 4, i])


def _interrupted() -> CommunicationState:
    return CommunicationState(_cfg(), T0 - 5)


def test_interrupted_after_max_response_delay() -> None:
    cs = CommunicationState(_cfg({"max-response-delay": 2000, "heartbeat-delay": 1000}), T0)
    assert not cs.is_interrupted(T0 + 2.0)
    assert cs.is_interrupted(T0 + 2.001)
    cs.poke(T0 + 3)
    assert not cs.is_interrupted(T0 + 4)


def test_worked_example_v4() -> None:
    cs = _interrupted()
    for i in range(10):
        cs.analyze(QueryInfo.v4(1, _mac(i), secs=15), T0)
    assert (cs.unacked_clients, cs.connecting_clients, cs.analyzed_packets) == (10, 10, 10)
    assert not cs.failure_detected()
    # The same ten with secs 9; clients 5-9 now send a client identifier (new clients).
    for i in range(10):
        cs.analyze(QueryInfo.v4(1, _mac(i), b"\x01" + _mac(i) if i >= 5 else None, secs=9), T0)
    assert (cs.unacked_clients, cs.connecting_clients, cs.analyzed_packets) == (10, 15, 20)
    cs.analyze(QueryInfo.v4(1, _mac(20), secs=6), T0)
    assert (cs.unacked_clients, cs.connecting_clients, cs.analyzed_packets) == (10, 16, 21)
    cs.analyze(QueryInfo.v4(1, _mac(3), secs=20), T0)  # repeat of an unacked client: not counted again
    assert (cs.unacked_clients, cs.connecting_clients, cs.analyzed_packets) == (10, 16, 22)
    assert not cs.failure_detected()
    # Client 7's MAC with its (new) client-id, now past max-ack-delay: the 11th unacked client.
    cs.analyze(QueryInfo.v4(1, _mac(7), b"\x01" + _mac(7), secs=15), T0)
    assert (cs.unacked_clients, cs.connecting_clients, cs.analyzed_packets) == (11, 16, 23)
    assert cs.failure_detected()
    cs.poke(T0 + 10)  # contact again: everything forgotten
    assert (cs.unacked_clients, cs.connecting_clients, cs.analyzed_packets) == (0, 0, 0)


def test_connecting_client_becomes_unacked() -> None:
    cs = _interrupted()
    logs = cs.analyze(QueryInfo.v4(1, _mac(1), secs=3), T0)
    assert [x.message_id for x in logs] == ["HA_COMMUNICATION_INTERRUPTED_CLIENT4"]
    logs = cs.analyze(QueryInfo.v4(1, _mac(1), secs=30), T0)
    assert [x.message_id for x in logs] == ["HA_COMMUNICATION_INTERRUPTED_CLIENT4_UNACKED"]
    assert "1 clients unacked so far, 10 clients left" in logs[0].text
    assert (cs.unacked_clients, cs.connecting_clients) == (1, 1)


@pytest.mark.parametrize(
    ("secs", "unacked"), [(0x0500, False), (0x0F00, True), (0x0501, True), (10, False), (11, True)]
)
def test_secs_byte_swap(secs: int, unacked: bool) -> None:
    cs = _interrupted()
    cs.analyze(QueryInfo.v4(1, _mac(1), secs=secs), T0)
    assert cs.unacked_clients == int(unacked)


@pytest.mark.parametrize(("elapsed", "unacked"), [(1500, True), (900, False), (1000, False), (None, False)])
def test_v6_elapsed_time(elapsed: int | None, unacked: bool) -> None:
    cs = _interrupted()
    cs.analyze(QueryInfo.v6(1, b"\x00\x03\x00\x01" + _mac(1), elapsed), T0)
    assert cs.unacked_clients == int(unacked)


def test_v6_without_duid_only_counts_the_packet() -> None:
    cs = _interrupted()
    cs.analyze(QueryInfo.v6(1, None, 5000), T0)
    assert (cs.analyzed_packets, cs.connecting_clients, cs.unacked_clients) == (1, 0, 0)


def test_failure_detection_thresholds() -> None:
    zero = CommunicationState(_cfg({"max-unacked-clients": 0}), T0)
    assert zero.failure_detected()  # 0: failure as soon as communication is interrupted
    cs = CommunicationState(_cfg({"max-unacked-clients": 2}), T0)
    for i in range(2):
        cs.analyze(QueryInfo.v4(1, _mac(i), secs=60), T0)
    assert not cs.failure_detected()
    cs.analyze(QueryInfo.v4(1, _mac(9), secs=60), T0)
    assert cs.failure_detected()


@pytest.mark.parametrize(
    ("skew", "terminate", "warn"),
    [(15, False, False), (35, False, True), (65, True, True), (-65, True, True), (-35, False, True)],
)
def test_clock_skew(skew: int, terminate: bool, warn: bool) -> None:
    cs = CommunicationState(_cfg(), T0)
    cs.set_partner_time(format_rfc1123(T0 + skew), T0)
    assert cs.clock_skew == skew
    assert (cs.clock_skew_should_terminate() is not None) is terminate
    if not terminate:
        assert (cs.clock_skew_should_warn(T0) is not None) is warn


def test_clock_skew_warning_at_most_once_per_minute() -> None:
    cs = CommunicationState(_cfg(), T0)
    cs.set_partner_time(format_rfc1123(T0 + 40), T0)
    first = cs.clock_skew_should_warn(T0)
    assert first is not None and first.message_id == "HA_HIGH_CLOCK_SKEW"
    assert first.text.endswith("partner's clock is 40s ahead, please synchronize clocks!")
    assert "my time: 2027-01-15 08:00:00" in first.text
    assert cs.clock_skew_should_warn(T0 + 30) is None
    assert cs.clock_skew_should_warn(T0 + 60) is None
    assert cs.clock_skew_should_warn(T0 + 61.5) is not None


def test_unavailable_partner_resets_skew() -> None:
    cs = CommunicationState(_cfg(), T0)
    cs.set_partner_time(format_rfc1123(T0 - 65), T0)
    assert cs.clock_skew_should_terminate() is not None
    assert "65s behind" in str(cs.clock_skew_should_terminate())
    cs.mark_partner_unavailable()
    assert cs.partner_state is State.UNAVAILABLE
    assert cs.clock_skew_should_terminate() is None


def test_rfc1123() -> None:
    assert format_rfc1123(T0) == "Fri, 15 Jan 2027 08:00:00 GMT"
    assert parse_rfc1123("Tue, 24 Nov 2026 22:19:19 GMT") == 1795558759.0
    assert parse_rfc1123(format_rfc1123(123456789)) == 123456789.0
    for bad in ("", "Tue, 24 Nov 2026 22:19:19", "1994-11-24", "Tue, 24 Foo 2026 22:19:19 GMT"):
        with pytest.raises(ValueError):
            parse_rfc1123(bad)


def test_unsent_update_count() -> None:
    cs = CommunicationState(_cfg(), T0)
    for _ in range(6):
        cs.increase_unsent_update_count()
    assert cs.unsent_update_count == 6
    cs.unsent_update_count = 0xFFFFFFFFFFFFFFFF
    cs.increase_unsent_update_count()
    assert cs.unsent_update_count == 1  # never back to 0 (0 means "just started")


def test_partner_new_unsent_updates() -> None:
    cs = CommunicationState(_cfg(), T0)
    assert not cs.has_partner_new_unsent_updates()
    cs.set_partner_unsent_update_count(5)
    assert cs.has_partner_new_unsent_updates()
    cs.set_partner_unsent_update_count(5)
    assert not cs.has_partner_new_unsent_updates()
    cs.set_partner_unsent_update_count(0)
    assert not cs.has_partner_new_unsent_updates()


def test_rejected_lease_updates() -> None:
    cs = CommunicationState(_cfg({"max-rejected-lease-updates": 10}), T0)
    for i in range(9):
        cs.report_rejected_lease_update((_mac(i), b""), 3600, T0)
    assert cs.rejected_lease_updates(T0) == 9 and cs.rejected_lease_updates_should_terminate(T0) is None
    assert not cs.report_rejected_lease_update((_mac(0), b""), 3600, T0)  # same client: counted once
    cs.report_rejected_lease_update((_mac(0), b"\x01"), 3600, T0)  # same MAC, other client-id
    assert cs.rejected_lease_updates_should_terminate(T0) is not None
    assert cs.report_successful_lease_update((_mac(0), b"\x01"))
    assert cs.rejected_lease_updates(T0) == 9
    assert not cs.report_rejected_lease_update((_mac(30), b""), 0, T0)  # lifetime 0: discarded
    assert cs.rejected_lease_updates(T0 + 3600) == 0  # expired with the lease lifetime
    cs.report_rejected_lease_update((b"\x00\x01",), 60, T0)
    assert not cs.report_rejected_lease_update((b"",), 60, T0)  # v6 without client-id: ignored
    never = CommunicationState(_cfg({"max-rejected-lease-updates": 0}), T0)
    for i in range(50):
        never.report_rejected_lease_update((_mac(i), b""), 60, T0)
    assert never.rejected_lease_updates_should_terminate(T0) is None


def test_report_defaults_and_example() -> None:
    cs = CommunicationState(_cfg(), T0)
    assert cs.report(T0) == {
        "age": 0,
        "analyzed-packets": 0,
        "communication-interrupted": False,
        "connecting-clients": 0,
        "in-touch": False,
        "last-scopes": [],
        "last-state": "",
        "unacked-clients": 0,
        "unacked-clients-left": 0,
    }
    cs.set_partner_state(State.WAITING)
    cs.set_partner_scopes(["server1"])
    cs.analyze(QueryInfo.v4(1, _mac(1), secs=20), T0 + 100)
    cs.analyze(QueryInfo.v4(1, _mac(2), secs=1), T0 + 100)
    assert cs.report(T0 + 100) == {
        "age": 100,
        "analyzed-packets": 2,
        "communication-interrupted": True,
        "connecting-clients": 2,
        "in-touch": True,
        "last-scopes": ["server1"],
        "last-state": "waiting",
        "unacked-clients": 1,
        "unacked-clients-left": 10,
    }


def test_partner_scopes_tolerate_garbage() -> None:
    cs = CommunicationState(_cfg(), T0)
    cs.set_partner_scopes(["server1", ""])
    assert cs.partner_scopes == {"server1"}
    cs.set_partner_scopes(None)
    cs.set_partner_scopes([1])
    assert cs.partner_scopes == {"server1"}


def test_config_is_not_mutated() -> None:
    cfg = _cfg()
    CommunicationState(cfg, T0).poke(T0)
    assert dataclasses.asdict(cfg) == dataclasses.asdict(_cfg())
