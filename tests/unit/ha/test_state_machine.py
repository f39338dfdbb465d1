"""kea-ha-behaviour.md 2.1: every cell of the transition tables, for both roles of both modes.

A cell is one run of the row state's handler with the partner reporting the column state; for
column U the partner did not answer (first failure: communication not yet interrupted).
"""

from __future__ import annotations

from typing import Any

import pytest

from hakea.ha.config import HAConfig, Mode, Role
from hakea.ha.state_machine import (
    CR,
    HS,
    IM,
    LB,
    PD,
    PIM,
    Context,
    Decision,
    PauseControl,
    ScopeChoice,
    T,
    U,
    W,
    Work,
    decide,
    heartbeat_allowed,
    partner_state_invalid,
    scopes_on_entry,
    service_enabled,
    should_partner_down,
    should_queue_lease_updates,
    should_send_lease_updates,
)
from hakea.ha.states import State
from tests.sim.harness import make_configs

R = State.READY
S = State.SYNCING
COLUMNS = [CR, HS, LB, IM, PD, PIM, R, S, T, W, U]
ABBREV = {"CR": CR, "HS": HS, "LB": LB, "IM": IM, "PD": PD, "PIM": PIM, "R": R, "S": S, "T": T, "W": W}

# LB primary; the secondary's table differs only in the cells marked with "|secondary".
LB_TABLE = {
    "CR": "LB W LB PIM W IM CR CR T CR CR",
    "LB": "LB W LB PIM W IM LB LB T LB CR",
    "IM": "IM IM IM IM IM IM IM IM IM IM IM",
    "PD": "W W PD PD W W LB PD T PD PD",
    "PIM": "PIM PIM PIM PIM PIM PIM PIM PIM PIM PIM PD",
    "R": "LB W LB PIM R IM LB|R R T R R",
    "W": "S W S S S S S W W S|W W",
}

# HS primary; the standby's table differs only in the "|standby" cells. The PD row's LB column is
# not tested in Kea for the primary ("n/t"); a load-balancing partner is invalid in hot-standby,
# so both roles go to waiting.
HS_TABLE = {
    "HS": "W HS W PIM W IM HS HS T HS HS",
    "IM": "IM IM IM IM IM IM IM IM IM IM IM",
    "PD": "W PD W PD W W HS PD T PD PD",
    "PIM": "PIM PIM PIM PIM PIM PIM PIM PIM PIM PIM PD",
    "R": "W HS W PIM R IM HS|R R T R R",
    "W": "W S W S S S S W W S|W W",
}


def _cells(table: dict[str, str], mode: Mode, first_role: Role, other_role: Role) -> list[object]:
    out: list[object] = []
    for row, line in table.items():
        cells = line.split()
        assert len(cells) == len(COLUMNS), row
        for col, cell in zip(COLUMNS, cells, strict=True):
            primary_cell, _, other_cell = cell.partition("|")
            for role, expected in ((first_role, primary_cell), (other_role, other_cell or primary_cell)):
                out.append(
                    pytest.param(
                        mode, role, ABBREV[row], col, ABBREV[expected], id=f"{mode}-{role}-{row}-{col}"
                    )
                )
    return out


def _ctx(mode: Mode, role: Role, partner: State | None, **kw: bool) -> Context:
    return Context(
        mode=mode,
        role=role,
        partner=partner,
        sync_leases=True,
        comm_recovery_allowed=mode is Mode.LOAD_BALANCING,
        **kw,
    )


def _next(state: State, ctx: Context) -> State:
    d = decide(state, ctx)
    return d.next_state if d.next_state is not None else state


@pytest.mark.parametrize(
    ("mode", "role", "me", "partner", "expected"),
    _cells(LB_TABLE, Mode.LOAD_BALANCING, Role.PRIMARY, Role.SECONDARY)
    + _cells(HS_TABLE, Mode.HOT_STANDBY, Role.PRIMARY, Role.STANDBY),
)
def test_transition_table(mode: Mode, role: Role, me: State, partner: State, expected: State) -> None:
    assert _next(me, _ctx(mode, role, partner)) is expected


def _after_interruption(mode: Mode, role: Role, row: State, failure_detected: bool) -> State:
    """The U column, then communication interrupted: the cell state's next run."""
    cell = _next(row, _ctx(mode, role, U))
    pd = should_partner_down(True, service_enabled(cell), mode, role, failure_detected)
    return _next(cell, _ctx(mode, role, U, partner_down=pd, interrupted=True))


@pytest.mark.parametrize(
    ("mode", "role", "rows"),
    [
        (Mode.LOAD_BALANCING, Role.PRIMARY, LB_TABLE),
        (Mode.LOAD_BALANCING, Role.SECONDARY, LB_TABLE),
        (Mode.HOT_STANDBY, Role.PRIMARY, HS_TABLE),
        (Mode.HOT_STANDBY, Role.STANDBY, HS_TABLE),
    ],
)
def test_interrupted_goes_partner_down(mode: Mode, role: Role, rows: dict[str, str]) -> None:
    # A server serving clients that can watch the partner's traffic (load-balancing, or the
    # standby) stays until unacked clients show the failure; others go partner-down at once.
    for name in rows:
        row = ABBREV[name]
        if row is IM:
            assert _after_interruption(mode, role, row, True) is IM
            continue
        cell = _next(row, _ctx(mode, role, U))
        watches = service_enabled(cell) and (mode is Mode.LOAD_BALANCING or role is Role.STANDBY)
        if watches and cell is not PIM:
            assert _after_interruption(mode, role, row, False) is cell, name
        assert _after_interruption(mode, role, row, True) is PD, name


def test_partner_in_maintenance_goes_partner_down_without_interruption() -> None:
    assert _next(PIM, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, U)) is PD


def test_no_communication_recovery_without_backlog_limit() -> None:
    ctx = Context(Mode.LOAD_BALANCING, Role.PRIMARY, U, comm_recovery_allowed=False)
    assert decide(LB, ctx).next_state is None


def test_partner_down_with_new_unsent_updates_resyncs() -> None:
    ctx = _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, R, partner_new_unsent_updates=True)
    assert _next(PD, ctx) is W
    ctx = _ctx(Mode.HOT_STANDBY, Role.STANDBY, R, partner_new_unsent_updates=True)
    assert _next(PD, ctx) is W


@pytest.mark.parametrize("partner", [LB, PD, R, IM, PIM, CR])
def test_sync_leases_false_skips_syncing(partner: State) -> None:
    ctx = Context(Mode.LOAD_BALANCING, Role.PRIMARY, partner, sync_leases=False)
    assert _next(W, ctx) is R


def test_syncing_starts_a_sync_once_the_partner_answers() -> None:
    d = decide(S, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, PD))
    assert d == Decision(R, Work.SYNC)
    assert decide(S, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, U)).work is Work.NONE  # partner offline
    assert _next(S, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, U, partner_down=True)) is PD
    assert _next(S, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, T)) is T
    assert _next(S, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, HS)) is W  # invalid partner state


@pytest.mark.parametrize("state", [LB, PD, R, W, S, CR])
def test_clock_skew_terminates(state: State) -> None:
    assert _next(state, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, LB, terminate=True)) is T
    assert _next(HS, _ctx(Mode.HOT_STANDBY, Role.STANDBY, HS, terminate=True)) is T


@pytest.mark.parametrize("state", [LB, PD, R, W, S, CR])
def test_pause_holds_the_state(state: State) -> None:
    # Even a terminated partner does not move a paused server.
    assert decide(state, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, T, paused=True)).next_state is None
    assert (
        decide(state, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, T, maintenance_canceled=True)).next_state
        is None
    )


def test_waiting_with_terminated_partner_says_so() -> None:
    d = decide(W, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, T))
    assert d.next_state is None and d.log_id == "HA_TERMINATED_RESTART_PARTNER"


def test_backup_and_passive_backup_leave_waiting() -> None:
    assert _next(W, _ctx(Mode.LOAD_BALANCING, Role.BACKUP, None)) is State.BACKUP
    assert _next(State.BACKUP, _ctx(Mode.LOAD_BALANCING, Role.BACKUP, LB)) is State.BACKUP
    assert _next(W, _ctx(Mode.PASSIVE_BACKUP, Role.PRIMARY, None)) is State.PASSIVE_BACKUP
    assert _next(T, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, LB)) is T


def test_communication_recovery_backlog_paths() -> None:
    ctx = _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, LB)
    assert decide(CR, ctx) == Decision(LB, Work.SEND_BACKLOG)
    overflown = _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, LB, backlog_overflown=True)
    assert decide(CR, overflown) == Decision(W, Work.HA_RESET)
    # Partner resyncing anyway: an overflowed backlog sends us to waiting, without ha-reset.
    assert decide(CR, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, R, backlog_overflown=True)) == Decision(W)
    # Still interrupted: stay.
    assert decide(CR, _ctx(Mode.LOAD_BALANCING, Role.PRIMARY, LB, interrupted=True)).next_state is None


def test_invalid_partner_states() -> None:
    assert partner_state_invalid(Mode.HOT_STANDBY, LB)
    assert partner_state_invalid(Mode.HOT_STANDBY, CR)
    assert partner_state_invalid(Mode.LOAD_BALANCING, HS)
    assert not partner_state_invalid(Mode.LOAD_BALANCING, CR)
    assert not partner_state_invalid(Mode.HOT_STANDBY, None)


# ----------------------------------------------------------------------------- per-state facts


def _cfg(mode: str = "load-balancing", me: str = "server1", params: dict[str, Any] | None = None) -> HAConfig:
    return make_configs(mode, backups=("server3",), params=params)[me]


def test_service_per_state() -> None:
    enabled = {CR, LB, HS, PD, PIM, T, State.PASSIVE_BACKUP}
    for state in State:
        if state is U:
            continue
        assert service_enabled(state) is (state in enabled), state


@pytest.mark.parametrize(
    ("mode", "me", "auto_failover", "expected"),
    [
        # state: LB/HS, T, PD, PD via maintenance, PIM (kea-ha-behaviour.md 2.2)
        (
            "load-balancing",
            "server1",
            True,
            (
                {"server1"},
                {"server1"},
                {"server1", "server2"},
                {"server1", "server2"},
                {"server1", "server2"},
            ),
        ),
        (
            "load-balancing",
            "server1",
            False,
            ({"server1"}, {"server1"}, {"server1"}, {"server1", "server2"}, {"server1", "server2"}),
        ),
        ("hot-standby", "server1", True, ({"server1"}, {"server1"}, {"server1"}, {"server1"}, {"server1"})),
        ("hot-standby", "server1", False, ({"server1"}, {"server1"}, {"server1"}, {"server1"}, {"server1"})),
        ("hot-standby", "server2", True, (set(), set(), {"server1"}, {"server1"}, {"server1"})),
        ("hot-standby", "server2", False, (set(), set(), set(), {"server1"}, {"server1"})),
    ],
)
def test_scopes_per_state(mode: str, me: str, auto_failover: bool, expected: tuple[set[str], ...]) -> None:
    from hakea.ha.query_filter import QueryFilter

    peers_cfg = make_configs(mode)
    cfg = peers_cfg[me]
    if not auto_failover:
        import dataclasses

        peers = tuple(dataclasses.replace(p, auto_failover=False) if p.name == me else p for p in cfg.peers)
        cfg = dataclasses.replace(cfg, peers=peers)
    normal = LB if mode == "load-balancing" else HS
    cases = [(normal, False), (T, False), (PD, False), (PD, True), (PIM, False)]
    qf = QueryFilter(cfg)
    for (state, via), want in zip(cases, expected, strict=True):
        choice = scopes_on_entry(state, cfg, via)
        {
            ScopeChoice.DEFAULT: qf.serve_default,
            ScopeChoice.FAILOVER: qf.serve_failover,
            ScopeChoice.NONE: qf.serve_none,
        }[choice]()
        assert qf.served == want, (state, via)
    for state in (IM, R, W, S, State.BACKUP):
        assert scopes_on_entry(state, cfg) is ScopeChoice.NONE


def test_lease_updates_per_state() -> None:
    cfg = _cfg()
    for state in State:
        assert should_send_lease_updates(state, cfg, Role.SECONDARY) is (state in (LB, HS, PIM)), state
        assert should_send_lease_updates(state, cfg, Role.BACKUP)  # backups even in partner-down
        assert should_queue_lease_updates(state, cfg, Role.SECONDARY) is (state is CR)
        assert not should_queue_lease_updates(state, cfg, Role.BACKUP)
    off = _cfg(params={"send-lease-updates": False})
    assert not should_send_lease_updates(LB, off, Role.SECONDARY)
    assert not should_send_lease_updates(LB, off, Role.BACKUP)
    backup = _cfg(me="server3")
    assert not should_send_lease_updates(State.BACKUP, backup, Role.PRIMARY)


def test_heartbeat_per_state() -> None:
    cfg = _cfg()
    for state in (W, S, R, LB, HS, PD, PIM, IM, CR):
        assert heartbeat_allowed(state, cfg)
    assert not heartbeat_allowed(T, cfg)
    assert not heartbeat_allowed(W, _cfg(me="server3"))  # a backup never sends heartbeats


def test_pause_once_always_never() -> None:
    cfg = _cfg(
        params={
            "state-machine": {
                "states": [{"state": "waiting", "pause": "once"}, {"state": "ready", "pause": "always"}]
            }
        }
    )
    pc = PauseControl(cfg)
    assert pc.on_entry(W) and pc.paused
    assert pc.unpause() and not pc.unpause()  # true once, false the second time
    assert not pc.on_entry(W)  # "once": only the first entry
    assert pc.on_entry(R)
    pc.unpause()
    assert pc.on_entry(R)  # "always"
    pc.unpause()
    assert not pc.on_entry(LB)  # "never" (default)
