"""The hakea-dhcp6 daemon: the asyncio shell around the pure DHCPv6 engine.

It owns the sockets, the clock, the lease file, the server DUID, the control channel and the
timers; every decision is taken by the engine (and, when loaded, the HA core through
hakea.server.ha6). The life cycle mirrors hakea-dhcp4's (hakea.server.dhcp4_daemon).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from typing import Any

from hakea import __version__
from hakea.config.dhcp6 import load_dhcp6_file
from hakea.config.errors import ConfigError
from hakea.config.model6 import Dhcp6Config
from hakea.control.http_server import HttpCommandServer
from hakea.control.registry import CommandRegistry
from hakea.control.unix_server import UnixCommandServer
from hakea.dhcp6.decision6 import Decision6, LeaseChange6, QueryMeta6
from hakea.dhcp6.engine import Engine6
from hakea.dhcp6.reclaim6 import reclaim_stats6
from hakea.dhcp6.wire import MalformedPacket6, Packet6, RelayMessage6, unwrap
from hakea.leases.memfile6 import MemfileLeaseStore6
from hakea.leases.store import LeaseStoreError
from hakea.server import commands6, lease_cmds6
from hakea.server.duid6 import SERVER_ID_FILE, server_duid
from hakea.server.network_state import NetworkState
from hakea.server.sockets6 import Dhcp6Socket, address_text, first_hwaddr, open_sockets6
from hakea.server.stats import Statistics
from hakea.server.stats6 import PKT6_NAMES, RECEIVED_NAMES6, SENT_NAMES6, recount6

log = logging.getLogger("hakea.dhcp6")

DEFAULT_LEASE_FILE = "/var/lib/kea/kea-leases6.csv"
_BATCH = 64  # datagrams read per wake-up: amortises the event-loop cost under load
_PARKED_HIGH_WATER = 64  # parked HA answers above which a wake-up reads one datagram only
_META_CACHE_MAX = 4096  # QueryMeta6 per (socket, source, local address, interface); see _query_meta
_RELAY_FORW = 12


def read_config(path: str) -> Dhcp6Config:
    """Load a Kea configuration file; raises ConfigError naming the offending key."""
    return load_dhcp6_file(path)


def lease_file_of(config: Dhcp6Config) -> str:
    return config.lease_database.name or DEFAULT_LEASE_FILE


class Dhcp6Daemon:
    def __init__(self, config_path: str, *, port: int | None = None, client_port: int | None = None) -> None:
        self.config_path = config_path
        self.port = port if port is not None else 547
        self.client_port = client_port if client_port is not None else 546
        self.stats = Statistics(PKT6_NAMES)
        self.network_state = NetworkState()
        self.registry = CommandRegistry()
        self.started = time.time()
        self.reloaded = self.started
        self.config: Dhcp6Config = Dhcp6Config()
        self.store: MemfileLeaseStore6 | None = None
        self.engine: Engine6 | None = None
        self.server_duid = b""
        self._duid_source: object = None
        self.sockets: list[Dhcp6Socket] = []
        self.unix_server: UnixCommandServer | None = None
        self.http_servers: list[HttpCommandServer] = []
        self.ha: Any = None  # hakea.server.ha6.HA6Adapter when libdhcp_ha.so is loaded
        self._timers: list[asyncio.TimerHandle] = []
        self._stopping = asyncio.Event()
        self._pending: set[asyncio.Task[None]] = set()
        self._metas: dict[tuple[int, tuple[int, int], int, int], QueryMeta6] = {}
        commands6.register(self)

    # ---- life cycle ----------------------------------------------------------------------------

    async def start(self, config: Dhcp6Config) -> None:
        await self.apply(config)

    async def apply(self, config: Dhcp6Config) -> None:
        """Switch to `config` (see Dhcp4Daemon.apply: nothing running is touched until the new
        store and engine exist; the control socket is kept when its path is unchanged)."""
        old_store = self.store
        store = self._open_store(config, reuse=old_store)
        try:
            duid = self._server_duid(config)
            # Relays are answered on port 547 whatever -p says (Kea: DHCP6_SERVER_PORT), unless they
            # name their own port (RFC 8357); clients on 546 or -P.
            engine = Engine6(config, store, duid, client_port=self.client_port)
        except Exception:
            if store is not old_store:
                store.close()
            raise
        await self._close_io(keep_control=True)
        self.config, self.store, self.engine, self.server_duid = config, store, engine, duid
        if old_store is not None and old_store is not store:
            old_store.close()
        self.reloaded = time.time()
        recount6(self.stats, config.subnets, store.all(), self.reloaded)
        self._metas.clear()  # keyed by id(socket): a new socket may reuse an old one's id
        self.sockets = open_sockets6(config.interfaces, self.port)
        loop = asyncio.get_running_loop()
        for s in self.sockets:
            loop.add_reader(s.sock.fileno(), self._on_readable, s)
        await self._apply_control_socket(config)
        lease_cmds6.register(self, enabled=config.lease_cmds_loaded)
        if config.ha_parameters is not None:
            from hakea.server.ha6 import HA6Adapter

            self.ha = HA6Adapter(self, config)
            await self.ha.start()
        self._schedule_timers()
        log.info(
            "DHCP6_CONFIG_COMPLETE %d subnet(s), %d lease(s), server DUID %s, listening on %s",
            len(config.subnets),
            store.count(),
            duid.hex(":"),
            ", ".join(sorted({s.iface.name for s in self.sockets})) or "none",
        )

    def _server_duid(self, config: Dhcp6Config) -> bytes:
        """The DUID for `config`: unchanged across reconfigurations that keep "server-id" and the
        lease file's directory (where a persisted DUID lives)."""
        path = os.path.join(os.path.dirname(os.path.abspath(lease_file_of(config))), SERVER_ID_FILE)
        source = (config.server_id, path)
        if self.server_duid and source == self._duid_source:
            return self.server_duid
        names = [entry.partition("/")[0] for entry in config.interfaces if entry != "*"]
        duid = server_duid(config.server_id, path, first_hwaddr(names), time.time())
        self._duid_source = source
        return duid

    async def _apply_control_socket(self, config: Dhcp6Config) -> None:
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

    def _open_store(self, config: Dhcp6Config, reuse: MemfileLeaseStore6 | None) -> MemfileLeaseStore6:
        db = config.lease_database
        if db.type != "memfile":
            raise ConfigError("Dhcp6/lease-database/type", f"'{db.type}' backend is not available in hakea")
        path = lease_file_of(config)
        if reuse is not None and reuse.path == path and reuse.persist == db.persist:
            reuse.lfc_interval = db.lfc_interval
            return reuse
        if db.persist:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return MemfileLeaseStore6(path, persist=db.persist, lfc_interval=db.lfc_interval)

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

    # ---- timers: reclamation, lease file compaction ---------------------------------------------

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
        self._timers.append(asyncio.get_running_loop().call_later(wait, self._reclaim_tick))
        try:
            changes = self.engine.reclaim_expired(time.time())
        except Exception as exc:
            log.error("ALLOC_ENGINE_V6_LEASES_RECLAIMATION_FAILED %s", exc)
            return
        if changes:
            log.debug("ALLOC_ENGINE_V6_LEASES_RECLAIMATION_COMPLETE %d lease(s)", len(changes))
            now = time.time()
            for name, delta in reclaim_stats6(changes):
                self.stats.add(name, delta, now)
            self._replicate_background(changes)

    def _flush_tick(self) -> None:
        assert self.engine is not None
        wait = self.config.expired_leases_processing.flush_reclaimed_timer_wait_time
        self._timers.append(asyncio.get_running_loop().call_later(wait, self._flush_tick))
        try:
            changes = self.engine.flush_reclaimed(time.time())
        except Exception as exc:
            log.error("ALLOC_ENGINE_V6_RECLAIMED_LEASES_DELETE_FAILED %s", exc)
            return
        if changes:
            self._replicate_background(changes)

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

    def _replicate_background(self, changes: list[LeaseChange6]) -> None:
        if self.ha is not None:
            self.ha.commit(changes, None, time.time())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # ---- the packet path -----------------------------------------------------------------------

    def _on_readable(self, s: Dhcp6Socket) -> None:
        recv = s.receive
        handle = self.handle_datagram
        budget = _BATCH
        if self.ha is not None:
            # Backpressure (as hakea-dhcp4): with many answers parked for the partner's
            # lease-update acks, read less so the loop gets back to the peer connections (their
            # answers release the parked clients); the excess waits in the socket queue.
            budget = max(1, min(_BATCH, _PARKED_HIGH_WATER - self.ha.parked))
        try:
            for _ in range(budget):
                try:
                    data, source, local, ifindex = recv(65536)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as exc:
                    log.debug("receive failed: %s", exc)
                    return
                handle(data, source, s, local, ifindex)
        finally:
            if s.stale_dropped:  # queries that waited too long in the queue (sockets6.MAX_QUEUE_DELAY)
                now = time.time()
                self.stats.add("pkt6-received", s.stale_dropped, now)
                self.stats.add("pkt6-receive-drop", s.stale_dropped, now)
                s.stale_dropped = 0

    def handle_datagram(
        self, data: bytes, source: tuple[int, int], s: Dhcp6Socket, local: int = 0, ifindex: int = 0
    ) -> None:
        """One datagram from `source` (address, port) on socket `s`, sent to `local`."""
        now = time.time()
        stats = self.stats
        values, stamps = stats.counters()  # inline increments: this runs for every datagram
        values["pkt6-received"] = values.get("pkt6-received", 0) + 1
        stamps["pkt6-received"] = now
        try:
            msg = Packet6.parse(data)
        except MalformedPacket6 as exc:
            stats.add("pkt6-parse-failed", 1, now)
            stats.add("pkt6-receive-drop", 1, now)
            log.debug("DHCP6_PACKET_DROP malformed packet from %s: %s", address_text(source[0]), exc)
            return
        if type(msg) is Packet6:
            query, relay_repl = msg, False
        else:
            query, relays = unwrap(msg)
            relay_repl = relays[0].msg_type != _RELAY_FORW
        name = RECEIVED_NAMES6.get(query.msg_type, "pkt6-unknown-received")
        values[name] = values.get(name, 0) + 1
        stamps[name] = now
        if relay_repl or not self.network_state.enabled(now):
            stats.add("pkt6-receive-drop", 1, now)
            return
        ha_classes: tuple[str, ...] = ()
        if self.ha is not None:
            verdict = self.ha.filter(query, now)
            if verdict is None:
                stats.add("pkt6-receive-drop", 1, now)
                return
            ha_classes = verdict
        meta = self._metas.get((id(s), source, local, ifindex))
        if meta is None:
            meta = self._query_meta(s, source, local, ifindex)
        assert self.engine is not None
        decision = self.engine.process(msg, now, meta, ha_classes)
        for name, delta in decision.stats:
            values[name] = values.get(name, 0) + delta
            stamps[name] = now
        if decision.drop_reason is not None:
            stats.add("pkt6-receive-drop", 1, now)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("DHCP6_PACKET_DROP %s tid=%#x: %s", address_text(source[0]), query.transaction_id,
                          decision.drop_reason)  # fmt: skip
            return
        if self.ha is not None and decision.lease_changes:
            # The client is answered only once the partner has the leases (Kea parks the packet).
            parked = self.ha.commit(decision.lease_changes, query, now)
            if parked is not None:
                # A done-callback, not a task per parked client: this is every Request under HA.
                parked.add_done_callback(lambda f: self._answer_when_acked(f, query, decision, s))
                return
        self._send(query, decision, s, now)

    def _query_meta(self, s: Dhcp6Socket, source: tuple[int, int], local: int, ifindex: int) -> QueryMeta6:
        """The QueryMeta6 of a datagram from `source` to `local`, remembered: relayed traffic comes
        from a handful of relays, so building it is rare. Emptied when the sockets change."""
        meta = QueryMeta6(
            interface=s.iface.name,
            interface_index=ifindex or s.iface.index,
            source_address=source[0],
            source_port=source[1],
            local_address=local,
            multicast=(local >> 120) == 0xFF,
        )
        metas = self._metas
        if len(metas) >= _META_CACHE_MAX:
            metas.clear()
        metas[(id(s), source, local, ifindex)] = meta
        return meta

    def _answer_when_acked(
        self, parked: asyncio.Future[bool], query: Packet6, decision: Decision6, s: Dhcp6Socket
    ) -> None:
        if not parked.cancelled() and parked.result():
            self._send(query, decision, s, time.time())
        else:
            self.stats.add("pkt6-receive-drop", 1, time.time())
            log.debug("HA_LEASE_UPDATES_FAILED response to tid=%#x dropped", query.transaction_id)

    def _send(self, query: Packet6, decision: Decision6, s: Dhcp6Socket, now: float) -> None:
        reply = decision.reply
        if reply is None:
            return
        payload = reply.to_bytes()
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "DHCP6_PACKET_SEND type %d tid=%#x to [%s]:%d%s",
                decision.reply_type,
                query.transaction_id,
                address_text(decision.destination),
                decision.port,
                " (relay-repl)" if isinstance(reply, RelayMessage6) else "",
            )
        s.send(payload, decision.destination, decision.port, decision.interface_index)
        values, stamps = self.stats.counters()
        values["pkt6-sent"] = values.get("pkt6-sent", 0) + 1
        stamps["pkt6-sent"] = now
        name = SENT_NAMES6.get(decision.reply_type)
        if name:
            values[name] = values.get(name, 0) + 1
            stamps[name] = now


def check_config_file(path: str) -> int:
    """`hakea-dhcp6 -t FILE`: 0 when the configuration would load, 1 (and the reason) otherwise."""
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
        log.error("DHCP6_INIT_FAIL configuration refused: %s", exc)
        return 1
    daemon = Dhcp6Daemon(config_path, port=port, client_port=client_port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.request_shutdown)
    loop.add_signal_handler(signal.SIGHUP, lambda: daemon._spawn(commands6.reload_from_file(daemon)))
    try:
        await daemon.start(config)
    except (ConfigError, OSError, LeaseStoreError) as exc:
        log.error("DHCP6_INIT_FAIL %s", exc)
        with contextlib.suppress(Exception):
            await daemon.stop()
        return 1
    log.info("DHCP6_STARTED hakea-dhcp6 %s (pid %d)", __version__, os.getpid())
    await daemon.wait_stopped()
    log.info("DHCP6_SHUTDOWN hakea-dhcp6 shutting down")
    await daemon.stop()
    return 0


def run_server(config_path: str, *, port: int | None, client_port: int | None, debug: bool) -> int:
    _setup_logging(debug)
    try:
        import uvloop

        return uvloop.run(_main(config_path, port, client_port))
    except ImportError:
        return asyncio.run(_main(config_path, port, client_port))
