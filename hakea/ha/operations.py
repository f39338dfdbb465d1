"""Requests to peers beyond heartbeats: lease updates (and parking), lease sync, the
communication-recovery backlog and ha-reset (kea-ha-behaviour.md 2.4-2.6)."""

from __future__ import annotations

from hakea.ha import commands
from hakea.ha.actions import (
    CommandReply,
    MergeLeases,
    ReleaseParked,
    error,
    info,
    warn,
)
from hakea.ha.commands import (
    RESULT_CONFLICT,
    RESULT_UNSUPPORTED,
    make_answer,
)
from hakea.ha.config import PeerConfig, Role
from hakea.ha.service import (
    BacklogRun,
    Event,
    IgnoredReq,
    MaintenanceRun,
    OperationReq,
    Reply,
    ResetRun,
    ServiceBase,
    SyncRun,
    UpdateReq,
)
from hakea.ha.state_machine import (
    normal_state,
)
from hakea.ha.states import State
from hakea.ha.sync import DEFAULT_REQUEST_TIMEOUT, Phase, SyncProcedure, SyncStep


class PartnerOperations(ServiceBase):
    # ================================================================= lease updates
    def _update_done(self, req: UpdateReq, reply: Reply, now: float) -> None:
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
        run = SyncRun(self._new_sync(self._partner, max_period), self._partner, now, None)
        self._operation = run
        self._heartbeat_due = None  # the heartbeat must not interfere with the sync
        self._log(info("HA_SYNC_START", f"starting lease database synchronization with {self._partner.name}"))
        self._sync_step(run, run.proc.start(), now)

    def _sync_step(self, run: SyncRun, step: SyncStep, now: float) -> None:
        self._out.extend(step.logs)
        if step.leases:
            self._out.append(MergeLeases(run.peer.name, step.leases))
        if step.request is not None:
            self._send(run.peer, step.request, step.timeout, OperationReq(run))
        else:
            self._sync_finished(run, now)

    def _sync_reply(self, run: SyncRun, reply: Reply, now: float) -> None:
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

    def _sync_finished(self, run: SyncRun, now: float) -> None:
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
        run = BacklogRun(now)
        self._operation = run
        self._heartbeat_due = None
        self._send_backlog(run, now)

    def _partner_name(self) -> str:
        return self._partner.name if self._partner else ""

    def _send_backlog(self, run: BacklogRun, now: float) -> None:
        assert self._partner is not None
        entries = self._backlog.take(self.family.backlog_batch)
        if entries:
            run.sent += len(entries)
            self._send(
                self._partner,
                self.family.backlog_command(entries),
                DEFAULT_REQUEST_TIMEOUT,
                OperationReq(run),
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

    def _backlog_reply(self, run: BacklogRun, reply: Reply, now: float) -> None:
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
        run = ResetRun()
        self._operation = run
        self._heartbeat_due = None
        self._send(
            self._partner, commands.ha_reset(self.family.service), DEFAULT_REQUEST_TIMEOUT, OperationReq(run)
        )

    def _reset_reply(self, reply: Reply, now: float) -> None:
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
        if isinstance(op, SyncRun) and op.proc.service_disabled:
            # Give the partner its service back now rather than after max-period.
            self._send(
                op.peer, commands.dhcp_enable(self.family.service), DEFAULT_REQUEST_TIMEOUT, IgnoredReq()
            )
        elif isinstance(op, MaintenanceRun):
            self._out.append(
                CommandReply(
                    op.ticket, make_answer(commands.RESULT_ERROR, "operation aborted by a state change")
                )
            )
