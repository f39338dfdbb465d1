"""The hakea-dhcp4 daemon: the asyncio shell around the pure DHCPv4 engine.

It owns the sockets, the clock, the lease file, the control channel and the timers; every decision
is taken by the engine (and, when loaded, the HA core through hakea.server.ha4).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import socket
import sys
import time
from typing import Any

from hakea import __version__
from hakea.config.dhcp4 import load_dhcp4_file
from hakea.config.errors import ConfigError
from hakea.config.model import Dhcp4Config
from hakea.control.http_server import HttpCommandServer
from hakea.control.registry import CommandRegistry
from hakea.control.unix_server import UnixCommandServer
from hakea.dhcp4.decision import Decision, QueryMeta
from hakea.dhcp4.engine import Engine
from hakea.dhcp4.reclaim import reclaim_stats
from hakea.dhcp4.wire import MalformedPacket, Packet4
from hakea.leases.memfile4 import MemfileLeaseStore4
from hakea.leases.store import LeaseStoreError
from hakea.server import commands4, lease_cmds4
from hakea.server.network_state import NetworkState
from hakea.server.sockets4 import Dhcp4Socket, open_sockets
from hakea.server.stats import PKT4_NAMES, Statistics, recount4

log = logging.getLogger("hakea.dhcp4")

DEFAULT_LEASE_FILE = "/var/lib/kea/kea-leases4.csv"
_RECEIVED_NAMES = {
    1: "pkt4-discover-received",
    2: "pkt4-offer-received",
    3: "pkt4-request-received",
    4: "pkt4-decline-received",
    5: "pkt4-ack-received",
    6: "pkt4-nak-received",
    7: "pkt4-release-received",
    8: "pkt4-inform-received",
}
_SENT_NAMES = {2: "pkt4-offer-sent", 5: "pkt4-ack-sent", 6: "pkt4-nak-sent"}
_BATCH = 64  # datagrams read per wake-up: amortises the event-loop cost under load
_PARKED_HIGH_WATER = 64  # parked HA answers above which a wake-up reads one datagram only
_META_CACHE_MAX = 4096  # QueryMeta per (socket, source, local address); see _query_meta


def read_config(path: str) -> Dhcp4Config:
    """Load a Kea configuration file; raises ConfigError naming the offending key (or the file,
    line and column of a syntax error). <?include?> paths are relative to the file's directory."""
    return load_dhcp4_file(path)


class Dhcp4Daemon:
    def __init__(self, config_path: str, *, port: int | None = None, client_port: int | None = None) -> None:
        self.config_path = config_path
        self.port = port if port is not None else 67
        self.client_port = client_port if client_port is not None else 68
        self.stats = Statistics(PKT4_NAMES)
        self.network_state = NetworkState()
        self.registry = CommandRegistry()
        self.started = time.time()
        self.reloaded = self.started
        self.config: Dhcp4Config = Dhcp4Config()
        self.store: MemfileLeaseStore4 | None = None
        self.engine: Engine | None = None
        self.sockets: list[Dhcp4Socket] = []
        self._metas: dict[tuple[int, tuple[str, int], int], QueryMeta] = {}
        self.unix_server: UnixCommandServer | None = None
        self.http_servers: list[HttpCommandServer] = []
        self.ha: Any = None  # hakea.server.ha4.HA4Adapter when libdhcp_ha.so is loaded
        self._timers: list[asyncio.TimerHandle] = []
        self._stopping = asyncio.Event()
        self._pending: set[asyncio.Task[None]] = set()
        commands4.register(self)

    # ---- life cycle ----------------------------------------------------------------------------

    async def start(self, config: Dhcp4Config) -> None:
        await self.apply(config)

    async def apply(self, config: Dhcp4Config) -> None:
        """Switch to `config`: the new lease store, engine, sockets, control channels and HA.

        Until the new lease store and engine exist nothing running is touched, so a failure there
        leaves the running configuration serving. The control socket is kept when its path is
        unchanged: config-set / config-reload arrive on it and their answer must still go out.
        """
        old_store = self.store
        store = self._open_store(config, reuse=old_store)
        try:
            engine = Engine(config, store, server_port=self.port, client_port=self.client_port)
        except Exception:
            if store is not old_store:
                store.close()
            raise
        await self._close_io(keep_control=True)
        self.config, self.store, self.engine = config, store, engine
        if old_store is not None and old_store is not store:
            old_store.close()
        self.reloaded = time.time()
        recount4(self.stats, config.subnets, store.all(), self.reloaded)
        self.sockets = open_sockets(config.interfaces, self.port)
        engine.set_local_addresses(s.server_address for s in self.sockets if s.server_address)
        loop = asyncio.get_running_loop()
        for s in self.sockets:
            loop.add_reader(s.sock.fileno(), self._on_readable, s)
        await self._apply_control_socket(config)
        lease_cmds4.register(self, enabled=config.lease_cmds_loaded)
        if config.ha_parameters is not None:
            from hakea.server.ha4 import HA4Adapter

            self.ha = HA4Adapter(self, config)
            await self.ha.start()
        self._schedule_timers()
        log.info(
            "DHCP4_CONFIG_COMPLETE %d subnet(s), %d lease(s), listening on %s",
            len(config.subnets),
            store.count(),
            ", ".join(s.iface.name for s in self.sockets) or "none",
        )

    async def _apply_control_socket(self, config: Dhcp4Config) -> None:
        cs = config.control_socket
        wanted = cs.socket_name if cs is not None and cs.socket_type == "unix" else None
        current = self.unix_server
        if current is not None and current.path == wanted:
            return
        if wanted is not None:
            server = UnixCommandServer(self.registry)
            await server.start(wanted)
            self.unix_server = server
        else:
            self.unix_server = None
        if current is not None:
            # The command that moved the socket may be running on the old one: close it once
            # its connections are done (bounded by the control channel's own timeout).
            self._spawn(self._retire_control_socket(current))

    @staticmethod
    async def _retire_control_socket(server: UnixCommandServer) -> None:
        try:
            async with asyncio.timeout(server.timeout):
                while server.connections:
                    await asyncio.sleep(0.01)
        except TimeoutError:
            pass
        finally:
            await server.close()

    def _open_store(self, config: Dhcp4Config, reuse: MemfileLeaseStore4 | None) -> MemfileLeaseStore4:
        """The lease store `config` names: `reuse` when it is the same file, else a new one (the
        caller closes `reuse` once the new configuration is in place)."""
        db = config.lease_database
        if db.type != "memfile":
            raise ConfigError("Dhcp4/lease-database/type", f"'{db.type}' backend is not available in hakea")
        path = db.name or DEFAULT_LEASE_FILE
        if reuse is not None and reuse.path == path and reuse.persist == db.persist:
            reuse.lfc_interval = db.lfc_interval
            return reuse
        if db.persist:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return MemfileLeaseStore4(path, persist=db.persist, lfc_interval=db.lfc_interval)

    async def _close_io(self, *, keep_control: bool = False) -> None:
        loop = asyncio.get_running_loop()
        for t in self._timers:
            t.cancel()
        self._timers.clear()
        if self.ha is not None:
            await self.ha.stop()
            self.ha = None
        for s in self.sockets:
            loop.remove_reader(s.sock.fileno())
            s.close()
        self.sockets = []
        self._metas.clear()  # keyed by id(socket): a new socket may reuse an old one's id
        if self.unix_server is not None and not keep_control:
            await self.unix_server.close()
            self.unix_server = None

    async def stop(self) -> None:
        for task in list(self._pending):
            task.cancel()
        await self._close_io()
        for h in self.http_servers:
            await h.close()
        if self.store is not None:
            self.store.close()

    def request_shutdown(self) -> None:
        self._stopping.set()

    async def wait_stopped(self) -> None:
        await self._stopping.wait()

    # ---- timers: reclamation, lease file compaction, max-period ----------------------------------

    def _schedule_timers(self) -> None:
        loop = asyncio.get_running_loop()
        elp = self.config.expired_leases_processing
        if elp.reclaim_timer_wait_time > 0:
            self._timers.append(loop.call_later(elp.reclaim_timer_wait_time, self._reclaim_tick))
        if elp.flush_reclaimed_timer_wait_time > 0:
            self._timers.append(loop.call_later(elp.flush_reclaimed_timer_wait_time, self._flush_tick))
        if self.config.lease_database.persist and self.config.lease_database.lfc_interval > 0:
            self._timers.append(loop.call_later(self.config.lease_database.lfc_interval, self._lfc_tick))

    def _reclaim_tick(self) -> None:
        assert self.engine is not None
        wait = self.config.expired_leases_processing.reclaim_timer_wait_time
        # Rescheduled first: a failing pass (a lease file write error) must not end reclamation.
        self._timers.append(asyncio.get_running_loop().call_later(wait, self._reclaim_tick))
        try:
            changes = self.engine.reclaim_expired(time.time())
        except Exception as exc:
            log.error("ALLOC_ENGINE_V4_LEASES_RECLAIMATION_FAILED %s", exc)
            return
        if changes:
            log.debug("ALLOC_ENGINE_V4_LEASES_RECLAIMATION_COMPLETE %d lease(s)", len(changes))
            now = time.time()
            for name, delta in reclaim_stats(changes):
                self.stats.add(name, delta, now)
        # Nothing is sent to the HA partner: Kea 2.2's HA replicates client transactions only,
        # and each peer reclaims its own copy of an expired lease.

    def _flush_tick(self) -> None:
        assert self.engine is not None
        wait = self.config.expired_leases_processing.flush_reclaimed_timer_wait_time
        self._timers.append(asyncio.get_running_loop().call_later(wait, self._flush_tick))
        try:
            changes = self.engine.flush_reclaimed(time.time())
        except Exception as exc:
            log.error("ALLOC_ENGINE_V4_RECLAIMED_LEASES_DELETE_FAILED %s", exc)
            return
        if changes:
            log.debug("DHCPSRV_MEMFILE_DELETE_EXPIRED_RECLAIMED4 %d lease(s)", len(changes))

    def _lfc_tick(self) -> None:
        self._timers.append(
            asyncio.get_running_loop().call_later(self.config.lease_database.lfc_interval, self._lfc_tick)
        )
        if self.store is not None:
            try:
                self.store.compact()
                log.info("DHCPSRV_MEMFILE_LFC_EXECUTE lease file %s compacted", self.store.path)
            except (OSError, LeaseStoreError) as exc:
                log.error("DHCPSRV_MEMFILE_LFC_FAIL %s", exc)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # ---- the packet path -----------------------------------------------------------------------

    def _on_readable(self, s: Dhcp4Socket) -> None:
        recv = s.receive
        budget = _BATCH
        if self.ha is not None:
            # Backpressure: with many answers parked for the partner's lease-update acks, read
            # less so the loop gets back to the peer connections (their answers release the
            # parked clients); the excess waits in the socket queue, bounded in time there.
            budget = max(1, min(_BATCH, _PARKED_HIGH_WATER - self.ha.parked))
        try:
            for _ in range(budget):
                try:
                    data, addr, local = recv(4096)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as exc:
                    log.debug("receive failed: %s", exc)
                    return
                self.handle_datagram(data, addr, s, local)
        finally:
            if s.stale_dropped:  # queries that waited too long in the queue (sockets4.QUEUE_TARGET)
                now = time.time()
                self.stats.add("pkt4-received", s.stale_dropped, now)
                self.stats.add("pkt4-receive-drop", s.stale_dropped, now)
                s.stale_dropped = 0

    def handle_datagram(self, data: bytes, addr: tuple[str, int], s: Dhcp4Socket, local: int = 0) -> None:
        """One datagram from `addr` on socket `s`, sent to the local address `local` (0: unknown)."""
        now = time.time()
        stats = self.stats
        values, stamps = stats.counters()  # inline increments: this runs for every datagram
        values["pkt4-received"] = values.get("pkt4-received", 0) + 1
        stamps["pkt4-received"] = now
        try:
            query = Packet4.parse(data)
        except MalformedPacket as exc:
            stats.add("pkt4-parse-failed", 1, now)
            stats.add("pkt4-receive-drop", 1, now)
            log.debug("DHCP4_PACKET_DROP_0001 malformed packet from %s: %s", addr[0], exc)
            return
        mt = query.message_type
        name = _RECEIVED_NAMES.get(mt or 0, "pkt4-unknown-received")
        values[name] = values.get(name, 0) + 1
        stamps[name] = now
        if query.op != 1 or not self.network_state.enabled(now):
            stats.add("pkt4-receive-drop", 1, now)
            return
        ha_classes: tuple[str, ...] = ()
        if self.ha is not None:
            verdict = self.ha.filter(query, now)
            if verdict is None:
                stats.add("pkt4-receive-drop", 1, now)
                return
            ha_classes = verdict
        meta = self._metas.get((id(s), addr, local))
        if meta is None:
            meta = self._query_meta(addr, s, local)
        assert self.engine is not None
        decision = self.engine.process(query, now, meta, ha_classes)
        for name, delta in decision.stats:
            values[name] = values.get(name, 0) + delta
            stamps[name] = now
        if decision.drop_reason is not None:
            stats.add("pkt4-receive-drop", 1, now)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("DHCP4_PACKET_DROP %s xid=%#x: %s", addr[0], query.xid, decision.drop_reason)
            return
        if self.ha is not None and decision.lease_changes:
            # The client is answered only once the partner has the lease (Kea parks the packet).
            parked = self.ha.commit(decision.lease_changes, query, now)
            if parked is not None:
                # A done-callback, not a task per parked client: this is every REQUEST under HA.
                parked.add_done_callback(lambda f: self._answer_when_acked(f, query, decision, s))
                return
        self._send(query, decision, s, now)

    def _query_meta(self, addr: tuple[str, int], s: Dhcp4Socket, local: int) -> QueryMeta:
        """The QueryMeta of a datagram from `addr` to `local` on `s`, remembered: relayed traffic
        comes from a handful of relays and every client in INIT from 0.0.0.0, so building it (and
        parsing the source address) is rare. The cache is emptied when the sockets change."""
        to_broadcast = s.is_broadcast(local)
        meta = QueryMeta(
            interface=s.iface.name,
            interface_addresses=(s.iface.address,) if s.iface.address else (),
            # Kea's server identifier: the address a unicast query was sent to, else the socket's.
            server_address=s.server_address if to_broadcast else local,
            source_address=int.from_bytes(socket.inet_aton(addr[0]), "big"),
            source_port=addr[1],
            to_broadcast=to_broadcast,
            raw_socket=s.raw is not None,
        )
        metas = self._metas
        if len(metas) >= _META_CACHE_MAX:
            metas.clear()
        metas[(id(s), addr, local)] = meta
        return meta

    def _answer_when_acked(
        self, parked: asyncio.Future[bool], query: Packet4, decision: Decision, s: Dhcp4Socket
    ) -> None:
        if not parked.cancelled() and parked.result():
            self._send(query, decision, s, time.time())
        else:
            self.stats.add("pkt4-receive-drop", 1, time.time())
            log.debug("HA_LEASE_UPDATES_FAILED response to xid=%#x dropped", query.xid)

    def _send(self, query: Packet4, decision: Decision, s: Dhcp4Socket, now: float) -> None:
        reply = decision.reply
        if reply is None:
            return
        payload = reply.to_bytes()
        raw = decision.raw_unicast and s.raw is not None
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "DHCP4_PACKET_SEND type %s xid=%#x to %s port %d%s",
                reply.message_type,
                reply.xid,
                ipaddress.IPv4Address(decision.destination),
                decision.port,
                f" (raw, to {query.chaddr.hex(':')})" if raw else "",
            )
        if raw:
            assert s.raw is not None
            try:
                s.raw.send(
                    payload, query.chaddr, s.server_address, decision.destination, decision.port, self.port
                )
            except OSError as exc:
                log.debug("raw send failed: %s", exc)
                return
        else:
            s.send(payload, decision.destination, decision.port)
        values, stamps = self.stats.counters()
        values["pkt4-sent"] = values.get("pkt4-sent", 0) + 1
        stamps["pkt4-sent"] = now
        name = _SENT_NAMES.get(reply.message_type or 0)
        if name:
            values[name] = values.get(name, 0) + 1
            stamps[name] = now


def check_config_file(path: str) -> int:
    """`hakea-dhcp4 -t FILE`: 0 when the configuration would load, 1 (and the reason) otherwise."""
    try:
        read_config(path)
    except ConfigError as exc:
        print(f"configuration check failed: {exc}", file=sys.stderr)
        return 1
    print(f"configuration {path} is valid")
    return 0


def _setup_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)-5s [%(name)s/%(process)d] %(message)s",
        stream=sys.stdout,
    )


async def _main(config_path: str, port: int | None, client_port: int | None) -> int:
    try:
        config = read_config(config_path)
    except ConfigError as exc:
        log.error("DHCP4_INIT_FAIL configuration refused: %s", exc)
        return 1
    daemon = Dhcp4Daemon(config_path, port=port, client_port=client_port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.request_shutdown)
    loop.add_signal_handler(signal.SIGHUP, lambda: daemon._spawn(commands4.reload_from_file(daemon)))
    try:
        await daemon.start(config)
    except (ConfigError, OSError, LeaseStoreError) as exc:
        log.error("DHCP4_INIT_FAIL %s", exc)
        with contextlib.suppress(Exception):
            await daemon.stop()
        return 1
    log.info("DHCP4_STARTED hakea-dhcp4 %s (pid %d)", __version__, os.getpid())
    await daemon.wait_stopped()
    log.info("DHCP4_SHUTDOWN hakea-dhcp4 shutting down")
    await daemon.stop()
    return 0


def run_server(config_path: str, *, port: int | None, client_port: int | None, debug: bool) -> int:
    _setup_logging(debug)
    try:
        import uvloop

        return uvloop.run(_main(config_path, port, client_port))
    except ImportError:
        return asyncio.run(_main(config_path, port, client_port))
