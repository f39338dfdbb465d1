"""The HA state machine's rules, as pure functions: where to go next and what each state implies.

`decide(state, ctx)` is one run of a state's handler: given this server's state and what it knows
(partner's reported state, whether communication is interrupted, ...) it returns the next state
and any work to start. It reproduces Kea 2.2's handlers cell for cell (kea-ha-behaviour.md 2.1);
the tables in tests/unit/ha/test_state_machine.py are that section's tables.

Common prelude of the active states (waiting, syncing, ready, load-balancing / hot-standby,
partner-down, communication-recovery): a paused state machine, or the run right after a
maintenance cancel, stays put; then a clock skew (or rejected-updates limit) beyond the limit goes
to terminated; then a partner in a state that is invalid for our mode (load-balancing vs
hot-standby, communication-recovery outside load-balancing) sends us to waiting (waiting stays).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from hakea.ha.config import HAConfig, Mode, Pausing, Role
from hakea.ha.states import State

W = State.WAITING
S = State.SYNCING
R = State.READY
LB = State.LOAD_BALANCING
HS = State.HOT_STANDBY
PD = State.PARTNER_DOWN
T = State.TERMINATED
IM = State.IN_MAINTENANCE
PIM = State.PARTNER_IN_MAINTENANCE
CR = State.COMMUNICATION_RECOVERY
U = State.UNAVAILABLE


class Work(Enum):
    NONE = "none"
    SYNC = "sync"  # syncing: fetch the partner's leases; success -> ready
    SEND_BACKLOG = "send-backlog"  # communication-recovery: send queued updates; success -> normal
    HA_RESET = "ha-reset"  # communication-recovery: tell the partner to resync; success -> waiting


@dataclass(frozen=True, slots=True)
class Context:
    mode: Mode
    role: Role
    partner: State | None  # None: not heard of yet
    sync_leases: bool = True
    comm_recovery_allowed: bool = False
    terminate: bool = False  # clock skew > 60 s or too many rejected lease updates
    partner_down: bool = False  # should_partner_down(...) for the current situation
    partner_new_unsent_updates: bool = False
    interrupted: bool = False
    backlog_overflown: bool = False
    paused: bool = False
    maintenance_canceled: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    next_state: State | None = None  # None: stay (with Work: the state reached if the work succeeds)
    work: Work = Work.NONE
    log_id: str | None = None  # a message to log with the decision (HA_TERMINATED_RESTART_PARTNER)


STAY = Decision()


def normal_state(mode: Mode, role: Role) -> State:
    if role is Role.BACKUP:
        return State.BACKUP
    if mode is Mode.LOAD_BALANCING:
        return LB
    if mode is Mode.HOT_STANDBY:
        return HS
    return State.PASSIVE_BACKUP


def partner_state_invalid(mode: Mode, partner: State | None) -> bool:
    if partner is CR or partner is LB:
        return mode is not Mode.LOAD_BALANCING
    if partner is HS:
        return mode is not Mode.HOT_STANDBY
    return False


def should_partner_down(
    interrupted: bool, service_enabled: bool, mode: Mode, role: Role, failure_detected: bool
) -> bool:
    """Kea's shouldPartnerDown: only once communication is interrupted.

    A server that serves clients and can watch the partner's traffic (load-balancing, or the
    hot-standby standby) waits for the unacked-clients detection; the hot-standby primary (its
    partner serves nothing to watch) and a server with DHCP disabled cannot watch, so they go
    partner-down at once.
    """
    if not interrupted:
        return False
    if service_enabled and (mode is Mode.LOAD_BALANCING or role is Role.STANDBY):
        return failure_detected
    return True


def _unavailable(ctx: Context, otherwise: Decision = STAY) -> Decision:
    return Decision(PD) if ctx.partner_down else otherwise


def _waiting(ctx: Context) -> Decision:
    p = ctx.partner
    after_wait = Decision(S if ctx.sync_leases else R)
    if p in (CR, HS, LB, IM, PD, PIM, R):
        return after_wait
    if p is W:
        # Concurrent start: the primary goes first, the other waits for it.
        return after_wait if ctx.role is Role.PRIMARY else STAY
    if p is T:
        return Decision(log_id="HA_TERMINATED_RESTART_PARTNER")
    if p is U:
        return _unavailable(ctx)
    return STAY  # syncing partner, or nothing heard yet


def _syncing(ctx: Context) -> Decision:
    # No sync attempt until the partner answers; an unreachable partner may mean partner-down.
    if ctx.partner is T:
        return Decision(T)
    if ctx.partner is U:
        return _unavailable(ctx)
    return Decision(R, Work.SYNC)


def _ready(ctx: Context) -> Decision:
    p = ctx.partner
    if p in (HS, LB, CR):
        return Decision(normal_state(ctx.mode, ctx.role))
    if p is IM:
        return Decision(PIM)
    if p is PIM:
        return Decision(IM)
    if p is R:
        return Decision(normal_state(ctx.mode, ctx.role)) if ctx.role is Role.PRIMARY else STAY
    if p is T:
        return Decision(T)
    if p is U:
        return _unavailable(ctx)
    return STAY


def _normal(ctx: Context) -> Decision:
    p = ctx.partner
    if p is IM:
        return Decision(PIM)
    if p is PD:
        return Decision(W)  # the survivor has the truth: resync from it
    if p is PIM:
        return Decision(IM)
    if p is T:
        return Decision(T)
    if p is U:
        if ctx.partner_down:
            return Decision(PD)
        return Decision(CR) if ctx.comm_recovery_allowed else STAY
    return STAY


def _partner_down(ctx: Context) -> Decision:
    p = ctx.partner
    if p in (CR, PD, PIM):
        return Decision(W)
    if p is R:
        # The partner allocated leases it could not send us: resync instead of resuming.
        return Decision(W) if ctx.partner_new_unsent_updates else Decision(normal_state(ctx.mode, ctx.role))
    if p is T:
        return Decision(T)
    return STAY


def _communication_recovery(ctx: Context) -> Decision:
    p = ctx.partner
    if p is IM:
        return Decision(PIM)
    if p is PD:
        return Decision(W)
    if p is PIM:
        return Decision(IM)
    if p is T:
        return Decision(T)
    if p is U:
        return _unavailable(ctx)
    if p in (W, S, R):
        # The partner is resyncing anyway; only an overflowed backlog forces our own resync.
        return Decision(W) if (not ctx.interrupted and ctx.backlog_overflown) else STAY
    if ctx.interrupted:
        return STAY
    if p in (LB, CR):
        if ctx.backlog_overflown:
            return Decision(W, Work.HA_RESET)
        return Decision(normal_state(ctx.mode, ctx.role), Work.SEND_BACKLOG)
    return Decision(W)


_ACTIVE_HANDLERS = {
    W: _waiting,
    S: _syncing,
    R: _ready,
    LB: _normal,
    HS: _normal,
    PD: _partner_down,
    CR: _communication_recovery,
}


def decide(state: State, ctx: Context) -> Decision:
    """One run of `state`'s handler."""
    if state is W and not ctx.paused and not ctx.maintenance_canceled:
        # A backup never leaves its own state; a passive-backup primary needs no partner.
        if ctx.role is Role.BACKUP:
            return Decision(State.BACKUP)
        if ctx.mode is Mode.PASSIVE_BACKUP:
            return Decision(State.PASSIVE_BACKUP)
    handler = _ACTIVE_HANDLERS.get(state)
    if handler is not None:
        if ctx.paused or ctx.maintenance_canceled:
            return STAY
        if ctx.terminate:
            return Decision(T)
        if partner_state_invalid(ctx.mode, ctx.partner):
            return STAY if state is W else Decision(W)
        return handler(ctx)
    if state is PIM:
        # The maintained partner is expected to disappear: partner-down at once.
        if ctx.paused:
            return STAY
        if ctx.terminate:
            return Decision(T)
        return Decision(PD) if ctx.partner is U else STAY
    # in-maintenance leaves only by ha-maintenance-cancel; terminated, backup and passive-backup
    # never leave.
    return STAY


# ----------------------------------------------------------------------------- per-state facts

SERVICE_ENABLED_STATES = frozenset({CR, LB, HS, PD, PIM, State.PASSIVE_BACKUP, T})


def service_enabled(state: State) -> bool:
    """Whether HA lets the DHCP service run in this state (Kea's adjustNetworkState)."""
    return state in SERVICE_ENABLED_STATES


def heartbeat_allowed(state: State, config: HAConfig) -> bool:
    """Heartbeats run in every state but terminated and the backup states (never for a backup)."""
    if config.role is Role.BACKUP or config.mode is Mode.PASSIVE_BACKUP:
        return False
    return state not in (T, State.BACKUP, State.PASSIVE_BACKUP)


def should_send_lease_updates(state: State, config: HAConfig, peer_role: Role) -> bool:
    if not config.send_lease_updates:
        return False
    if peer_role is Role.BACKUP:
        return True  # backups get updates in every state (even partner-down)
    if config.role is Role.BACKUP:
        return False
    if config.mode is Mode.PASSIVE_BACKUP:
        return True
    return state in (HS, LB, PIM)


def should_queue_lease_updates(state: State, config: HAConfig, peer_role: Role) -> bool:
    return config.send_lease_updates and peer_role is not Role.BACKUP and state is CR


def clears_rejected_on_entry(state: State) -> bool:
    return state in (PD, R, T, W)


class ScopeChoice(Enum):
    NONE = "none"
    DEFAULT = "default"
    FAILOVER = "failover"


def scopes_on_entry(state: State, config: HAConfig, via_maintenance: bool = False) -> ScopeChoice:
    """Which scopes a state serves (kea-ha-behaviour.md 2.2)."""
    if state in (LB, HS, CR, T, State.PASSIVE_BACKUP):
        return ScopeChoice.DEFAULT
    if state is PD:
        if via_maintenance or config.this_server.auto_failover:
            return ScopeChoice.FAILOVER
        return ScopeChoice.DEFAULT
    if state is PIM:
        return ScopeChoice.FAILOVER
    return ScopeChoice.NONE


class PauseControl:
    """Kea's per-state pausing: "always" pauses on every entry, "once" on the first one only."""

    def __init__(self, config: HAConfig) -> None:
        self._config = config
        self._paused_once: set[State] = set()
        self.paused = False

    def on_entry(self, state: State) -> bool:
        """Called when a state is entered; returns True when this entry pauses the machine."""
        if self.paused:
            return False
        pausing = self._config.pausing(state)
        if pausing is Pausing.ALWAYS or (pausing is Pausing.ONCE and state not in self._paused_once):
            self._paused_once.add(state)
            self.paused = True
            return True
        return False

    def unpause(self) -> bool:
        was = self.paused
        self.paused = False
        return was
