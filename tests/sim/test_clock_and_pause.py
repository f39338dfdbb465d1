"""Clock skew (warn, then terminate) and pausing the state machine."""

from __future__ import annotations

import itertools
import re

from tests.sim.harness import Simulation, make_configs


def test_clock_skew_warns_then_terminates() -> None:
    sim = Simulation(make_configs("load-balancing"))
    sim["server2"].clock_offset = 40.0  # 40 s ahead: warn, keep working
    sim.start()
    sim.run_for(600)
    assert sim["server1"].state == sim["server2"].state == "load-balancing"
    warnings = [t for t, entry in sim["server1"].logs if entry.message_id == "HA_HIGH_CLOCK_SKEW"]
    assert 5 <= len(warnings) <= 10  # at most one a minute over ten minutes
    assert all(b - a > 60 for a, b in itertools.pairwise(warnings))
    # Whole seconds, truncated like Kea (the partner's date-time has no fraction).
    first1 = str(next(e for _, e in sim["server1"].logs if e.message_id == "HA_HIGH_CLOCK_SKEW"))
    first2 = str(next(e for _, e in sim["server2"].logs if e.message_id == "HA_HIGH_CLOCK_SKEW"))
    assert re.search(r"partner's clock is (39|40)s ahead, please synchronize clocks!$", first1)
    assert re.search(r"partner's clock is (39|40|41)s behind", first2)

    sim["server2"].clock_offset = 65.0  # now beyond 60 s
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "terminated", timeout=60
    )
    assert "HA_HIGH_CLOCK_SKEW_CAUSES_TERMINATION" in sim["server1"].log_ids()
    # Terminated: both keep serving their own scope, but no heartbeats and no lease updates.
    for name in ("server1", "server2"):
        assert sim[name].ha.scopes == [name] and sim[name].network.enabled(sim.local(name))
        assert sim[name].ha.next_deadline() is None
    heartbeats = sum(c["command"] == "ha-heartbeat" for s in sim.servers.values() for c in s.received)
    sim.run_for(3600)
    assert sum(c["command"] == "ha-heartbeat" for s in sim.servers.values() for c in s.received) == heartbeats
    outcome = sim.dhcp(sim.clients(1)[0])
    assert sorted(outcome.values()) == ["ack", "out-of-scope"]
    assert not any(c["command"] == "lease4-update" for s in sim.servers.values() for c in s.received[-1:])


def test_restart_after_fixing_clocks_waits_for_terminated_partner() -> None:
    sim = Simulation(make_configs("hot-standby"))
    sim["server2"].clock_offset = -90.0
    sim.start()
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "terminated", timeout=120
    )
    sim["server2"].clock_offset = 0.0
    sim.restart("server2")
    sim.run_for(120)
    assert sim["server2"].state == "waiting"  # partner still terminated: wait for its restart
    assert "HA_TERMINATED_RESTART_PARTNER" in sim["server2"].log_ids()
    sim.restart("server1")
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "hot-standby", timeout=300
    )


def test_pause_once_in_waiting_then_continue() -> None:
    pause = {"state-machine": {"states": [{"state": "waiting", "pause": "once"}]}}
    configs = make_configs("hot-standby")
    configs["server1"] = make_configs("hot-standby", params=pause)["server1"]  # only the primary pauses
    sim = Simulation(configs)
    sim.start()
    sim.run_for(300)
    # The primary sits paused in waiting; the standby waits for it (concurrent start rule).
    assert sim["server1"].state == sim["server2"].state == "waiting"
    assert sim["server1"].ha.paused and "HA_STATE_MACHINE_PAUSED" in sim["server1"].log_ids()
    assert any(c["command"] == "ha-heartbeat" for c in sim["server2"].received)  # heartbeats go on
    assert sim.command("server1", "ha-continue") == {"result": 0, "text": "HA state machine continues."}
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "hot-standby", timeout=120
    )
    # "once": after a reset back to waiting it does not pause again.
    sim.command("server1", "ha-reset")
    assert sim.run_until_true(lambda: sim["server1"].state == "hot-standby", timeout=120)
    assert not sim["server1"].ha.paused


def test_pause_always_in_ready() -> None:
    pause = {"state-machine": {"states": [{"state": "ready", "pause": "always"}]}}
    sim = Simulation(make_configs("load-balancing", params=pause))
    sim.start()
    sim.run_for(300)
    assert sim["server1"].state == sim["server2"].state == "ready"
    assert sim["server1"].ha.paused and sim["server2"].ha.paused
    assert sim.command("server1", "ha-continue")["text"] == "HA state machine continues."
    assert sim.command("server2", "ha-continue")["text"] == "HA state machine continues."
    assert sim.run_until_true(
        lambda: sim["server1"].state == sim["server2"].state == "load-balancing", timeout=120
    )
    sim.command("server2", "ha-reset")
    sim.run_for(120)
    assert sim["server2"].state == "ready" and sim["server2"].ha.paused  # "always": pauses again
    assert sim.command("server2", "ha-continue")["text"] == "HA state machine continues."
    assert sim.run_until_true(lambda: sim["server2"].state == "load-balancing", timeout=120)
