"""The HA service's foundation: its state, the state machine runner, transitions and heartbeats.

HACore (core.py) is built in layers, one concern per module:
  service.py     state, plumbing, running the state machine, entering states, heartbeats
  operations.py  requests beyond heartbeats: lease updates, lease sync, backlog, ha-reset
  control.py     the HA control commands (and maintenance, which waits for the partner)
  core.py        the public API the I/O shell calls

The state machine runs like Kea's HAService: after every heartbeat, after every completed set of
lease updates and after commands; one handler run per NOP event, else handlers run until one stays.
Kea runs some steps synchronously (the sync in syncing, the backlog in communication-recovery,
ha-maintenance-start's notify); here each is an "operation" (`_operation`): while one is under way
the heartbeat timer is suspended and the state machine does not run; its completion continues where
Kea's synchronous call would have returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from hakea.ha import commands
from hakea.ha.actions import (
    ORIGIN_HA_LOCAL,
    ORIGIN_HA_PARTNER,
    Action,
    Log,
    SendRequest,
    SetDhcpService,
    StateChanged,
    error,
    info,
    warn,
)
from hakea.ha.commands import (
    Answer,
)
from hakea.ha.communication import CommunicationState
from hakea.ha.config import HAConfig, Mode, PeerConfig, Role
from hakea.ha.family import V4, LeaseFamily, LeaseUpdateBacklog
from hakea.ha.query_filter import QueryFilter
from hakea.ha.state_machine import (
    Context,
    PauseControl,
    ScopeChoice,
    Work,
    clears_rejected_on_entry,
    decide,
    heartbeat_allowed,
    scopes_on_entry,
    service_enabled,
    should_partner_down,
    should_send_lease_updates,
)
from hakea.ha.states import State, parse_state
from hakea.ha.sync import DEFAULT_REQUEST_TIMEOUT, SyncProcedure

_MAX_CASCADE = 16  # handler runs per event; Kea loops until a handler posts NOP


class Event(Enum):
    NOP = "NOP_EVT"
    START = "START_EVT"
    HEARTBEAT_COMPLETE = "HA_HEARTBEAT_COMPLETE_EVT"
    LEASE_UPDATES_COMPLETE = "HA_LEASE_UPDATES_COMPLETE_EVT"
    SYNCING_SUCCEEDED = "HA_SYNCING_SUCCEEDED_EVT"
    MAINTENANCE_CANCEL = "HA_MAINTENANCE_CANCEL_EVT"


@dataclass(frozen=True, slots=True)
class LeaseUpdatePlan:
    """What to do with a client's response after its leases were committed."""

    park: bool  # hold the response until ReleaseParked(txn)
    txn: int  # 0 when not parked
    actions: list[Action]


# ----------------------------------------------------------------------------- bookkeeping


@dataclass(slots=True)
class Txn:
    pending: int
    client: tuple[bytes, ...]
    lifetime: int
    label: str
    released: bool = False


@dataclass(slots=True)
class SyncRun:
    proc: SyncProcedure
    peer: PeerConfig
    started: float
    ticket: int | None  # None: the syncing state's own sync; else an ha-sync command


@dataclass(slots=True)
class BacklogRun:
    started: float
    sent: int = 0


@dataclass(slots=True)
class ResetRun:
    pass


@dataclass(slots=True)
class MaintenanceRun:
    cancel: bool
    ticket: int


Operation = SyncRun | BacklogRun | ResetRun | MaintenanceRun


@dataclass(slots=True)
class HeartbeatReq:
    notified: bool  # ha-sync-complete-notify arrived before this heartbeat went out


@dataclass(slots=True)
class UpdateReq:
    txn: int
    peer: PeerConfig
    counted: bool  # the parked response waits for this answer


@dataclass(slots=True)
class OperationReq:
    op: Operation


@dataclass(slots=True)
class IgnoredReq:
    pass


PendingRequest = HeartbeatReq | UpdateReq | OperationReq | IgnoredReq


@dataclass(slots=True)
class Reply:
    answer: Answer | None
    failure: str  # communication failure text when answer is None

    @property
    def ok(self) -> bool:
        return self.answer is not None and self.answer.ok

    def text(self) -> str:
        return self.failure if self.answer is None else self.answer.error_text()


# ----------------------------------------------------------------------------- the service base


class ServiceBase:
    def __init__(self, config: HAConfig, now: float, family: LeaseFamily = V4) -> None:
        self.config = config
        self.family = family
        self.filter = QueryFilter(config)
        self.comm = CommunicationState(config, now)
        self.state = State.WAITING
        self.prev_state = State.WAITING
        self._me = config.this_server
        self._partner = config.failover_peer
        self._pause = PauseControl(config)
        self._backlog = LeaseUpdateBacklog(config.delayed_updates_limit)
        self._out: list[Action] = []
        self._requests: dict[int, PendingRequest] = {}
        self._next_request = 1
        self._txns: dict[int, Txn] = {}
        self._next_txn = 1
        self._heartbeat_due: float | None = None
        self._heartbeat_in_flight = False
        self._operation: Operation | None = None
        self._user_sync: SyncRun | None = None
        self._sync_complete_notified = False
        self._local_service: bool | None = None
        self._started = False

    # ================================================================= internals: plumbing
    def _drain(self) -> list[Action]:
        out, self._out = self._out, []
        return out

    def _log(self, entry: Log | None) -> None:
        if entry is not None:
            self._out.append(entry)

    def _send(
        self, peer: PeerConfig, command: dict[str, Any], timeout: float, pending: PendingRequest
    ) -> int:
        rid = self._next_request
        self._next_request += 1
        self._requests[rid] = pending
        self._out.append(SendRequest(rid, peer.name, peer.url, command, timeout))
        return rid

    def _partner_label(self) -> str:
        return self._partner.log_label if self._partner else "(none)"

    # ================================================================= state machine
    def _context(self, now: float, maintenance_canceled: bool) -> Context:
        state = self.state
        cfg = self.config
        checks = (
            not self._pause.paused
            and not maintenance_canceled
            and state
            not in (
                State.TERMINATED,
                State.BACKUP,
                State.PASSIVE_BACKUP,
                State.IN_MAINTENANCE,
            )
        )
        interrupted = self.comm.is_interrupted(now)
        return Context(
            mode=cfg.mode,
            role=cfg.role,
            partner=self.comm.partner_state,
            sync_leases=cfg.sync_leases,
            comm_recovery_allowed=cfg.comm_recovery_allowed,
            terminate=checks and self._should_terminate(now),
            partner_down=should_partner_down(
                interrupted, service_enabled(state), cfg.mode, cfg.role, self.comm.failure_detected()
            ),
            partner_new_unsent_updates=self.comm.has_partner_new_unsent_updates(),
            interrupted=interrupted,
            backlog_overflown=self._backlog.overflown,
            paused=self._pause.paused,
            maintenance_canceled=maintenance_canceled,
        )

    def _should_terminate(self, now: float) -> bool:
        fatal = self.comm.clock_skew_should_terminate()
        if fatal is not None:
            self._log(fatal)
            return True
        self._log(self.comm.clock_skew_should_warn(now))
        rejected = self.comm.rejected_lease_updates_should_terminate(now)
        self._log(rejected)
        return rejected is not None

    def _run_model(self, event: Event, now: float) -> None:
        """Run state handlers: one for a NOP event, else until a handler stays (Kea's runModel)."""
        canceled = event is Event.MAINTENANCE_CANCEL
        for _ in range(_MAX_CASCADE):
            if self._operation is not None:
                return
            state = self.state
            d = decide(state, self._context(now, canceled))
            canceled = False
            if d.log_id == "HA_TERMINATED_RESTART_PARTNER":
                self._log(info(d.log_id, "waiting for the partner in the TERMINATED state to be restarted"))
            if d.work is Work.SYNC:
                self._start_state_sync(now)
                return
            if d.work is Work.HA_RESET:
                self._start_ha_reset(now)
                return
            if d.work is Work.SEND_BACKLOG:
                if len(self._backlog):
                    self._start_backlog(now)
                    return
                self._log(
                    info(
                        "HA_LEASES_BACKLOG_NOTHING_TO_SEND",
                        "no leases in backlog after communication recovery",
                    )
                )
            if d.next_state is None or d.next_state is state:
                return
            self._transition(d.next_state, now)
            if event is Event.NOP:
                return

    def _transition(self, new: State, now: float, via_maintenance: bool = False) -> None:
        old = self.state
        partner = self.comm.partner_state
        partner_label = partner.label if partner is not None else "UNDEFINED"
        me = self.config.this_server_name
        if self.config.mode is Mode.PASSIVE_BACKUP:
            self._log(
                info(
                    "HA_STATE_TRANSITION_PASSIVE_BACKUP",
                    f"{me}: server transitions from {old.label} to {new.label} state",
                )
            )
        else:
            self._log(
                info(
                    "HA_STATE_TRANSITION",
                    f"{me}: server transitions from {old.label} to {new.label} state, "
                    f"partner state is {partner_label}",
                )
            )
        if new is State.READY and old is State.WAITING:
            self._log(
                info(
                    "HA_CONFIG_LEASE_SYNCING_DISABLED_REMINDER",
                    "bypassing SYNCING state because lease database synchronization is "
                    "administratively disabled",
                )
            )
        self._enter(new, now, via_maintenance)
        self._out.append(StateChanged(old.value, new.value, partner.value if partner is not None else ""))
        if (
            self.config.role is not Role.BACKUP
            and self.config.mode is not Mode.PASSIVE_BACKUP
            and self._partner
        ):
            if should_send_lease_updates(new, self.config, self._partner.role):
                self._log(
                    info(
                        "HA_LEASE_UPDATES_ENABLED",
                        f"lease updates will be sent to the partner while in {new.label} state",
                    )
                )
            elif not self.config.send_lease_updates:
                self._log(
                    info(
                        "HA_CONFIG_LEASE_UPDATES_DISABLED_REMINDER",
                        "lease updates are administratively disabled and will not be generated "
                        f"while in {new.label} state",
                    )
                )
            else:
                self._log(
                    info(
                        "HA_LEASE_UPDATES_DISABLED",
                        f"lease updates will not be sent to the partner while in {new.label} state",
                    )
                )

    def _enter(self, state: State, now: float, via_maintenance: bool = False) -> None:
        """Entry actions of a state (Kea's doOnEntry parts): scopes, DHCP service, heartbeat, logs."""
        if self.state is State.COMMUNICATION_RECOVERY and state is not State.COMMUNICATION_RECOVERY:
            self._backlog.clear()  # leaving recovery: either sent, or a full resync replaces it
        self.prev_state = self.state
        self.state = state
        self._pause.on_entry(state)
        choice = scopes_on_entry(state, self.config, via_maintenance)
        if choice is ScopeChoice.DEFAULT:
            self.filter.serve_default()
        elif choice is ScopeChoice.FAILOVER:
            self.filter.serve_failover()
        else:
            self.filter.serve_none()
        self._adjust_service()
        if heartbeat_allowed(state, self.config):
            self._schedule_heartbeat(now)
        else:
            self._heartbeat_due = None
        if clears_rejected_on_entry(state):
            self.comm.clear_rejected_lease_updates()
        if self._pause.paused:
            self._log(info("HA_STATE_MACHINE_PAUSED", f"state machine paused in state {state.label}"))
        if state is State.IN_MAINTENANCE:
            self._log(
                info(
                    "HA_MAINTENANCE_SHUTDOWN_SAFE",
                    "the server can now be shutdown for maintenance as the partner has taken over "
                    "the DHCP traffic",
                )
            )
        elif state is State.PARTNER_IN_MAINTENANCE:
            self._log(
                info(
                    "HA_MAINTENANCE_STARTED",
                    "the server is now in the partner-in-maintenance state and the partner is "
                    "in-maintenance state",
                )
            )
        elif state is State.PARTNER_DOWN and via_maintenance:
            self._log(
                info(
                    "HA_MAINTENANCE_STARTED_IN_PARTNER_DOWN",
                    "the server is now in the partner-down mode as a result of requested maintenance",
                )
            )
        elif state is State.TERMINATED:
            self._log(
                error(
                    "HA_TERMINATED",
                    "HA service terminated due to an unrecoverable condition. "
                    "Check previous error message(s), address the problem and restart!",
                )
            )

    def _adjust_service(self) -> None:
        want = service_enabled(self.state)
        me = self.config.this_server_name
        if want != self._local_service:
            self._local_service = want
            verb = "enabled" if want else "disabled"
            self._log(
                info(
                    "HA_LOCAL_DHCP_ENABLE" if want else "HA_LOCAL_DHCP_DISABLE",
                    f"local DHCP service is {verb} while the {me} is in the {self.state.label} state",
                )
            )
            self._out.append(SetDhcpService(want, ORIGIN_HA_LOCAL))
        if want:
            # Kea 2.2 holds its own and a syncing partner's disable under one origin, so entering
            # a serving state also lifts the partner's hold.
            self._out.append(SetDhcpService(True, ORIGIN_HA_PARTNER))

    # ================================================================= heartbeat
    def _schedule_heartbeat(self, now: float) -> None:
        if (
            self._heartbeat_due is None
            and not self._heartbeat_in_flight
            and self._partner is not None
            and heartbeat_allowed(self.state, self.config)
        ):
            self._heartbeat_due = now + self.config.heartbeat_delay_s

    def _send_heartbeat(self) -> None:
        assert self._partner is not None
        notified, self._sync_complete_notified = self._sync_complete_notified, False
        self._heartbeat_due = None
        self._heartbeat_in_flight = True
        self._send(
            self._partner,
            commands.heartbeat(self.family.service),
            DEFAULT_REQUEST_TIMEOUT,
            HeartbeatReq(notified),
        )

    def _heartbeat_done(self, req: HeartbeatReq, reply: Reply, now: float) -> None:
        self._heartbeat_in_flight = False
        ok = False
        if reply.answer is None:
            self._log(
                warn(
                    "HA_HEARTBEAT_COMMUNICATIONS_FAILED",
                    f"failed to send heartbeat to {self._partner_label()}: {reply.failure}",
                )
            )
        else:
            try:
                self._take_heartbeat(reply.answer, now)
                ok = True
            except ValueError as exc:
                self._log(warn("HA_HEARTBEAT_FAILED", f"heartbeat to {self._partner_label()} failed: {exc}"))
        if ok:
            self.comm.poke(now)
        else:
            self.comm.mark_partner_unavailable()
            if self.comm.is_interrupted(now) and self._partner is not None:
                self._log(
                    warn(
                        "HA_COMMUNICATION_INTERRUPTED",
                        f"communication with {self._partner.name} is interrupted",
                    )
                )
        if heartbeat_allowed(self.state, self.config) and self._operation is None:
            self._heartbeat_due = now + self.config.heartbeat_delay_s
        if req.notified and not ok and self.state is State.PARTNER_DOWN:
            # The partner synced from us but cannot be reached now: serve on in partner-down.
            self._out.append(SetDhcpService(True, ORIGIN_HA_PARTNER))
        self._run_model(Event.HEARTBEAT_COMPLETE, now)

    def _take_heartbeat(self, answer: Answer, now: float) -> None:
        if not answer.ok:
            raise ValueError(answer.error_text())
        args = answer.arguments
        if not isinstance(args, Mapping):
            raise ValueError("returned arguments in the response must be a map")
        state = args.get("state")
        if not isinstance(state, str):
            raise ValueError(
                "server state not returned in response to a ha-heartbeat command or it is not a string"
            )
        try:
            partner_state = parse_state(state)
        except ValueError:
            raise ValueError(f"unsupported HA partner state returned {state}") from None
        date_time = args.get("date-time")
        if not isinstance(date_time, str):
            raise ValueError(
                "date-time not returned in response to a ha-heartbeat command or it is not a string"
            )
        unsent = args.get("unsent-update-count")
        if unsent is not None and (isinstance(unsent, bool) or not isinstance(unsent, int)):
            raise ValueError("unsent-update-count returned in the ha-heartbeat response is not an integer")
        self.comm.set_partner_time(date_time, now)
        self.comm.set_partner_state(partner_state)
        self.comm.set_partner_scopes(args.get("scopes"))
        if unsent is not None:
            self.comm.set_partner_unsent_update_count(unsent)

    # ================================================================= replies to our requests
    def _on_reply(self, request_id: int, reply: Reply, now: float) -> list[Action]:
        self._out = []
        pending = self._requests.pop(request_id, None)
        if isinstance(pending, HeartbeatReq):
            self._heartbeat_done(pending, reply, now)
        elif isinstance(pending, UpdateReq):
            self._update_done(pending, reply, now)
        elif isinstance(pending, OperationReq):
            op = pending.op
            if isinstance(op, SyncRun):
                if op is self._operation or op is self._user_sync:
                    self._sync_reply(op, reply, now)
            elif op is not self._operation:
                pass  # aborted meanwhile
            elif isinstance(op, BacklogRun):
                self._backlog_reply(op, reply, now)
            elif isinstance(op, ResetRun):
                self._reset_reply(reply, now)
            else:
                self._maintenance_reply(op, reply, now)
        return self._drain()

    def _partner_reply(
        self, peer: PeerConfig, reply: Reply, now: float, unavailable_on_error: bool = True
    ) -> None:
        """Any request to the failover partner: success is contact; failure marks it unavailable."""
        if self._partner is None or peer.name != self._partner.name:
            return
        if reply.ok:
            self.comm.poke(now)
        elif unavailable_on_error:
            self.comm.mark_partner_unavailable()

    # ================================================================= implemented by subclasses
    def _start_state_sync(self, now: float) -> None:
        raise NotImplementedError

    def _start_backlog(self, now: float) -> None:
        raise NotImplementedError

    def _start_ha_reset(self, now: float) -> None:
        raise NotImplementedError

    def _update_done(self, req: UpdateReq, reply: Reply, now: float) -> None:
        raise NotImplementedError

    def _sync_reply(self, run: SyncRun, reply: Reply, now: float) -> None:
        raise NotImplementedError

    def _backlog_reply(self, run: BacklogRun, reply: Reply, now: float) -> None:
        raise NotImplementedError

    def _reset_reply(self, reply: Reply, now: float) -> None:
        raise NotImplementedError

    def _maintenance_reply(self, run: MaintenanceRun, reply: Reply, now: float) -> None:
        raise NotImplementedError
