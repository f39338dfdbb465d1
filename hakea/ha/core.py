"""HACore: one HA relationship's service, events and `now` in, actions out -- the API the I/O shell
(the asyncio adapter, or tests/sim/harness.py) calls.

Events: start, on_tick (at next_deadline), on_response / on_request_failed (for each SendRequest),
on_query (per DHCP query), on_leases_committed (per client transaction that changed leases),
on_command (HA control commands). Each returns the actions to execute (actions.py); nothing here
does I/O or reads a clock. `now` is wall-clock seconds since the epoch: the heartbeat's date-time and
the clock-skew check need real time. The machinery lives in service.py, operations.py, control.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hakea.ha.actions import (
    Action,
    info,
)
from hakea.ha.commands import (
    AnswerError,
    parse_answer,
)
from hakea.ha.config import Mode, Role
from hakea.ha.control import HA_COMMANDS, CommandHandlers
from hakea.ha.family import BacklogOp
from hakea.ha.query_filter import FilterDecision, QueryInfo
from hakea.ha.service import Event, LeaseUpdatePlan, Reply, Txn, UpdateReq
from hakea.ha.state_machine import (
    service_enabled,
    should_queue_lease_updates,
    should_send_lease_updates,
)
from hakea.ha.states import State
from hakea.ha.sync import DEFAULT_REQUEST_TIMEOUT


class HACore(CommandHandlers):
    """One HA relationship's service. See actions.py for what the shell must do with the results."""

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
            reply = Reply(parse_answer(body), "")
        except AnswerError as exc:
            reply = Reply(None, str(exc))
        return self._on_reply(request_id, reply, now)

    def on_request_failed(self, request_id: int, reason: str, now: float) -> list[Action]:
        """SendRequest `request_id` got no usable response (refused, timed out, bad HTTP)."""
        return self._on_reply(request_id, Reply(None, reason), now)

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
        txn = Txn(0, query.client_key, lifetime, query.label)
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
                self._send(peer, command, DEFAULT_REQUEST_TIMEOUT, UpdateReq(txn_id, peer, counted))
                if counted:
                    txn.pending += 1
        if txn.pending == 0:
            return LeaseUpdatePlan(False, 0, self._drain())
        self._txns[txn_id] = txn
        return LeaseUpdatePlan(True, txn_id, self._drain())

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


__all__ = ["HA_COMMANDS", "Event", "HACore", "LeaseUpdatePlan"]
