"""The asyncio shell around the pure HA core (hakea.ha.core.HACore), for either DHCP family.

HAShell executes the core's actions: HTTP requests to the peers (persistent connections, many in
flight), the DHCP service holds, lease merges during a sync, parked client responses, command
answers and logs; it feeds back responses, failures and timer ticks. It also serves this server's
peer URL (the HA partner's commands arrive there), registers the ha-* commands and keeps the
ha-* statistics.

The family adapters (hakea.server.ha4.HA4Adapter, hakea.server.ha6.HA6Adapter) add the packet path,
filter() per query and commit() per client transaction, each written out for its own packet type so
the query's QueryInfo is built inline (no extra call per packet), and `_merge`: a synced page into
their lease store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from hakea.config.errors import ConfigError
from hakea.config.model import HookLibrary
from hakea.control.auth import BasicAuth
from hakea.control.errors import TransportError
from hakea.control.http_client import HttpCommandClient
from hakea.control.http_server import HttpCommandServer, registry_handler
from hakea.control.registry import CommandRegistry, CommandRequest
from hakea.control.tls import TlsConfig, client_context, server_context
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
from hakea.ha.commands import RESULT_ERROR, make_answer
from hakea.ha.config import HAConfig, parse_ha_config
from hakea.ha.core import HA_COMMANDS, HACore
from hakea.ha.family import LeaseFamily
from hakea.ha.sync import MergeCounts
from hakea.server.clock_offset import TEST_CLOCK_OFFSET_ENV, read_test_clock_offset
from hakea.server.network_state import NetworkState
from hakea.server.stats import Statistics

log = logging.getLogger("hakea.ha")
_LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
NOT_FILTERED: tuple[str, ...] = ()  # filter()'s answer for a query HA puts in no scope class


class HADaemon(Protocol):
    """What the shell uses of its daemon (hakea.server.dhcp4_daemon.Dhcp4Daemon, dhcp6_daemon's)."""

    @property
    def registry(self) -> CommandRegistry: ...

    @property
    def http_servers(self) -> list[HttpCommandServer]: ...

    @property
    def network_state(self) -> NetworkState: ...

    @property
    def stats(self) -> Statistics: ...


DaemonT = TypeVar("DaemonT", bound=HADaemon)


def request_counters(update_commands: Iterable[str], page_command: str) -> dict[str, tuple[str, str]]:
    """Operator statistics per peer request kind: command -> (succeeded, failed). A lease update
    "fails" when the partner does not answer or answers with an error (Kea's HA then drops the
    client's response); the same names in both daemons."""
    counters = {"ha-heartbeat": ("ha-heartbeats-sent", "ha-heartbeats-failed")}
    for name in update_commands:
        counters[name] = ("ha-lease-updates-sent", "ha-lease-updates-failed")
    counters[page_command] = ("ha-sync-pages-received", "ha-sync-pages-failed")
    return counters


def answer_ok(body: Any) -> bool:
    """Success for the counters, as for HA: result 0, or 3 ("empty")."""
    answer = body[0] if isinstance(body, list) and body else body
    return isinstance(answer, dict) and answer.get("result") in (0, 3)


def ha_config_of(hooks_libraries: Sequence[HookLibrary], section: str) -> HAConfig:
    """The first HA relationship of the loaded libdhcp_ha.so; `section`: "Dhcp4" or "Dhcp6"."""
    for index, hook in enumerate(hooks_libraries):
        if hook.library.endswith("libdhcp_ha.so"):
            relationships = parse_ha_config(hook.parameters, f"{section}/hooks-libraries[{index}]/parameters")
            return relationships[0]
    raise ConfigError(f"{section}/hooks-libraries", "libdhcp_ha.so is not loaded")


class HAShell(Generic[DaemonT]):
    def __init__(
        self,
        daemon: DaemonT,
        config: HAConfig,
        family: LeaseFamily,
        counters: Mapping[str, tuple[str, str]],
    ) -> None:
        self.daemon = daemon
        self.config = config
        self._counters = counters
        self._clock_offset = read_test_clock_offset()  # 0 outside tests
        if self._clock_offset:
            log.warning("HA clock offset of %+g s in effect (%s, a test-only setting)",
                        self._clock_offset, TEST_CLOCK_OFFSET_ENV)  # fmt: skip
        self.core = HACore(config, self._now(), family)
        # 16 connections: with one request per connection (all a Kea partner takes), a pool of 4
        # completes at most 4 lease updates per event-loop turn while a turn under load reads up to
        # 64 queries; the updates then queue up and every answer is late (bench/RESULTS.md; DHCPv6:
        # 87 of 1,000 exchanges/s completed with 4).
        self.client = HttpCommandClient(pool_size=16)
        for peer in config.other_peers:
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
        self._stopped = False

    # ---- the family's hook ---------------------------------------------------------------------

    def _merge(self, leases: Sequence[Any]) -> MergeCounts:
        """A synced page of the partner's leases into this daemon's store."""
        raise NotImplementedError

    # ---- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self._listen()
        for name in HA_COMMANDS:
            self.daemon.registry.register(name, self._command_handler(name), replace=True)
        self._execute(self.core.start(self._now()))

    async def _listen(self) -> None:
        """Serve this server's peer URL (as Kea 2.2's dedicated HA listener does). A listener
        already open on that URL (an earlier configuration) is kept, so a config-set arriving
        over it is answered."""
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
        """The HA core's clock: wall-clock time plus the test-only offset (0 in production)."""
        return time.time() + self._clock_offset

    async def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        for fut in self._parked.values():
            if not fut.done():
                fut.set_result(False)
        self._parked.clear()
        # Commands still waiting for the partner (ha-sync, ha-maintenance-*) would otherwise never
        # be answered: their requests' answers are ignored from now on.
        stopped = make_answer(RESULT_ERROR, "HA service stopped (reconfiguration or shutdown).")
        for reply in self._tickets.values():
            if not reply.done():
                reply.set_result(stopped)
        for name in HA_COMMANDS:
            if name in self.daemon.registry:
                self.daemon.registry.unregister(name)
        await self.client.close()

    # ---- read by the daemon --------------------------------------------------------------------

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
                counts = self._merge(action.leases)
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

        counters = self._counters.get(request.command.get("command", ""))

        def done(body: Any, error: TransportError | None) -> None:
            if self._stopped:
                return
            if counters is not None:
                ok = error is None and answer_ok(body)
                self.daemon.stats.add(counters[0] if ok else counters[1], 1, time.time())
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
