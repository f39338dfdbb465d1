"""The HA control commands: ha-heartbeat, ha-scopes, ha-continue, ha-reset, ha-maintenance-*,
ha-sync, ha-sync-complete-notify, with Kea's texts and result codes (kea-ha-behaviour.md 2.6-2.7).

Commands that need the partner's answer (ha-maintenance-start and -cancel, ha-sync) reply later,
with a CommandReply carrying the same ticket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakea.ha import commands
from hakea.ha.actions import (
    ORIGIN_HA_PARTNER,
    Action,
    CommandReply,
    SetDhcpService,
    error,
    info,
)
from hakea.ha.commands import (
    RESULT_UNSUPPORTED,
    make_answer,
)
from hakea.ha.communication import format_rfc1123
from hakea.ha.operations import PartnerOperations
from hakea.ha.query_filter import ScopeError
from hakea.ha.service import Event, MaintenanceRun, OperationReq, Reply, SyncRun
from hakea.ha.states import State, parse_state
from hakea.ha.sync import DEFAULT_REQUEST_TIMEOUT

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


class CommandHandlers(PartnerOperations):
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

    def on_command(self, name: str, arguments: Any, now: float, ticket: int) -> list[Action]:
        """An HA control command (see HA_COMMANDS). The answer comes as CommandReply(ticket, ...),
        in the returned actions or, for commands that wait for the partner, later."""
        self._out = []
        args: Mapping[str, Any] | None = arguments if isinstance(arguments, Mapping) else None
        answer: dict[str, Any] | None
        if arguments is not None and args is None:
            answer = make_answer(commands.RESULT_ERROR, f"arguments in the '{name}' command are not a map")
        elif name != "ha-sync" and (bad := self._check_server_name(args)) is not None:
            # ha-sync checks its "server-name" itself, with Kea 2.2's texts
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

    # ================================================================= commands
    def _cmd_scopes(self, args: Mapping[str, Any] | None) -> dict[str, Any]:
        if args is None:
            return make_answer(commands.RESULT_ERROR, "arguments not found in the 'ha-scopes' command")
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
        run = MaintenanceRun(cancel, ticket)
        self._operation = run
        self._heartbeat_due = None
        command = commands.maintenance_notify(cancel, self.family.service, state=self.state.value)
        self._send(self._partner, command, DEFAULT_REQUEST_TIMEOUT, OperationReq(run))
        return None

    def _maintenance_reply(self, run: MaintenanceRun, reply: Reply, now: float) -> None:
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
            # Kea 2.2 goes back to the state it had before partner-in-maintenance (observed:
            # PIM -> hot-standby), no resync: it kept sending lease updates to the partner in
            # maintenance, and a primary in waiting would leave the clients unserved.
            target = self.prev_state if self.prev_state is not State.PARTNER_IN_MAINTENANCE else State.WAITING
            self._transition(target, now)
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
        if args is None:
            return make_answer(commands.RESULT_ERROR, "arguments not found in the 'ha-sync' command")
        if "server-name" not in args:
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
        if self._user_sync is not None or isinstance(self._operation, SyncRun):
            return make_answer(
                commands.RESULT_ERROR, "a lease database synchronization is already in progress"
            )
        run = SyncRun(self._new_sync(peer, max_period), peer, now, ticket)
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
