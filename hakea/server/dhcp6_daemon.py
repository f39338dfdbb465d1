"""The hakea-dhcp6 daemon: the asyncio shell around the pure DHCPv6 engine.

It owns the sockets, the clock, the lease file, the server DUID, the control channel and the
timers; every decision is taken by the engine (and, when loaded, the HA core through
hakea.server.ha6). The life cycle, timers and control socket are daemon_base's (shared with
hakea-dhcp4); the packet path is here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from hakea.config.dhcp6 import load_dhcp6_file
from hakea.config.model import LeaseDatabase
from hakea.config.model6 import Dhcp6Config
from hakea.dhcp6.decision6 import Decision6, LeaseChange6, QueryMeta6
from hakea.dhcp6.engine import Engine6
from hakea.dhcp6.reclaim6 import reclaim_stats6
from hakea.dhcp6.wire import MalformedPacket6, Packet6, RelayMessage6, unwrap
from hakea.leases.memfile6 import MemfileLeaseStore6
from hakea.server import commands6, lease_cmds6
from hakea.server.daemon_base import BATCH as _BATCH
from hakea.server.daemon_base import META_CACHE_MAX as _META_CACHE_MAX
from hakea.server.daemon_base import PARKED_HIGH_WATER as _PARKED_HIGH_WATER
from hakea.server.daemon_base import DaemonBase, Outgoing, check_config, run_daemon
from hakea.server.duid6 import SERVER_ID_FILE, server_duid
from hakea.server.sockets6 import Dhcp6Socket, address_text, first_hwaddr, open_sockets6
from hakea.server.stats6 import PKT6_NAMES, RECEIVED_NAMES6, SENT_NAMES6, recount6

log = logging.getLogger("hakea.dhcp6")

DEFAULT_LEASE_FILE = "/var/lib/kea/kea-leases6.csv"
_RELAY_FORW = 12


def read_config(path: str) -> Dhcp6Config:
    """Load a Kea configuration file; raises ConfigError naming the offending key."""
    return load_dhcp6_file(path)


class Dhcp6Daemon(DaemonBase[Dhcp6Config, MemfileLeaseStore6, Engine6, Dhcp6Socket]):
    FAMILY = "6"
    DEFAULT_LEASE_FILE = DEFAULT_LEASE_FILE
    SENT_TOTAL = "pkt6-sent"
    SENT_NAMES = SENT_NAMES6
    log = log

    def __init__(self, config_path: str, *, port: int | None = None, client_port: int | None = None) -> None:
        super().__init__(
            config_path,
            Dhcp6Config(),
            PKT6_NAMES,
            port=port if port is not None else 547,
            client_port=client_port if client_port is not None else 546,
        )
        self.server_duid = b""
        self._duid_source: object = None
        self._metas: dict[tuple[int, tuple[int, int], int, int], QueryMeta6] = {}
        commands6.register(self)

    # ---- the family's parts of the life cycle (daemon_base.DaemonBase.apply) --------------------

    def read_config(self, path: str) -> Dhcp6Config:
        return read_config(path)

    def _new_store(self, path: str, db: LeaseDatabase) -> MemfileLeaseStore6:
        return MemfileLeaseStore6(path, persist=db.persist, lfc_interval=db.lfc_interval)

    def _new_engine(self, config: Dhcp6Config, store: MemfileLeaseStore6) -> Engine6:
        duid = self._server_duid(config)
        # Relays are answered on port 547 whatever -p says (Kea: DHCP6_SERVER_PORT), unless they
        # name their own port (RFC 8357); clients on 546 or -P.
        return Engine6(config, store, duid, client_port=self.client_port)

    def _switched(self) -> None:
        assert self.engine is not None
        self.server_duid = self.engine.server_duid

    def _server_duid(self, config: Dhcp6Config) -> bytes:
        """The DUID for `config`: unchanged across reconfigurations that keep "server-id" and the
        lease file's directory (where a persisted DUID lives)."""
        path = os.path.join(os.path.dirname(os.path.abspath(self.lease_file(config))), SERVER_ID_FILE)
        source = (config.server_id, path)
        if self.server_duid and source == self._duid_source:
            return self.server_duid
        names = [entry.partition("/")[0] for entry in config.interfaces if entry != "*"]
        duid = server_duid(config.server_id, path, first_hwaddr(names), time.time())
        self._duid_source = source
        return duid

    def _recount(self, config: Dhcp6Config, store: MemfileLeaseStore6, now: float) -> None:
        recount6(self.stats, config.subnets, store.all(), now)

    def _open_sockets(self, config: Dhcp6Config, engine: Engine6) -> list[Dhcp6Socket]:
        return open_sockets6(config.interfaces, self.port)

    def _register_lease_commands(self, enabled: bool) -> None:
        lease_cmds6.register(self, enabled=enabled)

    def _new_ha(self, config: Dhcp6Config) -> Any:
        from hakea.server.ha6 import HA6Adapter

        return HA6Adapter(self, config)

    def _log_config_complete(self, config: Dhcp6Config, store: MemfileLeaseStore6) -> None:
        log.info(
            "DHCP6_CONFIG_COMPLETE %d subnet(s), %d lease(s), server DUID %s, listening on %s",
            len(config.subnets),
            store.count(),
            self.server_duid.hex(":"),
            ", ".join(sorted({s.iface.name for s in self.sockets})) or "none",
        )

    def _reclaim_stats(self, changes: list[LeaseChange6]) -> Iterable[tuple[str, int]]:
        return reclaim_stats6(changes)

    def _reclaimed(self, changes: list[LeaseChange6]) -> None:
        self._replicate_background(changes)

    def _flushed(self, changes: list[LeaseChange6]) -> None:
        self._replicate_background(changes)

    def _replicate_background(self, changes: list[LeaseChange6]) -> None:
        if self.ha is not None:
            self.ha.commit(changes, None, time.time())

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
        self._begin_batch()
        try:
            for _ in range(budget):
                try:
                    data, source, local, ifindex = recv(65536)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:
                    log.debug("receive failed: %s", exc)
                    break
                handle(data, source, s, local, ifindex)
        finally:
            self._end_batch()
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
        outbox = self._outbox
        if outbox is not None:  # inside a read batch: sent by _end_batch, after the lease file write
            send = partial(s.send, payload, decision.destination, decision.port, decision.interface_index)
            outbox.append(Outgoing(send, bool(decision.lease_changes), decision.reply_type))
        elif s.send(payload, decision.destination, decision.port, decision.interface_index):
            self._count_sent(decision.reply_type, now)



def check_config_file(path: str) -> int:
    """`hakea-dhcp6 -t FILE`: 0 when the configuration would load, 1 (and the reason) otherwise."""
    return check_config(read_config, path)


def run_server(config_path: str, *, port: int | None, client_port: int | None, debug: bool) -> int:
    return run_daemon(Dhcp6Daemon, read_config, config_path, port=port, client_port=client_port, debug=debug)
