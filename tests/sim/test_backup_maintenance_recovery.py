"""A backup server, planned maintenance, and communication-recovery in load-balancing."""

from __future__ import annotations

from typing import Any

from tests.sim.harness import Simulation, lease_addresses, make_configs


def _running(mode: str, backups: tuple[str, ...] = (), params: dict[str, Any] | None = None) -> Simulation:
    sim = Simulation(make_configs(mode, backups=backups, params=params))
    sim.start()
    assert sim.run_until_true(lambda: sim["server1"].state == sim["server2"].state == mode, timeout=300)
    return sim


def test_backup_receives_updates_and_serves_nothing_until_ha_scopes() -> None:
    sim = _running("load-balancing", backups=("server3",), params={"max-unacked-clients": 0})
    backup = sim["server3"]
    assert backup.states() == ["waiting", "backup"]
    assert backup.sent == []  # a backup sends nothing: no heartbeats, no updates
    clients = sim.clients(10)
    for c in clients:
        outcome = sim.dhcp(c)
        assert outcome["server3"] == "out-of-scope"
    assert lease_addresses(backup.store) == {sim.address_for(c) for c in clients}
    # The backup keeps getting updates from a partner-down survivor.
    sim.crash("server2")
    assert sim.run_until_true(lambda: sim["server1"].state == "partner-down", timeout=120)
    late = sim.clients(3, start=500)
    for c in late:
        assert sim.dhcp(c)["server1"] == "ack"  # not parked: nobody to wait for
    sim.run_for(1)  # the updates to the backup are on their way
    assert lease_addresses(backup.store) >= {sim.address_for(c) for c in late}
    # Both active servers gone: the operator gives the backup the scopes.
    sim.crash("server1")
    answer = sim.command("server3", "ha-scopes", {"scopes": ["HA_server1", "HA_server2"]})
    assert answer == {"result": 0, "text": "New HA scopes configured."}
    assert backup.ha.scopes == ["server1", "server2"]
    assert backup.state == "backup"
    # In scope now, but Kea 2.2's backup keeps its DHCP service disabled until a dhcp-enable.
    assert sim.dhcp(sim.clients(1, start=900)[0]) == {"server3": "disabled"}
    backup.network.enable("ha-local")
    assert sim.dhcp(sim.clients(1, start=901)[0]) == {"server3": "ack"}


def test_maintenance_start_shutdown_and_return() -> None:
    sim = _running("hot-standby")
    answer = sim.command("server1", "ha-maintenance-start")
    assert answer["result"] == 0 and "partner-in-maintenance" in answer["text"]
    assert sim["server1"].state == "partner-in-maintenance" and sim["server2"].state == "in-maintenance"
    assert "HA_MAINTENANCE_SHUTDOWN_SAFE" in sim["server2"].log_ids()
    sim.run_for(120)
    assert sim["server2"].state == "in-maintenance"  # stays until canceled or shut down
    c = sim.clients(1)[0]
    assert sim.dhcp(c) == {"server1": "ack", "server2": "out-of-scope"}
    # The maintained server goes away: its partner goes partner-down at once.
    sim.crash("server2")
    assert sim.run_until_true(lambda: sim["server1"].state == "partner-down", timeout=15)
    sim.start("server2")
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "hot-standby", timeout=300
    )
    assert sim.address_for(c) in lease_addresses(sim["server2"].store)


def test_maintenance_start_on_the_standby_hands_over_the_primary_scope() -> None:
    sim = _running("hot-standby")
    sim.command("server2", "ha-maintenance-start")
    assert sim["server2"].state == "partner-in-maintenance" and sim["server1"].state == "in-maintenance"
    assert sim["server2"].ha.scopes == ["server1"]
    assert sim.dhcp(sim.clients(1)[0]) == {"server1": "out-of-scope", "server2": "ack"}
    assert not sim["server1"].network.enabled(sim.now)


def test_maintenance_cancel() -> None:
    sim = _running("load-balancing")
    sim.command("server1", "ha-maintenance-start")
    assert sim["server2"].state == "in-maintenance"
    answer = sim.command("server1", "ha-maintenance-cancel")
    assert answer == {"result": 0, "text": "Server maintenance successfully canceled."}
    assert sim["server2"].state == "load-balancing"  # back where it was
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "load-balancing", timeout=300
    )
    # The canceling side goes straight back too (Kea 2.2 does; no resync: docs/kea-interop.md).
    assert sim["server1"].states()[-2:] == ["partner-in-maintenance", "load-balancing"]


def test_maintenance_start_with_partner_already_down() -> None:
    sim = _running("hot-standby")
    sim.crash("server2")
    answer = sim.command("server1", "ha-maintenance-start")
    assert answer["result"] == 0 and "partner-down" in answer["text"]
    assert sim["server1"].state == "partner-down"


def test_communication_recovery_sends_backlog() -> None:
    sim = _running("load-balancing", params={"delayed-updates-limit": 50})
    sim.partition("server1", "server2")
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "communication-recovery", timeout=30
    )
    served: list[int] = []
    for c in sim.clients(12, start=300):
        outcome = sim.dhcp(c)
        assert sorted(outcome.values()) == ["ack", "out-of-scope"]  # own scope only, not parked
        served.append(sim.address_for(c))
    assert sim["server1"].ha.backlog_size + sim["server2"].ha.backlog_size == 12
    sim.heal("server1", "server2")  # back before max-response-delay
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "load-balancing", timeout=60
    )
    assert "HA_LEASES_BACKLOG_SUCCESS" in sim["server1"].log_ids() + sim["server2"].log_ids()
    assert set(served) <= lease_addresses(sim["server1"].store)
    assert set(served) <= lease_addresses(sim["server2"].store)
    assert "waiting" not in sim["server1"].states()[-3:]  # no full resync needed


def test_communication_recovery_overflow_forces_resync() -> None:
    sim = _running("load-balancing", params={"delayed-updates-limit": 3})
    sim.partition("server1", "server2")
    assert sim.run_until_true(lambda: sim["server1"].state == "communication-recovery", timeout=30)
    served = [sim.address_for(c) for c in sim.clients(20, start=400) if "ack" in sim.dhcp(c).values()]
    sim.heal("server1", "server2")
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "load-balancing", timeout=300
    )
    assert any("waiting" in sim[n].states()[2:] for n in ("server1", "server2"))  # someone resynced
    both = lease_addresses(sim["server1"].store) & lease_addresses(sim["server2"].store)
    assert set(served) <= both
