"""Pairs starting up: reaching the normal state, who syncs first, sync-leases false."""

from __future__ import annotations

from tests.sim.harness import Simulation, lease_addresses, make_configs


def _first(sim: Simulation, name: str, message_id: str) -> float:
    return next(t for t, entry in sim[name].logs if entry.message_id == message_id)


def test_hot_standby_pair_reaches_hot_standby() -> None:
    sim = Simulation(make_configs("hot-standby"))
    sim.start()
    sim.run_for(120)
    assert sim["server1"].state == sim["server2"].state == "hot-standby"
    assert sim["server1"].ha.scopes == ["server1"] and sim["server2"].ha.scopes == []
    assert sim["server1"].network.enabled(sim.now) and sim["server2"].network.enabled(sim.now)
    # Concurrent startup: the primary syncs first, the standby waits for it to be ready.
    assert sim["server1"].states() == ["waiting", "syncing", "ready", "hot-standby"]
    assert sim["server2"].states() == ["waiting", "syncing", "ready", "hot-standby"]
    assert _first(sim, "server1", "HA_SYNC_START") < _first(sim, "server2", "HA_SYNC_START")
    client = sim.clients(1)[0]
    assert sim.dhcp(client) == {"server1": "ack", "server2": "out-of-scope"}
    assert lease_addresses(sim["server2"].store) == {sim.address_for(client)}


def test_load_balancing_pair_reaches_load_balancing() -> None:
    sim = Simulation(make_configs("load-balancing"))
    sim.start()
    sim.run_for(120)
    assert sim["server1"].state == sim["server2"].state == "load-balancing"
    assert sim["server1"].ha.scopes == ["server1"] and sim["server2"].ha.scopes == ["server2"]
    # The primary reaches the normal state first; the secondary follows when it sees it there.
    s1 = dict((state, t) for t, state in sim["server1"].history)
    s2 = dict((state, t) for t, state in sim["server2"].history)
    assert s1["syncing"] < s2["syncing"] and s1["load-balancing"] < s2["load-balancing"]
    answered: dict[str, int] = {"server1": 0, "server2": 0}
    for client in sim.clients(40):
        outcome = sim.dhcp(client)
        assert sorted(outcome.values()) == ["ack", "out-of-scope"]  # exactly one server answers
        answered[next(n for n, o in outcome.items() if o == "ack")] += 1
    assert answered["server1"] > 5 and answered["server2"] > 5
    assert lease_addresses(sim["server1"].store) == lease_addresses(sim["server2"].store)


def test_sync_leases_false_goes_from_waiting_to_ready() -> None:
    sim = Simulation(make_configs("hot-standby", params={"sync-leases": False}))
    sim.start()
    sim.run_for(120)
    assert sim["server1"].state == sim["server2"].state == "hot-standby"
    for name in ("server1", "server2"):
        assert "syncing" not in sim[name].states()
        assert "HA_CONFIG_LEASE_SYNCING_DISABLED_REMINDER" in sim[name].log_ids()
        assert not any(c["command"] == "dhcp-disable" for c in sim[name].received)


def test_late_partner_syncs_from_the_survivor() -> None:
    # server2 starts alone: after max-response-delay in waiting (DHCP disabled, nothing to watch)
    # it goes partner-down; when server1 arrives it syncs from server2 and both go normal.
    sim = Simulation(make_configs("load-balancing"))
    sim.start("server2")
    sim.run_for(90)
    assert sim["server2"].state == "partner-down"
    assert sim["server2"].ha.scopes == ["server1", "server2"]
    clients = sim.clients(5)
    for c in clients:
        assert sim.dhcp(c) == {"server2": "ack"}
    sim.start("server1")
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "load-balancing", timeout=300
    ), (sim["server1"].states(), sim["server2"].states())
    assert lease_addresses(sim["server1"].store) == {sim.address_for(c) for c in clients}
    # server2 allocated leases in partner-down without updating anyone: server1 sees
    # unsent-update-count > 0, but it was waiting (not partner-down), so it simply synced.
    assert sim["server1"].states()[:4] == ["waiting", "syncing", "ready", "load-balancing"]
