"""The sync procedure's request sequences and the merge rule (kea-ha-behaviour.md 2.6)."""

from __future__ import annotations

from typing import Any

from hakea.ha.commands import Answer
from hakea.ha.family import V4
from hakea.ha.sync import MergeCounts, MergeOutcome, Phase, SyncProcedure, merge_lease4, merge_leases4
from hakea.leases.json4 import format_ipv4, lease4_to_json
from hakea.leases.memory4 import MemoryLeaseStore4
from hakea.leases.model import Lease4


def _proc(limit: int = 2, max_period: int | None = 60) -> SyncProcedure:
    return SyncProcedure(
        "server2",
        service="dhcp4",
        max_period=max_period,
        page_limit=limit,
        page_timeout=60.0,
        lease_from_json=V4.lease_from_json,
        lease_address=V4.lease_address,
        notify_server_name="server1",
    )


def _lease(i: int, cltt: int = 1000) -> Lease4:
    return Lease4(0x0A000000 + i, bytes([2, 0, 0, 0, 0, i]), b"", 3600, cltt, 1)


def _page(*ids: int) -> Answer:
    leases = [lease4_to_json(_lease(i)) for i in ids]
    return Answer(
        0 if leases else 3, f"{len(leases)} IPv4 lease(s) found.", {"count": len(leases), "leases": leases}
    )


OK = Answer(0, "ok")


def _run(proc: SyncProcedure, replies: list[Answer | str]) -> tuple[list[str], list[Any], list[str]]:
    """Drive the procedure; a str reply is a communication failure. Returns the commands sent, the
    merged leases and the log IDs."""
    sent: list[str] = []
    merged: list[Any] = []
    logs: list[str] = []
    step = proc.start()
    for reply in replies:
        assert step.request is not None
        cmd = step.request
        sent.append(
            cmd["command"] + (f"({cmd['arguments']['from']})" if "from" in cmd.get("arguments", {}) else "")
        )
        step = proc.on_failure(reply) if isinstance(reply, str) else proc.on_answer(reply)
        merged.extend(step.leases)
        logs.extend(entry.message_id for entry in step.logs)
    assert step.done, "procedure expected to be over"
    return sent, merged, logs


def test_success_over_pages() -> None:
    proc = _proc(limit=2)
    sent, merged, logs = _run(proc, [OK, _page(1, 2), _page(3, 4), _page(5), OK])
    assert sent == [
        "dhcp-disable",
        "lease4-get-page(start)",
        "lease4-get-page(10.0.0.2)",
        "lease4-get-page(10.0.0.4)",
        "ha-sync-complete-notify",
    ]
    assert [lease.address & 0xFF for lease in merged] == [1, 2, 3, 4, 5]
    assert proc.succeeded and not proc.error and proc.leases_received == 5
    assert logs.count("HA_LEASES_SYNC_LEASE_PAGE_RECEIVED") == 3


def test_exact_multiple_ends_with_an_empty_page() -> None:
    sent, _, _ = _run(_proc(limit=2), [OK, _page(1, 2), _page(), OK])
    assert sent[-2:] == ["lease4-get-page(10.0.0.2)", "ha-sync-complete-notify"]
    bare_empty = Answer(3, "0 IPv4 lease(s) found.")  # no arguments at all
    proc = _proc(limit=2)
    _run(proc, [OK, bare_empty, OK])
    assert proc.succeeded


def test_first_request_carries_max_period() -> None:
    proc = _proc(max_period=60)
    assert proc.start().request == {
        "arguments": {"max-period": 60, "origin": "ha-partner"},
        "command": "dhcp-disable",
        "service": ["dhcp4"],
    }
    assert _proc(max_period=None).start().request == {
        "arguments": {"origin": "ha-partner"},
        "command": "dhcp-disable",
        "service": ["dhcp4"],
    }


def test_disable_failure_sends_nothing_else() -> None:
    proc = _proc()
    sent, _, logs = _run(proc, [Answer(1, "unauthorized")])
    assert sent == ["dhcp-disable"] and not proc.succeeded
    assert proc.error == "unauthorized, error code 1" and logs == ["HA_DHCP_DISABLE_FAILED"]
    proc = _proc()
    _, _, logs = _run(proc, ["Connection refused"])
    assert logs == ["HA_DHCP_DISABLE_COMMUNICATIONS_FAILED"] and proc.error == "Connection refused"


def test_page_failure_enables_and_skips_notify() -> None:
    proc = _proc()
    sent, _, logs = _run(proc, [OK, Answer(1, "db down"), OK])
    assert sent == ["dhcp-disable", "lease4-get-page(start)", "dhcp-enable"]
    assert not proc.succeeded and "db down" in proc.error and "HA_LEASES_SYNC_FAILED" in logs
    proc = _proc()
    sent, _, logs = _run(proc, [OK, "timeout", OK])
    assert sent[-1] == "dhcp-enable" and "HA_LEASES_SYNC_COMMUNICATIONS_FAILED" in logs
    bad = Answer(0, "weird", {"count": 1})
    proc = _proc()
    _run(proc, [OK, bad, OK])
    assert "does not contain leases" in proc.error


def test_notify_failure_does_not_enable() -> None:
    proc = _proc()
    sent, _, logs = _run(proc, [OK, _page(1), Answer(1, "nope")])
    assert sent[-1] == "ha-sync-complete-notify" and not proc.succeeded
    assert logs[-1] == "HA_SYNC_COMPLETE_NOTIFY_FAILED"


def test_notify_unsupported_falls_back_to_enable() -> None:
    proc = _proc()
    sent, _, _ = _run(proc, [OK, _page(1), Answer(2, "'ha-sync-complete-notify' command not supported."), OK])
    assert sent[-2:] == ["ha-sync-complete-notify", "dhcp-enable"] and proc.succeeded
    proc = _proc()
    _, _, logs = _run(proc, [OK, _page(1), Answer(2, "unsupported"), Answer(1, "cannot enable")])
    assert not proc.succeeded and logs[-1] == "HA_DHCP_ENABLE_FAILED"


def test_page_error_then_enable_error_keeps_first_error() -> None:
    proc = _proc()
    _run(proc, [OK, Answer(1, "first"), Answer(1, "second")])
    assert proc.error.startswith("first")


def test_bad_lease_is_skipped_and_logged() -> None:
    page = _page(1, 2)
    page.arguments["leases"][0]["ip-address"] = "not-an-address"
    proc = _proc(limit=5)
    _, merged, logs = _run(proc, [OK, page, OK])
    assert [format_ipv4(x.address) for x in merged] == ["10.0.0.2"] and "HA_LEASE_SYNC_FAILED" in logs
    assert proc.phase is Phase.DONE and proc.succeeded


def test_merge_rule() -> None:
    store = MemoryLeaseStore4()
    assert merge_lease4(store, _lease(1, cltt=1000)) is MergeOutcome.INSERTED
    assert merge_lease4(store, _lease(1, cltt=2000)) is MergeOutcome.UPDATED
    assert merge_lease4(store, _lease(1, cltt=1500)) is MergeOutcome.SKIPPED  # stale
    assert merge_lease4(store, _lease(1, cltt=2000)) is MergeOutcome.SKIPPED  # same age
    assert store.get(0x0A000001).cltt == 2000  # type: ignore[union-attr]
    store.add(_lease(9))
    counts = merge_leases4(store, [_lease(1, 3000), _lease(2), _lease(1, 10)])
    assert counts == MergeCounts(inserted=1, updated=1, skipped=1)
    assert store.get(0x0A000009) is not None  # nothing is deleted locally
