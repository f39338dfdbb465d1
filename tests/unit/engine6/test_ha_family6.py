"""The DHCPv6 HA family (hakea.ha.family.V6) inside the HA core: lease6-bulk-apply per transaction
and for the backlog, lease6-get-page for the sync, "service": ["dhcp6"], and the sync merge."""

from __future__ import annotations

from typing import Any

from hakea.ha.actions import MergeLeases, ReleaseParked, SendRequest
from hakea.ha.communication import format_rfc1123
from hakea.ha.core import HACore
from hakea.ha.family import V6, BacklogOp
from hakea.ha.query_filter import QueryInfo
from hakea.ha.states import State
from hakea.leases.json6 import lease6_to_json
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model6 import Lease6, LeaseType
from hakea.server.ha6 import merge_leases6
from tests.sim.harness import make_configs

T0 = 1_800_000_000.0
DUID = bytes.fromhex("00030001020000000001")


def lease(i: int, kind: LeaseType = LeaseType.NA, cltt: int = int(T0)) -> Lease6:
    base = 0x20010DB8000100000000000000000000 if kind == LeaseType.NA else 0x20010DB8000800000000000000000000
    plen = 128 if kind == LeaseType.NA else 56
    return Lease6(
        base + (i << (128 - plen) if kind == LeaseType.PD else i), DUID, 1, 4000, 3000, cltt, 1, kind, plen
    )


def sent(actions: list[Any]) -> list[SendRequest]:
    return [a for a in actions if isinstance(a, SendRequest)]


def test_update_commands_are_one_bulk_apply_in_keas_shape() -> None:
    [command] = V6.update_commands([lease(1), lease(2, LeaseType.PD)], [lease(3)])
    assert command["command"] == "lease6-bulk-apply" and command["service"] == ["dhcp6"]
    assert list(command) == ["arguments", "command", "service"]
    args = command["arguments"]
    assert [le["ip-address"] for le in args["leases"]] == ["2001:db8:1::1", "2001:db8:8:200::"]
    assert [le["ip-address"] for le in args["deleted-leases"]] == ["2001:db8:1::3"]
    first = args["leases"][0]
    assert "cltt" not in first and first["expire"] == int(T0) + 4000 and list(first) == sorted(first)
    assert args["leases"][1]["prefix-len"] == 56 and args["leases"][1]["type"] == "IA_PD"


def test_backlog_is_one_bulk_apply_with_the_last_operation_per_lease() -> None:
    assert V6.backlog_batch == 0
    command = V6.backlog_command(
        [
            (BacklogOp.ADD, lease(1)),
            (BacklogOp.DELETE, lease(1)),
            (BacklogOp.ADD, lease(2)),
            (BacklogOp.DELETE, lease(3)),
        ]
    )
    args = command["arguments"]
    assert [le["ip-address"] for le in args["leases"]] == ["2001:db8:1::2"]
    assert sorted(le["ip-address"] for le in args["deleted-leases"]) == ["2001:db8:1::1", "2001:db8:1::3"]


def test_core_sends_one_bulk_apply_per_transaction_and_parks_the_reply() -> None:
    config = make_configs("hot-standby", params={"heartbeat-delay": 1000, "max-response-delay": 1000})[
        "server1"
    ]
    core = HACore(config, T0, V6)
    core.start(T0)
    core.transition(State.HOT_STANDBY, T0)
    plan = core.on_leases_committed([lease(1), lease(2, LeaseType.PD)], [], QueryInfo.v6(3, DUID, 0), T0)
    assert plan.park
    [request] = sent(plan.actions)
    assert request.command["command"] == "lease6-bulk-apply" and request.peer == "server2"
    done = {"result": 0, "text": "Bulk apply of 2 IPv6 leases completed."}
    actions = core.on_response(request.request_id, [done], T0)
    assert [(a.txn, a.send) for a in actions if isinstance(a, ReleaseParked)] == [(plan.txn, True)]


def test_sync_pages_with_lease6_get_page_and_merges_lease6() -> None:
    config = make_configs("hot-standby", params={"sync-page-limit": 2})["server2"]
    core = HACore(config, T0, V6)
    core.start(T0)
    due = core.next_deadline()
    assert due is not None
    heartbeat = sent(core.on_tick(due))[0]
    assert heartbeat.command == {"command": "ha-heartbeat", "service": ["dhcp6"]}
    answer = {"date-time": format_rfc1123(T0), "scopes": ["server1"], "state": "hot-standby",
              "unsent-update-count": 0}  # fmt: skip
    actions = core.on_response(heartbeat.request_id, [{"arguments": answer, "result": 0, "text": "ok"}], T0)
    disable = sent(actions)[0]
    assert disable.command["command"] == "dhcp-disable" and disable.command["service"] == ["dhcp6"]
    actions = core.on_response(disable.request_id, [{"result": 0, "text": "DHCPv6 service disabled"}], T0)
    page = sent(actions)[0]
    assert page.command == {"arguments": {"from": "start", "limit": 2}, "command": "lease6-get-page",
                            "service": ["dhcp6"]}  # fmt: skip
    body = {"count": 2, "leases": [lease6_to_json(lease(1)), lease6_to_json(lease(2, LeaseType.PD))]}
    actions = core.on_response(
        page.request_id, [{"arguments": body, "result": 0, "text": "2 IPv6 lease(s) found."}], T0
    )
    [merge] = [a for a in actions if isinstance(a, MergeLeases)]
    assert [type(le) for le in merge.leases] == [Lease6, Lease6]
    following = sent(actions)[0]
    assert following.command["arguments"] == {"from": "2001:db8:8:200::", "limit": 2}
    store = MemoryLeaseStore6()
    counts = merge_leases6(store, merge.leases)
    assert (counts.inserted, counts.updated, counts.skipped) == (2, 0, 0)
    newer = lease(1, cltt=int(T0) + 5)
    older = lease(2, LeaseType.PD, cltt=int(T0) - 5)
    counts = merge_leases6(store, [newer, older])
    assert (counts.inserted, counts.updated, counts.skipped) == (0, 1, 1)
    assert store.get(LeaseType.NA, newer.address) == newer
