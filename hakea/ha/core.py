"""HACore: one HA relationship's service, events and `now` in, actions out.

This ties the pieces together the way Kea's HAService does: the state machine (state_machine.py)
runs after every heartbeat, after every completed set of lease updates and after commands; the
communication state (communication.py) records what the partner said; the query filter decides
which queries to answer; sync.py fetches the partner's leases.

Kea runs some steps synchronously (the lease sync in the syncing state, the backlog in
communication-recovery, ha-maintenance-start's notify); here each is an "operation": while one is
under way the heartbeat timer is suspended and the state machine does not run, and its completion
continues where Kea's synchronous call would have returned.

The shell's contract is in actions.py. Times (`now`) are wall-clock seconds since the epoch: the
heartbeat's date-time and the clock-skew check need real time; deadlines are compared with it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from hakea.ha import commands
from hakea.ha.actions import (
    ORIGIN_HA_LOCAL,
    ORIGIN_HA_PARTNER,
    Action,
    CommandReply,
    Log,
    MergeLeases,
    ReleaseParked,
    SendRequest,
    SetDhcpService,
    StateChanged,
    error,
    info,
    warn,
)
from hakea.ha.commands import (
    RESULT_CONFLICT,
    RESULT_UNSUPPORTED,
    Answer,
    AnswerError,
    make_answer,
    parse_answer,
)
from hakea.ha.communication import CommunicationState, format_rfc1123
from hakea.ha.config import HAConfig, Mode, PeerConfig, Role
from hakea.ha.family import V4, BacklogOp, LeaseFamily, LeaseUpdateBacklog
from hakea.ha.query_filter import FilterDecision, QueryFilter, QueryInfo, ScopeError
from hakea.ha.state_machine import (
    Context,
    PauseControl,
    ScopeChoice,
    Work,
    clears_rejected_on_entry,
    decide,
    heartbeat_allowed,
    normal_state,
    scopes_on_entry,
    service_enabled,
    should_partner_down,
    should_queue_lease_updates,
    should_send_lease_updates,
)
from hakea.ha.states import State, parse_state
from hakea.ha.sync import DEFAULT_REQUEST_TIMEOUT, Phase, SyncProcedure, SyncStep

HA_COMMANDS = frozenset(
    {
        "ha-heartbeat",
        "ha-scopes",
        "ha-continue",
        "ha-reset",
        "ha-maintenance-notify",
        "ha-maintenance-start",
        "ha-maintenance-cancel",
        "ha-sync",
        "ha-sync-complete-notify",
    }
)

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
class _Txn:
    pending: int
    client: tuple[bytes, ...]
    lifetime: int
    label: str
    released: bool = False


@dataclass(slots=True)
class _SyncRun:
    proc: SyncProcedure
    peer: PeerConfig
    started: float
    ticket: int | None  # None: the syncing state's own sync; else an ha-sync command


@dataclass(slots=True)
class _BacklogRun:
    started: float
    sent: int = 0


@dataclass(slots=True)
class _ResetRun:
    pass


@dataclass(slots=True)
class _MaintenanceRun:
    cancel: bool
    ticket: int


_Operation = _SyncRun | _BacklogRun | _ResetRun | _MaintenanceRun


@dataclass(slots=True)
class _HeartbeatReq:
    notified: bool  # ha-sync-complete-notify arrived before this heartbeat went out


@dataclass(slots=True)
class _UpdateReq:
    txn: int
    peer: PeerConfig
    counted: bool  # the parked response waits for this answer


@dataclass(slots=True)
class _OpReq:
    op: _Operation


@dataclass(slots=True)
class _IgnoredReq:
    pass


_Pending = _HeartbeatReq | _UpdateReq | _OpReq | _IgnoredReq


@dataclass(slots=True)
class _Reply:
    answer: Answer | None
    failure: str  # communication failure text when answer is None

    @property
    def ok(self) -> bool:
        return self.answer is not None and self.answer.ok

    def text(self) -> str:
        return self.failure if self.answer is None else self.answer.error_text()


# ----------------------------------------------------------------------------- the core


class HACore:
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
        self._requests: dict[int, _Pending] = {}
        self._next_request = 1
        self._txns: dict[int, _Txn] = {}
        self._next_txn = 1
        self._heartbeat_due: float | None = None
        self._heartbeat_in_flight = False
        self._operation: _Operation | None = None
        self._user_sync: _SyncRun | None = None
        self._sync_complete_notified = False
        self._local_service: bool | None = None
        self._started = False

    # ================================================================= public API: events
    def start(self, now: float) -> list[Action]:
        """Enter waiting and run its handler once (Kea's startModel)."""
        self._out = []
        if not self._started:
            self._started = True
            self._log(
                info(
                    "HA_SERVICE_STARTED",
                    f"started high availability service in {self.config.mode.value} mode as "
                    f"{self.config.role.value} server",
                )
            )
            self._enter(State.WAITING, now)
            self._run_model(Event.START, now)
        return self._drain()

    def next_deadline(self) -> float | None:
        """When on_tick must run next (None: nothing timed is pending)."""
        if self._operation is not None or self._heartbeat_in_flight:
            return None
        return self._heartbeat_due

    def on_tick(self, now: float) -> list[Action]:
        self._out = []
        due = self.next_deadline()
        if due is not None and now >= due:
            self._send_heartbeat()
        return self._drain()

    def on_response(self, request_id: int, body: Any, now: float) -> list[Action]:
        """The decoded JSON body of the HTTP response to SendRequest `request_id`."""
        try:
            reply = _Reply(parse_answer(body), "")
        except AnswerError as exc:
            reply = _Reply(None, str(exc))
        return self._on_reply(request_id, reply, now)

    def on_request_failed(self, request_id: int, reason: str, now: float) -> list[Action]:
        """SendRequest `request_id` got no usable response (refused, timed out, bad HTTP)."""
        return self._on_reply(request_id, _Reply(None, reason), now)

    def on_query(self, query: QueryInfo, now: float) -> FilterDecision:
        """Is this query ours? Also feeds partner failure detection while communication is down."""
        decision = self.filter.classify(query)
        if not decision.in_scope and self.comm.is_interrupted(now):
            logs = self.comm.analyze(query, now)
            if logs:
                return FilterDecision(decision.in_scope, decision.scope_class, tuple(logs))
        return decision

    def on_leases_committed(
        self, updated: Sequence[Any], deleted: Sequence[Any], query: QueryInfo, now: float
    ) -> LeaseUpdatePlan:
        """A client transaction changed leases: send (or queue, or count) the updates for the peers."""
        self._out = []
        if not self.config.send_lease_updates or (not updated and not deleted):
            return LeaseUpdatePlan(False, 0, [])
        lifetime = max((self.family.lease_lifetime(lease) for lease in updated), default=0)
        txn_id = self._next_txn
        self._next_txn += 1
        txn = _Txn(0, query.client_key, lifetime, query.label)
        for peer in self.config.other_peers:
            if should_queue_lease_updates(self.state, self.config, peer.role):
                for lease in deleted:
                    self._backlog.push(BacklogOp.DELETE, lease)
                for lease in updated:
                    self._backlog.push(BacklogOp.ADD, lease)
                continue
            if not should_send_lease_updates(self.state, self.config, peer.role):
                if peer.role is not Role.BACKUP:
                    self.comm.increase_unsent_update_count()
                continue
            counted = self.config.wait_backup_ack or peer.role is not Role.BACKUP
            for command in self.family.update_commands(updated, deleted):
                self._send(peer, command, DEFAULT_REQUEST_TIMEOUT, _UpdateReq(txn_id, peer, counted))
                if counted:
                    txn.pending += 1
        if txn.pending == 0:
            return LeaseUpdatePlan(False, 0, self._drain())
        self._txns[txn_id] = txn
        return LeaseUpdatePlan(True, txn_id, self._drain())

    def on_command(self, name: str, arguments: Any, now: float, ticket: int) -> list[Action]:
        """An HA control command (see HA_COMMANDS). The answer comes as CommandReply(ticket, ...),
        in the returned actions or, for commands that wait for the partner, later."""
        self._out = []
        args: Mapping[str, Any] | None = arguments if isinstance(arguments, Mapping) else None
        answer: dict[str, Any] | None
        if arguments is not None and args is None:
            answer = make_answer(commands.RESULT_ERROR, f"arguments in the '{name}' command are not a map")
        elif (bad := self._check_server_name(args)) is not None:
            answer = make_answer(commands.RESULT_ERROR, bad)
        elif name == "ha-heartbeat":
            answer = self.heartbeat_answer(now)
        elif name == "ha-scopes":
            answer = self._cmd_scopes(args)
        elif name == "ha-continue":
            answer = self._cmd_continue()
        elif name == "ha-reset":
            answer = self._cmd_reset(now)
        elif name == "ha-maintenance-notify":
            answer = self._cmd_maintenance_notify(args, now)
        elif name == "ha-maintenance-start":
            answer = self._cmd_maintenance(False, now, ticket)
        elif name == "ha-maintenance-cancel":
            answer = self._cmd_maintenance(True, now, ticket)
        elif name == "ha-sync":
            answer = self._cmd_sync(args, now, ticket)
        elif name == "ha-sync-complete-notify":
            answer = self._cmd_sync_complete_notify()
        else:
            answer = make_answer(RESULT_UNSUPPORTED, f"'{name}' command not supported.")
        if answer is not None:
            self._out.append(CommandReply(ticket, answer))
        return self._drain()

    def transition(self, state: State, now: float) -> list[Action]:
        """Enter `state` with its entry actions, as Kea's verboseTransition (tests and tools)."""
        self._out = []
        self._transition(state, now)
        return self._drain()

    # ================================================================= public API: queries
    @property
    def paused(self) -> bool:
        return self._pause.paused

    @property
    def service_enabled(self) -> bool:
        """Whether HA's own hold lets the DHCP service run (ignores other origins' holds)."""
        return service_enabled(self.state)

    @property
    def scopes(self) -> list[str]:
        return self.filter.served_list()

    @property
    def backlog_size(self) -> int:
        return len(self._backlog)

    def heartbeat_answer(self, now: float) -> dict[str, Any]:
        return make_answer(
            commands.RESULT_SUCCESS,
            "HA peer status returned.",
            {
                "date-time": format_rfc1123(now),
                "scopes": self.filter.served_list(),
                "state": self.state.value,
                "unsent-update-count": self.comm.unsent_update_count,
            },
        )

    def status(self, now: float) -> dict[str, Any]:
        """One entry of status-get's "high-availability" list."""
        servers: dict[str, Any] = {
            "local": {
                "role": self._me.role.value,
                "scopes": self.filter.served_list(),
                "state": self.state.value,
            }
        }
        if self.config.role is not Role.BACKUP and self.config.mode is not Mode.PASSIVE_BACKUP:
            remote = self.comm.report(now)
            remote["role"] = self._partner.role.value if self._partner else ""
            servers["remote"] = dict(sorted(remote.items()))
        return {"ha-mode": self.config.mode.value, "ha-servers": servers}

    def should_reclaim(self, lease: Any) -> bool:
        """Expired-lease reclamation: in terminated only leases of a scope we serve (the hot-standby
        standby must not tear down DNS for leases the primary keeps renewing)."""
        if self.state is not State.TERMINATED:
            return True
        return self.filter.key_in_scope(self.family.lease_lb_key(lease))

    # ================================================================= internals: plumbing
    def _drain(self) -> list[Action]:
        out, self._out = self._out, []
        return out

    def _log(self, entry: Log | None) -> None:
        if entry is not None:
            self._out.append(entry)

    def _send(self, peer: PeerConfig, command: dict[str, Any], timeout: float, pending: _Pending) -> int:
        rid = self._next_request
        self._next_request += 1
        self._requests[rid] = pending
        self._out.append(SendRequest(rid, peer.name, peer.url, command, timeout))
        return rid

    def _partner_label(self) -> str:
        return self._partner.log_label if self._partner else "(none)"

    def _check_server_name(self, args: Mapping[str, Any] | None) -> str | None:
        # Later Kea versions name the relationship with "server-name" (any peer of it).
        if args is None or "server-name" not in args:
            return None
        name = args["server-name"]
        if not isinstance(name, str):
            return "'server-name' must be a string"
        if self.config.peer(name) is None:
            return f"server '{name}' matches no configured 'server-name'"
        return None

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
            _HeartbeatReq(notified),
        )

    def _heartbeat_done(self, req: _HeartbeatReq, reply: _Reply, now: float) -> None:
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
    def _on_reply(self, request_id: int, reply: _Reply, now: float) -> list[Action]:
        self._out = []
        pending = self._requests.pop(request_id, None)
        if isinstance(pending, _HeartbeatReq):
            self._heartbeat_done(pending, reply, now)
        elif isinstance(pending, _UpdateReq):
            self._update_done(pending, reply, now)
        elif isinstance(pending, _OpReq):
            op = pending.op
            if isinstance(op, _SyncRun):
                if op is self._operation or op is self._user_sync:
                    self._sync_reply(op, reply, now)
            elif op is not self._operation:
                pass  # aborted meanwhile
            elif isinstance(op, _BacklogRun):
                self._backlog_reply(op, reply, now)
            elif isinstance(op, _ResetRun):
                self._reset_reply(reply, now)
            else:
                self._maintenance_reply(op, reply, now)
        return self._drain()

    def _partner_reply(
        self, peer: PeerConfig, reply: _Reply, now: float, unavailable_on_error: bool = True
    ) -> None:
        """Any request to the failover partner: success is contact; failure marks it unavailable."""
        if self._partner is None or peer.name != self._partner.name:
            return
        if reply.ok:
            self.comm.poke(now)
        elif unavailable_on_error:
            self.comm.mark_partner_unavailable()

    # ================================================================= lease updates
    def _update_done(self, req: _UpdateReq, reply: _Reply, now: float) -> None:
        txn = self._txns.get(req.txn)
        peer = req.peer
        label = txn.label if txn is not None and txn.label else "client"
        conflict = reply.answer is not None and reply.answer.result == RESULT_CONFLICT
        if not reply.ok:
            if reply.answer is None:
                text = f"{label}: failed to communicate with {peer.log_label}: {reply.failure}"
                self._log(warn("HA_LEASE_UPDATE_COMMUNICATIONS_FAILED", text))
            elif conflict:
                text = (
                    f"{label}: lease update to {peer.log_label} returned conflict status code: {reply.text()}"
                )
                self._log(warn("HA_LEASE_UPDATE_CONFLICT", text))
            else:
                self._log(
                    warn(
                        "HA_LEASE_UPDATE_FAILED",
                        f"{label}: lease update to {peer.log_label} failed: {reply.text()}",
                    )
                )
        if peer.role is not Role.BACKUP:
            # A conflict is an answer: the partner is there, it just cannot take the lease.
            self._partner_reply(peer, reply, now, unavailable_on_error=not conflict)
            if txn is not None:
                if reply.ok:
                    self.comm.report_successful_lease_update(txn.client)
                elif conflict:
                    self.comm.report_rejected_lease_update(txn.client, txn.lifetime, now)
        if not req.counted or txn is None:
            return
        if not reply.ok and not txn.released:
            txn.released = True
            self._out.append(ReleaseParked(req.txn, False))
        txn.pending -= 1
        if txn.pending <= 0:
            del self._txns[req.txn]
            if not txn.released:
                self._out.append(ReleaseParked(req.txn, True))
            self._run_model(Event.LEASE_UPDATES_COMPLETE, now)

    # ================================================================= lease sync
    def _new_sync(self, peer: PeerConfig, max_period: int | None) -> SyncProcedure:
        return SyncProcedure(
            peer.name,
            service=self.family.service,
            max_period=max_period,
            page_limit=self.config.sync_page_limit,
            page_timeout=self.config.sync_timeout_s,
            lease_from_json=self.family.lease_from_json,
            lease_address=self.family.lease_address,
            notify_server_name=self.config.this_server_name,
        )

    def _start_state_sync(self, now: float) -> None:
        assert self._partner is not None
        max_period = max(1, self.config.sync_timeout // 1000)
        run = _SyncRun(self._new_sync(self._partner, max_period), self._partner, now, None)
        self._operation = run
        self._heartbeat_due = None  # the heartbeat must not interfere with the sync
        self._log(info("HA_SYNC_START", f"starting lease database synchronization with {self._partner.name}"))
        self._sync_step(run, run.proc.start(), now)

    def _sync_step(self, run: _SyncRun, step: SyncStep, now: float) -> None:
        self._out.extend(step.logs)
        if step.leases:
            self._out.append(MergeLeases(run.peer.name, step.leases))
        if step.request is not None:
            self._send(run.peer, step.request, step.timeout, _OpReq(run))
        else:
            self._sync_finished(run, now)

    def _sync_reply(self, run: _SyncRun, reply: _Reply, now: float) -> None:
        unsupported = (
            reply.answer is not None
            and reply.answer.result == RESULT_UNSUPPORTED
            and run.proc.phase is Phase.NOTIFY
        )
        self._partner_reply(run.peer, reply, now, unavailable_on_error=not unsupported)
        step = (
            run.proc.on_answer(reply.answer)
            if reply.answer is not None
            else run.proc.on_failure(reply.failure)
        )
        self._sync_step(run, step, now)

    def _sync_finished(self, run: _SyncRun, now: float) -> None:
        proc = run.proc
        if proc.succeeded:
            ms = (now - run.started) * 1000.0
            self._log(
                info(
                    "HA_SYNC_SUCCESSFUL",
                    f"lease database synchronization with {run.peer.name} completed successfully "
                    f"in {ms:.3f} ms",
                )
            )
        else:
            self._log(
                error(
                    "HA_SYNC_FAILED",
                    f"lease database synchronization with {run.peer.name} failed: {proc.error}",
                )
            )
        if run.ticket is not None:
            self._user_sync = None
            answer = (
                make_answer(commands.RESULT_SUCCESS, "Lease database synchronization complete.")
                if proc.succeeded
                else make_answer(commands.RESULT_ERROR, proc.error)
            )
            self._out.append(CommandReply(run.ticket, answer))
            return
        self._operation = None
        if proc.succeeded and self.state is State.SYNCING:
            self._transition(State.READY, now)
            self._schedule_heartbeat(now)
            self._run_model(Event.SYNCING_SUCCEEDED, now)
        else:
            self._schedule_heartbeat(now)

    # ================================================================= communication-recovery
    def _start_backlog(self, now: float) -> None:
        self._log(
            info(
                "HA_LEASES_BACKLOG_START",
                f"starting to send {len(self._backlog)} outstanding lease updates to {self._partner_name()}",
            )
        )
        run = _BacklogRun(now)
        self._operation = run
        self._heartbeat_due = None
        self._send_backlog(run, now)

    def _partner_name(self) -> str:
        return self._partner.name if self._partner else ""

    def _send_backlog(self, run: _BacklogRun, now: float) -> None:
        assert self._partner is not None
        entries = self._backlog.take(self.family.backlog_batch)
        if entries:
            run.sent += len(entries)
            self._send(
                self._partner, self.family.backlog_command(entries), DEFAULT_REQUEST_TIMEOUT, _OpReq(run)
            )
            return
        ms = (now - run.started) * 1000.0
        self._log(
            info(
                "HA_LEASES_BACKLOG_SUCCESS",
                f"sending lease updates backlog to {self._partner.name} successful in {ms:.3f} ms",
            )
        )
        self._operation = None
        self._transition(normal_state(self.config.mode, self.config.role), now)
        self._schedule_heartbeat(now)
        self._run_model(Event.HEARTBEAT_COMPLETE, now)

    def _backlog_reply(self, run: _BacklogRun, reply: _Reply, now: float) -> None:
        if reply.ok:
            self.comm.poke(now)
            self._send_backlog(run, now)
            return
        if reply.answer is None:
            text = (
                f"failed to communicate with {self._partner_name()} while sending lease updates "
                f"backlog: {reply.failure}"
            )
            self._log(warn("HA_LEASES_BACKLOG_COMMUNICATIONS_FAILED", text))
        else:
            text = f"failed to send lease updates backlog to {self._partner_name()}: {reply.text()}"
            self._log(warn("HA_LEASES_BACKLOG_FAILED", text))
        self._operation = None
        self._start_ha_reset(now)

    def _start_ha_reset(self, now: float) -> None:
        assert self._partner is not None
        run = _ResetRun()
        self._operation = run
        self._heartbeat_due = None
        self._send(
            self._partner, commands.ha_reset(self.family.service), DEFAULT_REQUEST_TIMEOUT, _OpReq(run)
        )

    def _reset_reply(self, reply: _Reply, now: float) -> None:
        self._operation = None
        if reply.ok:
            self.comm.poke(now)
            self._transition(State.WAITING, now)
            self._schedule_heartbeat(now)
            self._run_model(Event.HEARTBEAT_COMPLETE, now)
            return
        if reply.answer is None:
            self._log(
                warn(
                    "HA_RESET_COMMUNICATIONS_FAILED",
                    f"failed to send ha-reset command to {self._partner_name()}: {reply.failure}",
                )
            )
        else:
            self._log(
                warn(
                    "HA_RESET_FAILED",
                    f"failed to reset HA state machine of {self._partner_name()}: {reply.text()}",
                )
            )
        self._schedule_heartbeat(now)

    def _abort_operation(self) -> None:
        """A command moves the state machine while an operation runs (Kea cannot: it blocks)."""
        op = self._operation
        self._operation = None
        if isinstance(op, _SyncRun) and op.proc.service_disabled:
            # Give the partner its service back now rather than after max-period.
            self._send(
                op.peer, commands.dhcp_enable(self.family.service), DEFAULT_REQUEST_TIMEOUT, _IgnoredReq()
            )
        elif isinstance(op, _MaintenanceRun):
            self._out.append(
                CommandReply(
                    op.ticket, make_answer(commands.RESULT_ERROR, "operation aborted by a state change")
                )
            )

    # ================================================================= commands
    def _cmd_scopes(self, args: Mapping[str, Any] | None) -> dict[str, Any]:
        try:
            names = commands.string_list(args, "scopes", "ha-scopes")
            self.filter.serve_scopes(names)
        except (ValueError, ScopeError) as exc:
            return make_answer(commands.RESULT_ERROR, str(exc))
        return make_answer(commands.RESULT_SUCCESS, "New HA scopes configured.")

    def _cmd_continue(self) -> dict[str, Any]:
        if self._pause.unpause():
            self._log(info("HA_STATE_MACHINE_CONTINUED", "state machine is un-paused"))
            return make_answer(commands.RESULT_SUCCESS, "HA state machine continues.")
        return make_answer(commands.RESULT_SUCCESS, "HA state machine is not paused.")

    def _cmd_reset(self, now: float) -> dict[str, Any]:
        if self.state is State.WAITING:
            return make_answer(commands.RESULT_SUCCESS, "HA state machine already in WAITING state.")
        self._abort_operation()
        self._transition(State.WAITING, now)
        self._run_model(Event.NOP, now)
        return make_answer(commands.RESULT_SUCCESS, "HA state machine reset.")

    def _cmd_maintenance_notify(self, args: Mapping[str, Any] | None, now: float) -> dict[str, Any]:
        if args is None:
            return make_answer(
                commands.RESULT_ERROR, "arguments not found in the 'ha-maintenance-notify' command"
            )
        cancel = args.get("cancel")
        if cancel is None:
            return make_answer(
                commands.RESULT_ERROR, "'cancel' is mandatory for the 'ha-maintenance-notify' command"
            )
        if not isinstance(cancel, bool):
            return make_answer(
                commands.RESULT_ERROR, "'cancel' must be a boolean in the 'ha-maintenance-notify' command"
            )
        sender_state = args.get("state")
        partner: State | None = None
        if isinstance(sender_state, str):
            try:
                partner = parse_state(sender_state)
            except ValueError:
                partner = None
        if cancel:
            if self.state is not State.IN_MAINTENANCE:
                return make_answer(
                    commands.RESULT_ERROR,
                    "Unable to cancel the maintenance for the server not in the in-maintenance state.",
                )
            if partner is not None:
                self.comm.set_partner_state(partner)
            # Back to where we were; from a repeated notify (previous state in-maintenance) to
            # waiting, or both servers would sit in maintenance.
            target = State.WAITING if self.prev_state is State.IN_MAINTENANCE else self.prev_state
            self._transition(target, now)
            self._run_model(Event.MAINTENANCE_CANCEL, now)
            return make_answer(commands.RESULT_SUCCESS, "Server maintenance canceled.")
        if self.state in (State.BACKUP, State.PARTNER_IN_MAINTENANCE, State.TERMINATED):
            return make_answer(
                commands.RESULT_MAINTENANCE_NOT_ALLOWED,
                f"Unable to transition the server from the {self.state.value} to in-maintenance state.",
            )
        if partner is not None:
            self.comm.set_partner_state(partner)
        self._abort_operation()
        self._transition(State.IN_MAINTENANCE, now)
        self._run_model(Event.NOP, now)
        return make_answer(commands.RESULT_SUCCESS, "Server is in-maintenance state.")

    def _cmd_maintenance(self, cancel: bool, now: float, ticket: int) -> dict[str, Any] | None:
        if cancel and self.state is not State.PARTNER_IN_MAINTENANCE:
            return make_answer(
                commands.RESULT_ERROR,
                "Unable to cancel maintenance request because the server is not in the "
                "partner-in-maintenance state.",
            )
        if not cancel and (
            self.state
            in (
                State.BACKUP,
                State.IN_MAINTENANCE,
                State.PARTNER_IN_MAINTENANCE,
                State.PASSIVE_BACKUP,
                State.TERMINATED,
            )
            or self._partner is None
        ):
            return make_answer(
                commands.RESULT_ERROR,
                f"Unable to transition the server from the {self.state.value} to "
                "partner-in-maintenance state.",
            )
        if self._operation is not None:
            return make_answer(commands.RESULT_ERROR, "the HA service is busy, try again later")
        assert self._partner is not None
        run = _MaintenanceRun(cancel, ticket)
        self._operation = run
        self._heartbeat_due = None
        command = commands.maintenance_notify(cancel, self.family.service, state=self.state.value)
        self._send(self._partner, command, DEFAULT_REQUEST_TIMEOUT, _OpReq(run))
        return None

    def _maintenance_reply(self, run: _MaintenanceRun, reply: _Reply, now: float) -> None:
        self._operation = None
        peer = self._partner_label()
        if run.cancel:
            if not reply.ok:
                if reply.answer is None:
                    log_id = "HA_MAINTENANCE_NOTIFY_CANCEL_COMMUNICATIONS_FAILED"
                    text = f"failed to send ha-maintenance-notify to {peer}"
                else:
                    log_id = "HA_MAINTENANCE_NOTIFY_CANCEL_FAILED"
                    text = f"error returned while processing ha-maintenance-notify by {peer}"
                self._log(error(log_id, f"{text} in attempt to cancel its maintenance: {reply.text()}"))
                self.comm.mark_partner_unavailable()
                self._schedule_heartbeat(now)
                text = (
                    "Unable to cancel maintenance. The partner server responded with the following message "
                    f"to the ha-maintenance-notify command: {reply.text()}."
                )
                self._out.append(CommandReply(run.ticket, make_answer(commands.RESULT_ERROR, text)))
                return
            self.comm.poke(now)
            assert reply.answer is not None
            args = reply.answer.arguments
            reported = args.get("state") if isinstance(args, Mapping) else None
            try:
                partner = parse_state(reported) if isinstance(reported, str) else State.UNAVAILABLE
            except ValueError:
                partner = State.UNAVAILABLE
            self.comm.set_partner_state(partner)
            self._transition(State.WAITING, now)
            self._run_model(Event.MAINTENANCE_CANCEL, now)
            answer = make_answer(commands.RESULT_SUCCESS, "Server maintenance successfully canceled.")
            self._out.append(CommandReply(run.ticket, answer))
            return
        if reply.answer is None:
            # The partner is already gone: it is down for maintenance.
            self._log(
                error(
                    "HA_MAINTENANCE_NOTIFY_COMMUNICATIONS_FAILED",
                    f"failed to send ha-maintenance-notify to {peer}: {reply.failure}",
                )
            )
            self.comm.mark_partner_unavailable()
            self._transition(State.PARTNER_DOWN, now, via_maintenance=True)
            self._run_model(Event.NOP, now)
            text = (
                "Server is now in the partner-down state as its partner appears to be offline "
                "for maintenance."
            )
            self._out.append(CommandReply(run.ticket, make_answer(commands.RESULT_SUCCESS, text)))
        elif reply.ok:
            self.comm.poke(now)
            self._transition(State.PARTNER_IN_MAINTENANCE, now)
            self._run_model(Event.NOP, now)
            text = (
                "Server is now in the partner-in-maintenance state and its partner is in-maintenance state. "
                "The partner can be now safely shut down."
            )
            self._out.append(CommandReply(run.ticket, make_answer(commands.RESULT_SUCCESS, text)))
        else:
            self._log(
                error(
                    "HA_MAINTENANCE_NOTIFY_FAILED",
                    f"error returned while processing ha-maintenance-notify by {peer}: {reply.text()}",
                )
            )
            self.comm.mark_partner_unavailable()
            self._schedule_heartbeat(now)
            text = (
                "Unable to transition to the partner-in-maintenance state. The partner server "
                "responded with the "
                f"following message to the ha-maintenance-notify command: {reply.text()}."
            )
            self._out.append(CommandReply(run.ticket, make_answer(commands.RESULT_ERROR, text)))

    def _cmd_sync(self, args: Mapping[str, Any] | None, now: float, ticket: int) -> dict[str, Any] | None:
        if args is None or "server-name" not in args:
            return make_answer(commands.RESULT_ERROR, "'server-name' is mandatory for the 'ha-sync' command")
        name = args["server-name"]
        if not isinstance(name, str):
            return make_answer(
                commands.RESULT_ERROR, "'server-name' must be a string in the 'ha-sync' command"
            )
        max_period = args.get("max-period")
        if max_period is not None and (
            isinstance(max_period, bool) or not isinstance(max_period, int) or max_period <= 0
        ):
            return make_answer(
                commands.RESULT_ERROR, "'max-period' must be a positive integer in the 'ha-sync' command"
            )
        peer = self.config.peer(name)
        if peer is None:
            return make_answer(commands.RESULT_ERROR, f"no configuration specified for server {name}")
        if peer.name == self.config.this_server_name:
            return make_answer(commands.RESULT_ERROR, f"'{name}' is this server: nothing to synchronize with")
        if self._user_sync is not None or isinstance(self._operation, _SyncRun):
            return make_answer(
                commands.RESULT_ERROR, "a lease database synchronization is already in progress"
            )
        run = _SyncRun(self._new_sync(peer, max_period), peer, now, ticket)
        self._user_sync = run
        self._log(info("HA_SYNC_START", f"starting lease database synchronization with {peer.name}"))
        self._sync_step(run, run.proc.start(), now)
        return None

    def _cmd_sync_complete_notify(self) -> dict[str, Any]:
        if self.state is State.PARTNER_DOWN:
            # Keep serving disabled: the partner must first see us leave partner-down (next
            # heartbeat), or it would miss leases we allocate without sending updates.
            self._sync_complete_notified = True
        else:
            self._out.append(SetDhcpService(True, ORIGIN_HA_PARTNER))
        return make_answer(
            commands.RESULT_SUCCESS, "Server successfully notified about the synchronization completion."
        )


__all__ = ["HA_COMMANDS", "Event", "HACore", "LeaseUpdatePlan"]
