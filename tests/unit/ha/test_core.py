"""HACore driven by hand: heartbeats, lease updates, commands (kea-ha-behaviour.md 2.3-2.8)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from hakea.ha.actions import MergeLeases, SendRequest, SetDhcpService
from hakea.ha.communication import format_rfc1123
from hakea.ha.states import State
from tests.sim.harness import make_configs
from tests.unit.ha.driver import T0, Driver

LB, HS, PD, CR, W, R, S = (
    State.LOAD_BALANCING,
    State.HOT_STANDBY,
    State.PARTNER_DOWN,
    State.COMMUNICATION_RECOVERY,
    State.WAITING,
    State.READY,
    State.SYNCING,
)
# Kea's unit-test fixture: 1 s heartbeats and response delay, 10 s ack delay, 10 unacked clients.
FIXTURE = {
    "heartbeat-delay": 1000,
    "max-response-delay": 1000,
    "max-ack-delay": 10000,
    "max-unacked-clients": 10,
}


def lb(me: str = "server1", params: dict[str, Any] | None = None) -> Driver:
    return Driver(
        make_configs("load-balancing", backups=("server3",), params={**FIXTURE, **(params or {})})[me]
    )


def hs(me: str = "server1", params: dict[str, Any] | None = None) -> Driver:
    return Driver(make_configs("hot-standby", backups=("server3",), params={**FIXTURE, **(params or {})})[me])


# ----------------------------------------------------------------------------- heartbeat


def test_heartbeat_answer() -> None:
    d = lb()
    answer = d.command("ha-heartbeat")
    assert answer == {
        "arguments": {
            "date-time": format_rfc1123(T0),
            "scopes": [],
            "state": "waiting",
            "unsent-update-count": 0,
        },
        "result": 0,
        "text": "HA peer status returned.",
    }
    d.force(LB)
    assert d.command("ha-heartbeat")["arguments"]["scopes"] == ["server1"]  # type: ignore[index]


def test_heartbeat_interval_is_heartbeat_delay() -> None:
    d = lb("server2", params={"heartbeat-delay": 6000, "max-response-delay": 60000})
    assert d.core.next_deadline() == T0 + 6
    d.heartbeat(State.WAITING)
    assert d.core.state is W  # both waiting: the secondary lets the primary go first
    assert d.core.next_deadline() == T0 + 12
    primary = lb(params={"heartbeat-delay": 6000, "max-response-delay": 60000})
    primary.heartbeat(State.WAITING)
    assert primary.core.state is S and primary.request("dhcp-disable")  # the primary syncs at once
    assert primary.core.next_deadline() is None  # no heartbeats during the sync


def test_startup_disables_service_and_waits() -> None:
    d = lb()
    assert d.core.state is W and d.core.scopes == []
    assert d.service_actions() == [SetDhcpService(False, "ha-local")]
    assert d.logs()[:2] == ["HA_SERVICE_STARTED", "HA_LOCAL_DHCP_DISABLE"]


def test_malformed_heartbeat_answers_mark_partner_unavailable() -> None:
    for args in ({"state": "load-balancing"}, {"state": "dancing", "date-time": format_rfc1123(T0)}, None):
        d = lb()
        d.force(LB)
        req = d.tick_heartbeat()
        body: dict[str, Any] = {"result": 0, "text": "x"}
        if args is not None:
            body["arguments"] = args
        d.reply(req, [body])
        assert d.core.comm.partner_state is State.UNAVAILABLE
        assert "HA_HEARTBEAT_FAILED" in d.logs()
        assert d.core.state is CR  # first failure in load-balancing: communication-recovery


def test_partner_unavailable_then_unacked_clients_in_load_balancing() -> None:
    d = lb()
    d.force(LB)
    d.heartbeat_fails()
    assert d.core.state is CR
    d.advance(2)  # > max-response-delay since the last contact
    d.heartbeat_fails()
    assert d.core.state is CR and "HA_COMMUNICATION_INTERRUPTED" in d.logs()
    rng = random.Random(1)
    for _ in range(100):  # Kea's test: 100 random clients with secs 0xEF
        mac = bytes(rng.randrange(256) for _ in range(6))
        decision = d.core.on_query(d.client(0, secs=0xEF).__class__.v4(1, mac, None, 0xEF), d.now)
        d.take(list(decision.actions))
    assert d.core.comm.failure_detected()
    d.heartbeat_fails()
    assert d.core.state is PD
    assert d.core.scopes == ["server1", "server2"]


def test_hot_standby_primary_goes_partner_down_directly() -> None:
    d = hs()
    d.force(HS)
    d.heartbeat_fails()
    assert d.core.state is HS
    d.advance(2)
    d.heartbeat_fails()
    assert d.core.state is PD


def test_hot_standby_standby_waits_for_unacked_clients() -> None:
    d = hs("server2")
    d.force(HS)
    d.advance(2)
    d.heartbeat_fails()
    assert d.core.state is HS
    for i in range(11):
        d.core.on_query(d.client(i, secs=30), d.now)
    d.heartbeat_fails()
    assert d.core.state is PD and d.core.scopes == ["server1"]


def test_max_unacked_clients_zero_means_partner_down_once_interrupted() -> None:
    d = hs("server2", params={"max-unacked-clients": 0})
    d.force(HS)
    d.heartbeat_fails()
    assert d.core.state is HS
    d.advance(2)
    d.heartbeat_fails()
    assert d.core.state is PD


@pytest.mark.parametrize("state", [LB, PD, R, W])
def test_clock_skew_terminates_and_stops_heartbeats(state: State) -> None:
    d = lb()
    d.force(state)
    req = d.tick_heartbeat()
    d.reply(
        req,
        [
            {
                "arguments": {
                    "date-time": "Thu, 24 Nov 1994 22:19:19 GMT",
                    "scopes": [],
                    "state": "load-balancing",
                },
                "result": 0,
            }
        ],
    )
    assert d.core.state is State.TERMINATED
    assert "HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION" in d.logs() and "HA_TERMINATED" in d.logs()
    assert d.core.next_deadline() is None
    assert d.core.service_enabled and d.core.scopes == ["server1"]


def test_stale_skew_after_failure_leads_to_recovery_not_termination() -> None:
    d = lb()
    d.force(LB)
    d.heartbeat(LB, skew=65)
    assert d.core.state is State.TERMINATED
    d2 = lb()
    d2.force(LB)
    d2.core.comm.set_partner_time(format_rfc1123(d2.now + 65), d2.now)  # stale skew on record
    d2.heartbeat_fails()
    assert d2.core.state is CR


def test_clock_skew_warning() -> None:
    d = lb()
    d.force(LB)
    d.heartbeat(LB, skew=40)
    assert d.core.state is LB and d.logs().count("HA_HIGH_CLOCK_SKEW") == 1
    d.heartbeat(LB, skew=40)
    assert d.logs().count("HA_HIGH_CLOCK_SKEW") == 1  # at most once a minute


# ----------------------------------------------------------------------------- lease updates


def _updates(d: Driver) -> list[SendRequest]:
    return [r for r in d.open if r.command["command"] in ("lease4-update", "lease4-del")]


def test_lease_updates_park_until_partner_acks() -> None:
    d = lb()
    d.force(LB)
    plan = d.core.on_leases_committed([d.lease(1)], [d.lease(2)], d.client(1), d.now)
    d.take(plan.actions)
    assert plan.park
    sent = [(r.peer, r.command["command"]) for r in _updates(d)]
    assert sent == [
        ("server2", "lease4-del"),
        ("server2", "lease4-update"),
        ("server3", "lease4-del"),
        ("server3", "lease4-update"),
    ]
    for req in list(_updates(d)):
        if req.peer == "server3":
            d.fail(req)  # a backup's failure does not matter without wait-backup-ack
    assert plan.txn not in d.released()
    for req in list(_updates(d)):
        d.reply(req, [{"result": 0, "text": "IPv4 lease updated."}])
    assert d.released() == {plan.txn: True}
    assert d.core.state is LB


def test_failed_lease_update_drops_response_and_marks_partner() -> None:
    d = lb()
    d.force(LB)
    plan = d.core.on_leases_committed([d.lease(1)], [], d.client(1), d.now)
    d.take(plan.actions)
    update = next(r for r in _updates(d) if r.peer == "server2")
    d.reply(update, [{"result": 1, "text": "no such subnet"}])
    assert d.released() == {plan.txn: False}
    assert "HA_LEASE_UPDATE_FAILED" in d.logs()
    assert d.core.comm.partner_state is State.UNAVAILABLE
    assert d.core.state is CR  # the completed updates ran the state machine


def test_wait_backup_ack_in_passive_backup() -> None:
    from hakea.ha.config import parse_ha_config

    peers = [
        {"name": "server1", "url": "http://192.0.2.1:8000/", "role": "primary"},
        {"name": "server3", "url": "http://192.0.2.3:8000/", "role": "backup"},
    ]
    rel = {"this-server-name": "server1", "mode": "passive-backup", "wait-backup-ack": True, "peers": peers}
    d = Driver(parse_ha_config({"high-availability": [rel]}, "p")[0])
    assert d.core.state is State.PASSIVE_BACKUP and d.core.service_enabled
    assert d.core.next_deadline() is None  # no heartbeats in passive-backup
    plan = d.core.on_leases_committed([d.lease(1)], [], d.client(1), d.now)
    d.take(plan.actions)
    assert plan.park
    d.fail(_updates(d)[0])
    assert d.released() == {plan.txn: False}


def test_partner_down_counts_unsent_updates_and_still_updates_backups() -> None:
    d = lb()
    d.force(PD)
    for i in range(6):
        plan = d.core.on_leases_committed([d.lease(i)], [], d.client(i), d.now)
        d.take(plan.actions)
        assert not plan.park  # only the backup gets updates, and we do not wait for it
    assert {r.peer for r in _updates(d)} == {"server3"}
    assert d.command("ha-heartbeat")["arguments"]["unsent-update-count"] == 6  # type: ignore[index]


def test_send_lease_updates_false() -> None:
    d = lb(params={"send-lease-updates": False})
    d.force(LB)
    plan = d.core.on_leases_committed([d.lease(1)], [], d.client(1), d.now)
    assert not plan.park and plan.actions == []


def test_communication_recovery_queues_then_sends_backlog() -> None:
    d = lb(params={"delayed-updates-limit": 10})
    d.force(CR)
    plan = d.core.on_leases_committed([d.lease(1)], [d.lease(2)], d.client(1), d.now)
    d.take(plan.actions)
    assert not plan.park and d.core.backlog_size == 2
    assert {r.peer for r in _updates(d)} == {"server3"}  # backups are never queued
    for req in list(_updates(d)):
        d.reply(req, [{"result": 0, "text": "ok"}])
    d.heartbeat(LB)
    assert d.core.state is CR  # sending the backlog, one update at a time, deletions first
    assert d.request("lease4-del").peer == "server2"
    d.ok("lease4-del")
    d.ok("lease4-update")
    assert d.core.state is LB and d.core.backlog_size == 0
    assert "HA_LEASES_BACKLOG_START" in d.logs() and "HA_LEASES_BACKLOG_SUCCESS" in d.logs()


def test_communication_recovery_backlog_failure_resets_partner() -> None:
    d = lb(params={"delayed-updates-limit": 10})
    d.force(CR)
    d.take(d.core.on_leases_committed([d.lease(1)], [], d.client(1), d.now).actions)
    d.heartbeat(LB)
    d.reply(d.request("lease4-update", "server2"), [{"result": 1, "text": "boom"}])
    assert d.request("ha-reset")
    d.ok("ha-reset", "HA state machine reset.")
    assert d.core.state in (W, S)  # waiting, and on to a full sync
    assert d.core.backlog_size == 0


def test_communication_recovery_reset_failure_stays() -> None:
    d = lb(params={"delayed-updates-limit": 10})
    d.force(CR)
    d.take(d.core.on_leases_committed([d.lease(1)], [], d.client(1), d.now).actions)
    d.heartbeat(LB)
    d.fail(d.request("lease4-update", "server2"))
    d.fail(d.request("ha-reset"))
    assert d.core.state is CR and "HA_RESET_COMMUNICATIONS_FAILED" in d.logs()
    assert d.core.next_deadline() is not None  # heartbeats resume


def test_backlog_overflow_skips_sending_and_resets() -> None:
    d = lb(params={"delayed-updates-limit": 2})
    d.force(CR)
    for i in range(3):
        d.take(d.core.on_leases_committed([d.lease(i)], [], d.client(i), d.now).actions)
    d.heartbeat(LB)
    assert "lease4-update" not in [r.command["command"] for r in d.open if r.peer == "server2"]
    d.ok("ha-reset")
    assert d.core.state in (W, S)


def test_conflicts_count_rejected_updates_and_terminate() -> None:
    d = lb(params={"max-rejected-lease-updates": 3})
    d.force(LB)
    for i in range(3):
        plan = d.core.on_leases_committed([d.lease(i)], [], d.client(i), d.now)
        d.take(plan.actions)
        for req in list(_updates(d)):
            body = (
                [{"result": 4, "text": "conflict"}]
                if req.peer == "server2"
                else [{"result": 0, "text": "ok"}]
            )
            d.reply(req, body)
        assert d.released()[plan.txn] is False
    assert "HA_LEASE_UPDATE_CONFLICT" in d.logs()
    assert d.core.comm.partner_state is None  # a conflict is an answer: the partner is there
    assert d.core.state is State.TERMINATED  # the third conflict reached the limit


# ----------------------------------------------------------------------------- commands


def test_ha_scopes() -> None:
    d = lb()
    assert d.command("ha-scopes", {"scopes": ["HA_server1", "server2"]}) == {
        "result": 0,
        "text": "New HA scopes configured.",
    }
    assert d.core.scopes == ["server1", "server2"]
    bad = d.command("ha-scopes", {"scopes": ["unsupported"]})
    assert bad == {
        "result": 1,
        "text": "invalid server name specified 'unsupported' while enabling/disabling HA scopes",
    }
    assert d.command("ha-scopes", {"scopes": []}) == {"result": 0, "text": "New HA scopes configured."}
    assert d.core.scopes == []
    assert d.command("ha-scopes") == {"result": 1, "text": "arguments not found in the 'ha-scopes' command"}


def test_ha_continue_and_pause() -> None:
    d = lb(params={"state-machine": {"states": [{"state": "waiting", "pause": "always"}]}})
    assert d.core.paused and "HA_STATE_MACHINE_PAUSED" in d.logs()
    d.heartbeat(State.WAITING)
    assert d.core.state is W and d.core.next_deadline() is not None  # heartbeats keep running
    assert d.command("ha-continue") == {"result": 0, "text": "HA state machine continues."}
    assert d.command("ha-continue") == {"result": 0, "text": "HA state machine is not paused."}
    assert d.core.state is W  # the pending transition waits for the next heartbeat
    d.heartbeat(State.WAITING)
    assert d.core.state is S


def test_ha_reset() -> None:
    d = lb()
    assert d.command("ha-reset") == {"result": 0, "text": "HA state machine already in WAITING state."}
    d.force(LB)
    assert d.command("ha-reset") == {"result": 0, "text": "HA state machine reset."}
    assert d.core.state is W and not d.core.service_enabled


def test_ha_reset_during_sync_gives_partner_its_service_back() -> None:
    d = lb()
    d.heartbeat(State.WAITING)
    d.ok("dhcp-disable")
    assert d.request("lease4-get-page")
    d.command("ha-reset")
    assert d.commands_sent()[-1] == "dhcp-enable"
    # Waiting, whose handler (partner waiting, we are primary) heads for syncing again; the next
    # sync starts with the next heartbeat.
    assert d.core.state is S
    d.reply(
        d.request("lease4-get-page"), [{"arguments": {"count": 0, "leases": []}, "result": 3, "text": "0"}]
    )
    assert d.core.state is S and "ha-sync-complete-notify" not in d.commands_sent()  # late answer ignored


@pytest.mark.parametrize("state", [W, R, S, PD, LB, CR])
def test_maintenance_notify(state: State) -> None:
    d = lb()
    d.force(state)
    assert d.command("ha-maintenance-notify", {"cancel": False}) == {
        "result": 0,
        "text": "Server is in-maintenance state.",
    }
    assert d.core.state is State.IN_MAINTENANCE and not d.core.service_enabled
    d.heartbeat(State.PARTNER_IN_MAINTENANCE)
    assert d.core.state is State.IN_MAINTENANCE  # never leaves by itself
    assert d.command("ha-maintenance-notify", {"cancel": True}) == {
        "result": 0,
        "text": "Server maintenance canceled.",
    }
    assert d.core.state is state


def test_maintenance_notify_refusals() -> None:
    d = lb()
    for state in (State.TERMINATED, State.PARTNER_IN_MAINTENANCE):
        d.force(state)
        answer = d.command("ha-maintenance-notify", {"cancel": False})
        assert answer == {
            "result": 1001,
            "text": f"Unable to transition the server from the {state.value} to in-maintenance state.",
        }
    assert d.command("ha-maintenance-notify", {"cancel": True})["result"] == 1  # type: ignore[index]
    assert d.command("ha-maintenance-notify", {})["result"] == 1  # type: ignore[index]
    assert d.command("ha-maintenance-notify", {"cancel": "yes"})["result"] == 1  # type: ignore[index]
    backup = lb("server3")
    assert backup.core.state is State.BACKUP
    assert backup.command("ha-maintenance-notify", {"cancel": False})["result"] == 1001  # type: ignore[index]


def test_maintenance_cancel_from_repeated_notify_goes_waiting() -> None:
    d = lb()
    d.force(LB)
    d.command("ha-maintenance-notify", {"cancel": False})
    d.command("ha-maintenance-notify", {"cancel": False})
    d.command("ha-maintenance-notify", {"cancel": True})
    assert d.core.state is W


def test_maintenance_start_and_cancel() -> None:
    d = lb()
    d.force(LB)
    assert d.command("ha-maintenance-start") is None  # waits for the partner
    req = d.request("ha-maintenance-notify")
    assert req.command["arguments"]["cancel"] is False
    d.reply(req, [{"result": 0, "text": "Server is in-maintenance state."}])
    assert d.core.state is State.PARTNER_IN_MAINTENANCE
    assert d.reply_for()["text"].startswith("Server is now in the partner-in-maintenance state")
    assert d.core.scopes == ["server1", "server2"]
    d.command("ha-maintenance-cancel")
    d.reply(d.request("ha-maintenance-notify"), [{"result": 0, "text": "Server maintenance canceled."}])
    assert d.reply_for() == {"result": 0, "text": "Server maintenance successfully canceled."}
    assert d.core.state is LB  # back to the state before maintenance, as Kea 2.2 (docs/kea-interop.md)


def test_maintenance_start_partner_unreachable_goes_partner_down() -> None:
    d = lb()
    import dataclasses

    cfg = d.core.config
    peers = tuple(dataclasses.replace(p, auto_failover=False) for p in cfg.peers)
    d = Driver(dataclasses.replace(cfg, peers=peers))
    d.force(LB)
    d.command("ha-maintenance-start")
    d.fail(d.request("ha-maintenance-notify"))
    assert d.core.state is PD
    assert d.reply_for() == {
        "result": 0,
        "text": "Server is now in the partner-down state as its partner appears to be offline "
        "for maintenance.",
    }
    assert d.core.scopes == ["server1", "server2"]  # maintenance: both scopes even without auto-failover
    assert "HA_MAINTENANCE_STARTED_IN_PARTNER_DOWN" in d.logs()


def test_maintenance_start_refused_by_partner() -> None:
    d = lb()
    d.force(LB)
    d.command("ha-maintenance-start")
    text = "Unable to transition the server from the terminated to in-maintenance state."
    d.reply(d.request("ha-maintenance-notify"), [{"result": 1001, "text": text}])
    answer = d.reply_for()
    assert answer["result"] == 1 and text in answer["text"]
    assert d.core.state is LB


def test_maintenance_start_and_cancel_refusals() -> None:
    d = lb()
    d.force(State.TERMINATED)
    assert d.command("ha-maintenance-start")["result"] == 1  # type: ignore[index]
    d.force(LB)
    answer = d.command("ha-maintenance-cancel")
    assert answer is not None and "not in the partner-in-maintenance state" in answer["text"]


def test_sync_complete_notify() -> None:
    d = lb()
    d.force(LB)
    before = len(d.service_actions())
    text = "Server successfully notified about the synchronization completion."
    assert d.command("ha-sync-complete-notify") == {"result": 0, "text": text}
    assert d.service_actions()[before:] == [SetDhcpService(True, "ha-partner")]
    d.force(PD)
    before = len(d.service_actions())
    d.command("ha-sync-complete-notify")
    assert d.service_actions()[before:] == []  # partner-down keeps the partner's hold...
    d.heartbeat_fails()
    assert d.service_actions()[before:] == [
        SetDhcpService(True, "ha-partner")
    ]  # ...until it cannot be reached


def test_ha_sync_command() -> None:
    d = lb()
    assert d.command("ha-sync") == {"result": 1, "text": "arguments not found in the 'ha-sync' command"}
    assert d.command("ha-sync", {"server-name": 5}) == {
        "result": 1,
        "text": "'server-name' must be a string in the 'ha-sync' command",
    }
    assert d.command("ha-sync", {"server-name": "server8"})["result"] == 1  # type: ignore[index]
    assert d.command("ha-sync", {"server-name": "server1"})["result"] == 1  # type: ignore[index]
    assert d.command("ha-sync", {"server-name": "server2", "max-period": 0})["result"] == 1  # type: ignore[index]
    assert d.commands_sent() == []  # nothing sent for a refused ha-sync
    assert d.command("ha-sync", {"server-name": "server3", "max-period": 30}) is None
    assert d.request("dhcp-disable").command["arguments"] == {"max-period": 30, "origin": "ha-partner"}
    d.ok("dhcp-disable")
    lease = {
        "cltt": 1,
        "hw-address": "02:00:00:00:00:01",
        "ip-address": "10.0.0.1",
        "subnet-id": 1,
        "valid-lft": 60,
    }
    d.ok("lease4-get-page", "1 IPv4 lease(s) found.", {"count": 1, "leases": [lease]})
    d.ok("ha-sync-complete-notify")
    assert d.reply_for() == {"result": 0, "text": "Lease database synchronization complete."}
    merges = [a for a in d.actions if isinstance(a, MergeLeases)]
    assert len(merges) == 1 and merges[0].peer == "server3" and merges[0].leases[0].address == 0x0A000001


def test_unknown_command_and_server_name() -> None:
    d = lb()
    assert d.command("ha-dance") == {"result": 2, "text": "'ha-dance' command not supported."}
    assert d.command("ha-heartbeat", {"server-name": "server2"})["result"] == 0  # type: ignore[index]
    assert d.command("ha-heartbeat", {"server-name": "server9"})["result"] == 1  # type: ignore[index]
    assert d.command("ha-heartbeat", ["x"])["result"] == 1  # type: ignore[index]


# ----------------------------------------------------------------------------- status, reclaim


def test_status() -> None:
    d = lb()
    d.force(LB)
    d.heartbeat(LB, scopes=["server2"])
    status = d.core.status(d.now)
    assert status["ha-mode"] == "load-balancing"
    assert status["ha-servers"]["local"] == {
        "role": "primary",
        "scopes": ["server1"],
        "state": "load-balancing",
    }
    remote = status["ha-servers"]["remote"]
    assert remote["role"] == "secondary" and remote["last-state"] == "load-balancing"
    assert remote["last-scopes"] == ["server2"] and remote["in-touch"] is True
    backup = lb("server3")
    assert "remote" not in backup.core.status(backup.now)["ha-servers"]


def test_reclaim_in_terminated_only_own_scope() -> None:
    standby = hs("server2")
    standby.force(State.TERMINATED)
    assert not standby.core.should_reclaim(standby.lease(1))
    primary = hs("server1")
    assert primary.core.should_reclaim(primary.lease(1))
    primary.force(State.TERMINATED)
    assert primary.core.should_reclaim(primary.lease(1))
    standby.force(HS)
    assert standby.core.should_reclaim(standby.lease(1))  # outside terminated: everything


def test_backup_stays_backup_and_serves_nothing() -> None:
    d = lb("server3")
    assert d.core.state is State.BACKUP and d.core.scopes == [] and not d.core.service_enabled
    assert d.core.next_deadline() is None
    assert not d.core.on_query(d.client(1), d.now).in_scope
    d.command("ha-scopes", {"scopes": ["server1", "server2"]})
    assert d.core.on_query(d.client(1), d.now).in_scope
    assert not d.core.service_enabled  # Kea 2.2: the backup's service stays disabled
