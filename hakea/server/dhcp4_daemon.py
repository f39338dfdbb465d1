"""The hakea-dhcp4 daemon: the asyncio shell around the pure DHCPv4 engine.

It owns the sockets, the clock, the lease file, the control channel and the timers; every decision
is taken by the engine (and, when loaded, the HA core through hakea.server.ha4). The life cycle,
timers and control socket are daemon_base's (shared with hakea-dhcp6); the packet path is here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from hakea.config.dhcp4 import load_dhcp4_file
from hakea.config.model import Dhcp4Config, LeaseDatabase
from hakea.dhcp4.decision import Decision, LeaseChange, QueryMeta
from hakea.dhcp4.engine import Engine
from hakea.dhcp4.reclaim import reclaim_stats
from hakea.dhcp4.wire import MalformedPacket, Packet4
from hakea.leases.memfile4 import MemfileLeaseStore4
from hakea.server import commands4, lease_cmds4
from hakea.server.daemon_base import BATCH as _BATCH
from hakea.server.daemon_base import META_CACHE_MAX as _META_CACHE_MAX
from hakea.server.daemon_base import PARKED_HIGH_WATER as _PARKED_HIGH_WATER
from hakea.server.daemon_base import DaemonBase, Outgoing, check_config, run_daemon
from hakea.server.sockets4 import Dhcp4Socket, open_sockets
from hakea.server.stats import PKT4_NAMES, recount4

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


def read_config(path: str) -> Dhcp4Config:
    """Load a Kea configuration file; raises ConfigError naming the offending key (or the file,
    line and column of a syntax error). <?include?> paths are relative to the file's directory."""
    return load_dhcp4_file(path)


class Dhcp4Daemon(DaemonBase[Dhcp4Config, MemfileLeaseStore4, Engine, Dhcp4Socket]):
    FAMILY = "4"
    DEFAULT_LEASE_FILE = DEFAULT_LEASE_FILE
    SENT_TOTAL = "pkt4-sent"
    SENT_NAMES = _SENT_NAMES
    log = log

    def __init__(self, config_path: str, *, port: int | None = None, client_port: int | None = None) -> None:
        super().__init__(
            config_path,
            Dhcp4Config(),
            PKT4_NAMES,
            port=port if port is not None else 67,
            client_port=client_port if client_port is not None else 68,
        )
        self._metas: dict[tuple[int, tuple[str, int], int], QueryMeta] = {}
        commands4.register(self)

    # ---- the family's parts of the life cycle (daemon_base.DaemonBase.apply) --------------------

    def read_config(self, path: str) -> Dhcp4Config:
        return read_config(path)

    def _new_store(self, path: str, db: LeaseDatabase) -> MemfileLeaseStore4:
        return MemfileLeaseStore4(path, persist=db.persist, lfc_interval=db.lfc_interval)

    def _new_engine(self, config: Dhcp4Config, store: MemfileLeaseStore4) -> Engine:
        return Engine(config, store, server_port=self.port, client_port=self.client_port)

    def _recount(self, config: Dhcp4Config, store: MemfileLeaseStore4, now: float) -> None:
        recount4(self.stats, config.subnets, store.all(), now)

    def _open_sockets(self, config: Dhcp4Config, engine: Engine) -> list[Dhcp4Socket]:
        sockets = open_sockets(config.interfaces, self.port)
        engine.set_local_addresses(s.server_address for s in sockets if s.server_address)
        return sockets

    def _register_lease_commands(self, enabled: bool) -> None:
        lease_cmds4.register(self, enabled=enabled)

    def _new_ha(self, config: Dhcp4Config) -> Any:
        from hakea.server.ha4 import HA4Adapter

        return HA4Adapter(self, config)

    def _log_config_complete(self, config: Dhcp4Config, store: MemfileLeaseStore4) -> None:
        log.info(
            "DHCP4_CONFIG_COMPLETE %d subnet(s), %d lease(s), listening on %s",
            len(config.subnets),
            store.count(),
            ", ".join(s.iface.name for s in self.sockets) or "none",
        )

    def _reclaim_stats(self, changes: list[LeaseChange]) -> Iterable[tuple[str, int]]:
        return reclaim_stats(changes)

    def _reclaimed(self, changes: list[LeaseChange]) -> None:
        # Nothing is sent to the HA partner: Kea 2.2's HA replicates client transactions only,
        # and each peer reclaims its own copy of an expired lease.
        pass

    def _flushed(self, changes: list[LeaseChange]) -> None:
        log.debug("DHCPSRV_MEMFILE_DELETE_EXPIRED_RECLAIMED4 %d lease(s)", len(changes))

    # ---- the packet path -----------------------------------------------------------------------

    def _on_readable(self, s: Dhcp4Socket) -> None:
        recv = s.receive
        budget = _BATCH
        if self.ha is not None:
            # Backpressure: with many answers parked for the partner's lease-update acks, read
            # less so the loop gets back to the peer connections (their answers release the
            # parked clients); the excess waits in the socket queue, bounded in time there.
            budget = max(1, min(_BATCH, _PARKED_HIGH_WATER - self.ha.parked))
        self._begin_batch()
        try:
            for _ in range(budget):
                try:
                    data, addr, local = recv(4096)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:
                    log.debug("receive failed: %s", exc)
                    break
                self.handle_datagram(data, addr, s, local)
        finally:
            self._end_batch()
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
            send = partial(self._send_raw, s, payload, query.chaddr, decision.destination, decision.port)
        else:
            send = partial(s.send, payload, decision.destination, decision.port)
        reply_type = reply.message_type or 0
        outbox = self._outbox
        if outbox is not None:  # inside a read batch: sent by _end_batch, after the lease file write
            outbox.append(Outgoing(send, bool(decision.lease_changes), reply_type))
        elif send():
            self._count_sent(reply_type, now)

    def _send_raw(self, s: Dhcp4Socket, payload: bytes, chaddr: bytes, destination: int, port: int) -> bool:
        assert s.raw is not None
        try:
            s.raw.send(payload, chaddr, s.server_address, destination, port, self.port)
        except OSError as exc:
            log.debug("raw send failed: %s", exc)
            return False
        return True



def check_config_file(path: str) -> int:
    """`hakea-dhcp4 -t FILE`: 0 when the configuration would load, 1 (and the reason) otherwise."""
    return check_config(read_config, path)


def run_server(config_path: str, *, port: int | None, client_port: int | None, debug: bool) -> int:
    return run_daemon(Dhcp4Daemon, read_config, config_path, port=port, client_port=client_port, debug=debug)
