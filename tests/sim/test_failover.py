"""A partner dies: detection, partner-down service, and the way back."""

from __future__ import annotations

from typing import Any

from tests.sim.harness import Simulation, lease_addresses, make_configs


def _running_pair(mode: str, params: dict[str, Any] | None = None) -> Simulation:
    sim = Simulation(make_configs(mode, params=params))
    sim.start()
    normal = mode
    assert sim.run_until_true(lambda: sim["server1"].state == sim["server2"].state == normal, timeout=300)
    return sim


def test_standby_takes_over_with_max_unacked_clients_zero() -> None:
    sim = _running_pair("hot-standby", params={"max-unacked-clients": 0})
    before = sim.clients(3)
    for c in before:
        assert sim.dhcp(c)["server1"] == "ack"
    crash_at = sim.now
    sim.crash("server1")
    # No traffic needed: the standby goes partner-down once nothing succeeded for max-response-delay.
    assert sim.run_until_true(lambda: sim["server2"].state == "partner-down", timeout=120)
    took = sim["server2"].history[-1][0] - crash_at
    assert 50 <= took <= 75  # max-response-delay 60 s from the last contact, heartbeats every 10 s
    assert sim["server2"].ha.scopes == ["server1"]
    assert "HA_COMMUNICATION_INTERRUPTED" in sim["server2"].log_ids()
    during = sim.clients(4, start=100)
    for c in during:
        assert sim.dhcp(c) == {"server2": "ack"}  # answered without waiting for anyone
    assert sim["server2"].ha.comm.unsent_update_count == 4

    # The primary comes back: waiting -> syncing -> ready, the standby returns to hot-standby.
    sim.start("server1")
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "hot-standby", timeout=300
    )
    restarted = sim["server1"].states()[-4:]
    assert restarted == ["waiting", "syncing", "ready", "hot-standby"]
    assert sim["server2"].states()[-2:] == ["partner-down", "hot-standby"]
    everything = {sim.address_for(c) for c in before + during}
    assert lease_addresses(sim["server1"].store) == everything == lease_addresses(sim["server2"].store)


def test_standby_takes_over_after_unacked_clients() -> None:
    sim = _running_pair("hot-standby")  # max-unacked-clients 10, max-ack-delay 10 s
    sim.crash("server1")
    sim.run_for(120)
    assert sim["server2"].state == "hot-standby"  # interrupted, but no evidence from clients yet
    clients = sim.clients(12)
    for c in clients[:10]:
        sim.dhcp(c, secs=3)  # trying, but not for long yet: connecting, not unacked
    sim.run_for(20)
    assert sim["server2"].state == "hot-standby"
    for c in clients[:10]:
        sim.dhcp(c, secs=15)  # now past max-ack-delay: 10 unacked clients, not more than 10
    sim.run_for(20)
    assert sim["server2"].state == "hot-standby"
    assert sim["server2"].ha.comm.unacked_clients == 10
    sim.dhcp(clients[10], secs=0x0F00)  # byte-swapped secs: 15 s; the 11th unacked client
    assert sim.run_until_true(lambda: sim["server2"].state == "partner-down", timeout=15)
    assert sim.dhcp(clients[11]) == {"server2": "ack"}


def test_load_balancing_survivor_serves_both_scopes_and_recovers() -> None:
    sim = _running_pair("load-balancing", params={"max-unacked-clients": 0})
    sim.crash("server2")
    assert sim.run_until_true(lambda: sim["server1"].state == "partner-down", timeout=120)
    # First failure: communication-recovery (load-balancing keeps serving its own scope).
    assert sim["server1"].states()[-2:] == ["communication-recovery", "partner-down"]
    assert sim["server1"].ha.scopes == ["server1", "server2"]
    clients = sim.clients(20, start=50)
    for c in clients:
        assert sim.dhcp(c) == {"server1": "ack"}
    sim.start("server2")
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "load-balancing", timeout=300
    )
    assert lease_addresses(sim["server2"].store) >= {sim.address_for(c) for c in clients}


def test_partner_back_in_partner_down_forces_waiting() -> None:
    # Both partner-down after a partition (each thinks the other died): when the link heals,
    # both drop to waiting; the primary syncs first and they return to load-balancing.
    sim = _running_pair("load-balancing", params={"max-unacked-clients": 0})
    sim.partition("server1", "server2")
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "partner-down", timeout=200
    )
    a, b = sim.clients(2, start=200)
    sim.dhcp(a)
    sim.dhcp(b)
    sim.heal("server1", "server2")
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "load-balancing", timeout=300
    )
    for name in ("server1", "server2"):
        assert "waiting" in sim[name].states()[-5:]
    assert lease_addresses(sim["server1"].store) == lease_addresses(sim["server2"].store)


def test_sync_failure_retries_until_it_succeeds() -> None:
    # kea's waitingSyncingReadyLoadBalancing: W, partner in PD -> S; the fetch fails -> stay S
    # until it works -> R; the partner leaves PD when it sees R; then both normal.
    sim = _running_pair("load-balancing", params={"max-unacked-clients": 0})
    sim.crash("server2")
    assert sim.run_until_true(lambda: sim["server1"].state == "partner-down", timeout=120)
    sim.refuse("server1", "lease4-get-page")
    seen_before = len(sim["server1"].received)
    sim.start("server2")
    sim.run_for(60)
    assert sim["server2"].state == "syncing" and sim["server1"].state == "partner-down"
    assert sim["server2"].log_ids().count("HA_SYNC_FAILED") >= 3  # one attempt per heartbeat
    # Every failed attempt gave server1 its service back (dhcp-enable after the failed page).
    received = [c["command"] for c in sim["server1"].received[seen_before:]]
    assert received.count("dhcp-enable") == received.count("lease4-get-page") >= 3
    assert sim["server1"].network.enabled(sim.now)
    sim.refuse("server1", "lease4-get-page", on=False)
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "load-balancing", timeout=300
    )
    assert sim["server2"].states()[-3:] == ["syncing", "ready", "load-balancing"]
