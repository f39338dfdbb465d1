"""What hakea-dhcp4 and hakea-dhcp6 share: the life cycle (apply, reload, stop), the control
socket, the lease store switch, the timers (reclamation, flush, lease file compaction) and the
process entry point.

Each family's daemon (hakea.server.dhcp4_daemon, dhcp6_daemon) subclasses DaemonBase and supplies
what differs: the configuration, lease store, engine, sockets, HA adapter and statistics of its
family. The per-datagram path (_on_readable, handle_datagram, _send) is each family's own: it
runs for every datagram, so it gets no extra call layer. The frame around one read batch is shared
here (_begin_batch, _end_batch: the group commit of docs/decisions/007, the answers' sends and
their counting). Kea's message
ids differ between the families by the digit alone (DHCP4_STARTED, ALLOC_ENGINE_V6_...), so they
are written here with FAMILY in place of the digit.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar

from hakea import __version__
from hakea.config.errors import ConfigError
from hakea.config.model import ControlSocket, ExpiredLeasesProcessing, LeaseDatabase
from hakea.control.http_server import HttpCommandServer
from hakea.control.registry import CommandRegistry
from hakea.control.unix_server import UnixCommandServer
from hakea.leases.store import LeaseStoreError
from hakea.server import daemon_commands
from hakea.server.network_state import NetworkState
from hakea.server.stats import Statistics

BATCH = 64  # datagrams read per wake-up: amortises the event-loop cost under load
PARKED_HIGH_WATER = 64  # parked HA answers above which a wake-up reads one datagram only
META_CACHE_MAX = 4096  # query metadata kept per (socket, source, local address...); see _query_meta


class FamilyConfig(Protocol):
    """What the shared life cycle reads of a family's typed configuration (Dhcp4Config, Dhcp6Config)."""

    @property
    def lease_database(self) -> LeaseDatabase: ...

    @property
    def expired_leases_processing(self) -> ExpiredLeasesProcessing: ...

    @property
    def control_socket(self) -> ControlSocket | None: ...

    @property
    def lease_cmds_loaded(self) -> bool: ...

    @property
    def ha_parameters(self) -> dict[str, Any] | None: ...

    @property
    def raw(self) -> dict[str, Any]: ...


class FamilyStore(Protocol):
    """The memfile lease store of either family (MemfileLeaseStore4, MemfileLeaseStore6)."""

    path: str
    persist: bool
    lfc_interval: float

    def compact(self) -> None: ...

    def count(self) -> int: ...

    def close(self) -> None: ...

    def defer_writes(self) -> None: ...

    def write_deferred(self) -> None: ...


class FamilyEngine(Protocol):
    def reclaim_expired(self, now: float) -> list[Any]: ...

    def flush_reclaimed(self, now: float) -> list[Any]: ...


class FamilySocket(Protocol):
    @property
    def sock(self) -> socket.socket: ...

    def close(self) -> None: ...


class Outgoing(NamedTuple):
    """An answer built during a read batch, sent when the batch ends (DaemonBase._end_batch)."""

    send: Callable[[], bool]  # False: the socket refused it (not counted as sent)
    durable: bool  # carries lease changes: leaves only once their rows are in the lease file
    reply_type: int


ConfigT = TypeVar("ConfigT", bound=FamilyConfig)
StoreT = TypeVar("StoreT", bound=FamilyStore)
EngineT = TypeVar("EngineT", bound=FamilyEngine)
SocketT = TypeVar("SocketT", bound=FamilySocket)


class DaemonBase(abc.ABC, Generic[ConfigT, StoreT, EngineT, SocketT]):
    FAMILY: ClassVar[str]  # "4" or "6": the digit in Kea's message ids, section and program names
    DEFAULT_LEASE_FILE: ClassVar[str]  # Kea's default memfile path for the family
    log: ClassVar[logging.Logger]
    SENT_TOTAL: ClassVar[str]  # "pkt4-sent" / "pkt6-sent"
    SENT_NAMES: ClassVar[Mapping[int, str]]  # reply message type -> its pktN-...-sent counter

    _metas: dict[Any, Any]  # each family's query metadata cache (its packet path's own)
    # The answers of the read batch in progress (None: outside a batch, answers leave at once).
    _outbox: list[Outgoing] | None = None

    def __init__(
        self, config_path: str, config: ConfigT, stat_names: Iterable[str], *, port: int, client_port: int
    ) -> None:
        self.config_path = config_path
        self.port = port
        self.client_port = client_port
        self.stats = Statistics(stat_names)
        self.network_state = NetworkState()
        self.registry = CommandRegistry()
        self.started = time.time()
        self.reloaded = self.started
        self.config: ConfigT = config
        self.store: StoreT | None = None
        self.engine: EngineT | None = None
        self.sockets: list[SocketT] = []
        self.unix_server: UnixCommandServer | None = None
        self.http_servers: list[HttpCommandServer] = []
        self.ha: Any = None  # the family's HA adapter (hakea.server.ha4/ha6) when libdhcp_ha.so is loaded
        self._timers: list[asyncio.TimerHandle] = []
        self._stopping = asyncio.Event()
        self._pending: set[asyncio.Task[None]] = set()

    # ---- what each family supplies -------------------------------------------------------------

    @abc.abstractmethod
    def read_config(self, path: str) -> ConfigT:
        """The family's configuration file loader (config-reload, SIGHUP)."""

    @abc.abstractmethod
    def _new_store(self, path: str, db: LeaseDatabase) -> StoreT: ...

    @abc.abstractmethod
    def _new_engine(self, config: ConfigT, store: StoreT) -> EngineT: ...

    @abc.abstractmethod
    def _recount(self, config: ConfigT, store: StoreT, now: float) -> None:
        """Kea's statistics after a (re)configuration (hakea.server.stats recount4 / recount6)."""

    @abc.abstractmethod
    def _open_sockets(self, config: ConfigT, engine: EngineT) -> list[SocketT]: ...

    @abc.abstractmethod
    def _on_readable(self, s: SocketT) -> None: ...

    def _count_sent(self, reply_type: int, now: float) -> None:
        """Count a datagram the socket took: pktN-sent and the reply type's own counter."""
        values, stamps = self.stats.counters()
        total = self.SENT_TOTAL
        values[total] = values.get(total, 0) + 1
        stamps[total] = now
        name = self.SENT_NAMES.get(reply_type)
        if name:
            values[name] = values.get(name, 0) + 1
            stamps[name] = now

    # ---- read batches: group commit of leases, then the answers -----------------------------

    def _begin_batch(self) -> None:
        """Before a wake-up's datagrams are handled: their lease rows are kept and their answers
        queued, so the batch costs one lease-file write, and its sends come together after the
        work instead of between the packets (each send wakes the receiver, which then competes
        for the CPU with the rest of the batch: measured in bench/RESULTS.md section 5c)."""
        if self.store is not None:
            self.store.defer_writes()
        self._outbox = []

    def _end_batch(self) -> None:
        """Write the batch's lease rows, then send its answers; if the write fails, the answers
        carrying lease changes are withheld (the client asks again) and counted as dropped."""
        outbox, self._outbox = self._outbox or [], None
        durable = True
        if self.store is not None:
            try:
                self.store.write_deferred()
            except LeaseStoreError as exc:
                durable = False
                withheld = sum(1 for out in outbox if out.durable)
                self.log.error("DHCP%s_LEASE_FILE_WRITE_FAILED %s; %d answer(s) withheld",
                               self.FAMILY, exc, withheld)  # fmt: skip
                if withheld:
                    self.stats.add(f"pkt{self.FAMILY}-receive-drop", withheld, time.time())
        if not outbox:
            return
        now = time.time()
        for out in outbox:
            if durable or not out.durable:
                try:
                    sent = out.send()
                except Exception:  # one answer's failure must not cost the rest of the batch theirs
                    self.log.exception("DHCP%s_PACKET_SEND_FAIL", self.FAMILY)
                    continue
                if sent:
                    self._count_sent(out.reply_type, now)

    @abc.abstractmethod
    def _register_lease_commands(self, enabled: bool) -> None: ...

    @abc.abstractmethod
    def _new_ha(self, config: ConfigT) -> Any: ...

    @abc.abstractmethod
    def _log_config_complete(self, config: ConfigT, store: StoreT) -> None: ...

    @abc.abstractmethod
    def _reclaim_stats(self, changes: list[Any]) -> Iterable[tuple[str, int]]: ...

    @abc.abstractmethod
    def _reclaimed(self, changes: list[Any]) -> None:
        """After a reclamation pass that changed leases (counted and logged already)."""

    @abc.abstractmethod
    def _flushed(self, changes: list[Any]) -> None:
        """After a flush pass that deleted reclaimed leases."""

    def _switched(self) -> None:
        """Right after the new configuration, store and engine are in place."""

    # ---- life cycle ----------------------------------------------------------------------------

    async def start(self, config: ConfigT) -> None:
        await self.apply(config)

    async def apply(self, config: ConfigT) -> None:
        """Switch to `config`: the new lease store, engine, sockets, control channels and HA.

        Until the new lease store and engine exist nothing running is touched, so a failure there
        leaves the running configuration serving. The control socket is kept when its path is
        unchanged: config-set / config-reload arrive on it and their answer must still go out.
        """
        old_store = self.store
        store = self._open_store(config, reuse=old_store)
        try:
            engine = self._new_engine(config, store)
        except Exception:
            if store is not old_store:
                store.close()
            raise
        await self._close_io(keep_control=True)
        self.config, self.store, self.engine = config, store, engine
        self._switched()
        if old_store is not None and old_store is not store:
            old_store.close()
        self.reloaded = time.time()
        self._recount(config, store, self.reloaded)
        self.sockets = self._open_sockets(config, engine)
        loop = asyncio.get_running_loop()
        for s in self.sockets:
            loop.add_reader(s.sock.fileno(), self._on_readable, s)
        await self._apply_control_socket(config)
        self._register_lease_commands(config.lease_cmds_loaded)
        if config.ha_parameters is not None:
            self.ha = self._new_ha(config)
            await self.ha.start()
        self._schedule_timers()
        self._log_config_complete(config, store)

    def lease_file(self, config: ConfigT) -> str:
        return config.lease_database.name or self.DEFAULT_LEASE_FILE

    async def _apply_control_socket(self, config: ConfigT) -> None:
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

    def _open_store(self, config: ConfigT, reuse: StoreT | None) -> StoreT:
        """The lease store `config` names: `reuse` when it is the same file, else a new one (the
        caller closes `reuse` once the new configuration is in place)."""
        db = config.lease_database
        if db.type != "memfile":
            raise ConfigError(
                f"Dhcp{self.FAMILY}/lease-database/type", f"'{db.type}' backend is not available in hakea"
            )
        path = self.lease_file(config)
        if reuse is not None and reuse.path == path and reuse.persist == db.persist:
            reuse.lfc_interval = db.lfc_interval
            return reuse
        if db.persist:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return self._new_store(path, db)

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

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # ---- timers: reclamation, lease file compaction --------------------------------------------

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
            self.log.error("ALLOC_ENGINE_V%s_LEASES_RECLAIMATION_FAILED %s", self.FAMILY, exc)
            return
        if changes:
            v, count = self.FAMILY, len(changes)
            self.log.debug("ALLOC_ENGINE_V%s_LEASES_RECLAIMATION_COMPLETE %d lease(s)", v, count)
            now = time.time()
            for name, delta in self._reclaim_stats(changes):
                self.stats.add(name, delta, now)
            self._reclaimed(changes)

    def _flush_tick(self) -> None:
        assert self.engine is not None
        wait = self.config.expired_leases_processing.flush_reclaimed_timer_wait_time
        self._timers.append(asyncio.get_running_loop().call_later(wait, self._flush_tick))
        try:
            changes = self.engine.flush_reclaimed(time.time())
        except Exception as exc:
            self.log.error("ALLOC_ENGINE_V%s_RECLAIMED_LEASES_DELETE_FAILED %s", self.FAMILY, exc)
            return
        if changes:
            self._flushed(changes)

    def _lfc_tick(self) -> None:
        self._timers.append(
            asyncio.get_running_loop().call_later(self.config.lease_database.lfc_interval, self._lfc_tick)
        )
        if self.store is not None:
            try:
                self.store.compact()
                self.log.info("DHCPSRV_MEMFILE_LFC_EXECUTE lease file %s compacted", self.store.path)
            except (OSError, LeaseStoreError) as exc:
                self.log.error("DHCPSRV_MEMFILE_LFC_FAIL %s", exc)


AnyDaemon = DaemonBase[Any, Any, Any, Any]


# ---- the process: `hakea-dhcpN -t FILE` and `hakea-dhcpN -c FILE` ----------------------------


def check_config(read_config: Callable[[str], object], path: str) -> int:
    """`hakea-dhcpN -t FILE`: 0 when the configuration would load, 1 (and the reason) otherwise."""
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


async def _main(
    daemon_class: type[AnyDaemon],
    read_config: Callable[[str], object],
    config_path: str,
    port: int | None,
    client_port: int | None,
) -> int:
    log, v = daemon_class.log, daemon_class.FAMILY
    try:
        config = read_config(config_path)
    except ConfigError as exc:
        log.error("DHCP%s_INIT_FAIL configuration refused: %s", v, exc)
        return 1
    new_daemon: Callable[..., AnyDaemon] = daemon_class  # each family's __init__(path, *, port, client_port)
    daemon = new_daemon(config_path, port=port, client_port=client_port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, daemon.request_shutdown)
    loop.add_signal_handler(signal.SIGHUP, lambda: daemon._spawn(daemon_commands.reload_from_file(daemon)))
    try:
        await daemon.start(config)
    except (ConfigError, OSError, LeaseStoreError) as exc:
        log.error("DHCP%s_INIT_FAIL %s", v, exc)
        with contextlib.suppress(Exception):
            await daemon.stop()
        return 1
    log.info("DHCP%s_STARTED hakea-dhcp%s %s (pid %d)", v, v, __version__, os.getpid())
    await daemon.wait_stopped()
    log.info("DHCP%s_SHUTDOWN hakea-dhcp%s shutting down", v, v)
    await daemon.stop()
    return 0


def run_daemon(
    daemon_class: type[AnyDaemon],
    read_config: Callable[[str], object],
    config_path: str,
    *,
    port: int | None,
    client_port: int | None,
    debug: bool,
) -> int:
    """`hakea-dhcpN -c FILE`: serve until SIGTERM/SIGINT (SIGHUP reloads the file); the exit code."""
    _setup_logging(debug)
    try:
        import uvloop

        return uvloop.run(_main(daemon_class, read_config, config_path, port, client_port))
    except ImportError:
        return asyncio.run(_main(daemon_class, read_config, config_path, port, client_port))
