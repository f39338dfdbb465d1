"""The asyncio shell around the pure HA core for the DHCPv6 daemon: hakea.server.ha4's twin.

The core runs with the DHCPv6 lease family (hakea.ha.family.V6): one lease6-bulk-apply per client
transaction, lease6-get-page for the sync, "service": ["dhcp6"]. The shell executes the core's
actions (HTTP requests to the peers, DHCP service holds, lease merges during a sync, parked
client responses, command answers, logs), feeds back responses, failures and timer ticks, serves
this server's peer URL and registers the ha-* commands.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hakea.config.errors import ConfigError
from hakea.config.model6 import Dhcp6Config
from hakea.control.auth import BasicAuth
from hakea.control.errors import TransportError
from hakea.control.http_client import HttpCommandClient
from hakea.control.http_server import HttpCommandServer, registry_handler
from hakea.control.registry import CommandRequest
from hakea.control.tls import TlsConfig, client_context, server_context
from hakea.dhcp6.decision6 import LeaseChange6
from hakea.dhcp6.wire import Packet6
from hakea.ha.actions import (
    Action,
    CommandReply,
    Log,
    MergeLeases,
    ReleaseParked,
    SendRequest,
    SetDhcpService,
    StateChanged,
)
from hakea.ha.config import HAConfig, parse_ha_config
from hakea.ha.core import HA_COMMANDS, HACore
from hakea.ha.family import V6
from hakea.ha.query_filter import QueryInfo
from hakea.ha.sync import MergeCounts, MergeOutcome, count_outcomes
from hakea.leases.model6 import Lease6
from hakea.leases.store6 import LeaseStore6
from hakea.server.clock_offset import read_test_clock_offset

if TYPE_CHECKING:
    from hakea.server.dhcp6_daemon import Dhcp6Daemon

log = logging.getLogger("hakea.ha")
_LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
_NOT_FILTERED: tuple[str, ...] = ()


def ha_config_of(config: Dhcp6Config) -> HAConfig:
    for index, hook in enumerate(config.hooks_libraries):
        if hook.library.endswith("libdhcp_ha.so"):
            relationships = parse_ha_config(hook.parameters, f"Dhcp6/hooks-libraries[{index}]/parameters")
            return relationships[0]
    raise ConfigError("Dhcp6/hooks-libraries", "libdhcp_ha.so is not loaded")


def merge_lease6(store: LeaseStore6, fetched: Lease6) -> MergeOutcome:
    """The sync's merge rule (hakea.ha.sync.merge_lease4): absent locally -> insert; fetched cltt
    newer -> replace (whatever lease held the address); otherwise keep ours. Never deletes."""
    existing = store.get(fetched.type, fetched.address)
    if existing is None:
        if not store.add(fetched):
            store.upsert(fetched)  # the address held a lease of the other type
        return MergeOutcome.INSERTED
    if existing.cltt < fetched.cltt:
        store.update(fetched)
        return MergeOutcome.UPDATED
    return MergeOutcome.SKIPPED


def merge_leases6(store: LeaseStore6, leases: Iterable[Lease6]) -> MergeCounts:
    return count_outcomes(merge_lease6(store, lease) for lease in leases)


def query_info6(query: Packet6) -> QueryInfo:
    duid = query.client_id
    label = f"duid=[{(duid or b'').hex(':') or 'no info'}], tid=0x{query.transaction_id:x}"
    return QueryInfo.v6(query.msg_type, duid, query.elapsed_time, label)


class HA6Adapter:
    def __init__(self, daemon: Dhcp6Daemon, config: Dhcp6Config) -> None:
        self.daemon = daemon
        self.config = ha_config_of(config)
        self._clock_offset = read_test_clock_offset()  # 0 outside tests
        self.core = HACore(self.config, self._now(), V6)
        # 16 connections, as hakea-dhcp4's HA: a Kea partner takes one request per connection, and
        # a pool of 4 completes at most 4 lease updates per event-loop turn while a turn under load
        # reads up to 64 queries; the updates then queue up and every answer is late
        # (bench/RESULTS.md, DHCPv6: 87 of 1,000 exchanges/s completed before this).
        self.client = HttpCommandClient(pool_size=16)
        for peer in self.config.other_peers:
            auth = None
            if peer.basic_auth_user is not None:
                auth = (peer.basic_auth_user, peer.basic_auth_password or "")
            ssl_context = None
            if peer.scheme == "https":
                ssl_context = client_context(peer.trust_anchor, peer.cert_file, peer.key_file,
                                             check_hostname=False)  # fmt: skip
            self.client.configure_peer(peer.url, auth=auth, ssl_context=ssl_context)
        self._parked: dict[int, asyncio.Future[bool]] = {}
        self._tickets: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_ticket = 1
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due: float | None = None  # the core deadline `_timer` is set for
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    # ---- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self._listen()
        for name in HA_COMMANDS:
            self.daemon.registry.register(name, self._command_handler(name), replace=True)
        self._execute(self.core.start(self._now()))

    async def _listen(self) -> None:
        """Serve this server's peer URL (Kea 2.2's dedicated HA listener); a listener already open
        on that URL (an earlier configuration) is kept, so a config-set arriving over it is answered."""
        me = self.config.this_server
        key = f"{me.host}:{me.port}"
        if any(getattr(h, "hakea_key", None) == key for h in self.daemon.http_servers):
            return
        ssl_context = None
        if me.scheme == "https" and me.cert_file and me.key_file and me.trust_anchor:
            ssl_context = server_context(TlsConfig(me.trust_anchor, me.cert_file, me.key_file,
                                                   self.config.require_client_certs))  # fmt: skip
        auth = None
        if me.basic_auth_user is not None:
            auth = BasicAuth.from_clients([(me.basic_auth_user, me.basic_auth_password or "")])
        server = HttpCommandServer(registry_handler(self.daemon.registry), auth=auth, ssl_context=ssl_context)
        await server.start(me.host, me.port)
        server.hakea_key = key  # type: ignore[attr-defined]
        self.daemon.http_servers.append(server)
        log.info("HA_LOCAL_LISTENER_STARTED serving %s", me.url)

    def _now(self) -> float:
        return time.time() + self._clock_offset

    async def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        for fut in self._parked.values():
            if not fut.done():
                fut.set_result(False)
        self._parked.clear()
        for name in HA_COMMANDS:
            if name in self.daemon.registry:
                self.daemon.registry.unregister(name)
        await self.client.close()

    # ---- the packet path -----------------------------------------------------------------------

    def filter(self, query: Packet6, now: float) -> tuple[str, ...] | None:
        """The HA classes for this query (the client message inside any relays), or None when
        another server answers it."""
        # QueryInfo built positionally and without the log label (a DUID in hex): once per packet.
        info = QueryInfo(6, query.msg_type, b"", b"", 0, query.client_id or b"", query.elapsed_time)
        decision = self.core.on_query(info, now + self._clock_offset)
        if decision.actions:
            self._execute(decision.actions)
        if not decision.in_scope:
            return None
        return (decision.scope_class,) if decision.scope_class else _NOT_FILTERED

    def commit(
        self, changes: Sequence[LeaseChange6], query: Packet6 | None, now: float
    ) -> asyncio.Future[bool] | None:
        """Tell the peers about a transaction's lease changes (one lease6-bulk-apply). Returns a
        future resolved when the client's answer may leave (True) or must be dropped (False);
        None: answer now."""
        updated = [c.lease for c in changes if c.kind in ("new", "updated")]
        deleted = [c.lease for c in changes if c.kind == "deleted"]
        if not updated and not deleted:
            return None
        info = query_info6(query) if query is not None else QueryInfo.v6(0, (updated or deleted)[0].duid)
        plan = self.core.on_leases_committed(updated, deleted, info, now + self._clock_offset)
        self._execute(plan.actions)
        if not plan.park:
            return None
        fut: asyncio.Future[bool] = self._event_loop().create_future()
        self._parked[plan.txn] = fut
        return fut

    @property
    def parked(self) -> int:
        """Client answers waiting for the partner's acknowledgement (the daemon's backpressure)."""
        return len(self._parked)

    def should_reclaim(self, lease: Any) -> bool:
        return self.core.should_reclaim(lease)

    def status(self, now: float) -> list[dict[str, Any]]:
        return [self.core.status(now + self._clock_offset)]

    # ---- commands ------------------------------------------------------------------------------

    def _command_handler(self, name: str) -> Any:
        async def handle(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
            ticket = self._next_ticket
            self._next_ticket += 1
            fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._tickets[ticket] = fut
            self._execute(self.core.on_command(name, arguments, self._now(), ticket))
            try:
                return await fut
            finally:
                self._tickets.pop(ticket, None)

        return handle

    # ---- executing the core's actions ----------------------------------------------------------

    def _execute(self, actions: Iterable[Action]) -> None:
        if self._stopped:
            return
        for action in actions:
            if isinstance(action, SendRequest):
                self._send_nowait(action)
            elif isinstance(action, SetDhcpService):
                if action.enabled:
                    self.daemon.network_state.enable(action.origin)
                else:
                    self.daemon.network_state.disable(action.origin, time.time())
            elif isinstance(action, MergeLeases):
                assert self.daemon.store is not None
                counts = merge_leases6(self.daemon.store, action.leases)
                log.debug("HA_LEASES_SYNC_LEASE_PAGE_RECEIVED from %s: %d inserted, %d updated, %d skipped",
                          action.peer, counts.inserted, counts.updated, counts.skipped)  # fmt: skip
            elif isinstance(action, ReleaseParked):
                fut = self._parked.pop(action.txn, None)
                if fut is not None and not fut.done():
                    fut.set_result(action.send)
            elif isinstance(action, CommandReply):
                reply = self._tickets.get(action.ticket)
                if reply is not None and not reply.done():
                    reply.set_result(action.answer)
            elif isinstance(action, StateChanged):
                self.daemon.stats.add(f"ha-state-{action.current}", 1, time.time())
            elif isinstance(action, Log):
                log.log(_LOG_LEVELS.get(action.level, logging.INFO), "%s %s", action.message_id, action.text)
        self._reschedule()

    def _reschedule(self) -> None:
        due = None if self._stopped else self.core.next_deadline()
        if due == self._timer_due and (due is None) == (self._timer is None):
            return  # unchanged (the usual case, twice per DHCP transaction): keep the timer
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_due = due
        if due is not None:
            delay = max(0.0, due - self._now())
            self._timer = self._event_loop().call_later(delay, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self._timer_due = None
        self._execute(self.core.on_tick(self._now()))

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        # Cached: asyncio.get_running_loop() makes a getpid() system call each time.
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        return loop

    def _send_nowait(self, request: SendRequest) -> None:
        """Send a request to a peer without a task (HttpCommandClient.post_command_nowait): the
        next queued lease update leaves as soon as a connection's answer is read, not a few
        event-loop turns later; the answer or failure goes back to the core from the callback."""

        def done(body: Any, error: TransportError | None) -> None:
            if self._stopped:
                return
            if error is None:
                actions = self.core.on_response(request.request_id, body, self._now())
            else:
                actions = self.core.on_request_failed(request.request_id, str(error), self._now())
            self._execute(actions)

        try:
            self.client.post_command_nowait(request.url, request.command, request.timeout, done)
        except Exception as exc:  # anything unexpected is a failed request, never a dead loop
            log.exception("HA request %s to %s failed", request.command.get("command"), request.peer)
            reason = f"{type(exc).__name__}: {exc}"
            self._event_loop().call_soon(
                lambda: self._execute(self.core.on_request_failed(request.request_id, reason, self._now()))
            )

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
