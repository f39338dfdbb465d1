"""The DHCPv4 allocation engine: RFC 2131 server behaviour with Kea 2.2 semantics.

Pure: no sockets, no clock, no files. `Engine.process(query, now, meta, ha_classes)` takes a parsed
query and returns a Decision (reply, where to send it, the lease writes already made to the store,
a drop reason, counter increments). See docs/decisions/003-allocation-engine.md.

Per query type:
- DISCOVER -> OFFER, computed in Kea's "fake allocation" mode: nothing is written to the store.
  Address choice: the client's reservation, its existing lease, the requested address (option 50),
  then a free address from the pools the client's classes permit, subnet by subnet through a
  shared network.
- REQUEST -> ACK (lease stored) or NAK, by client state (RFC 2131 section 4.3.2): SELECTING
  (server identifier present: ours, or dropped), INIT-REBOOT (option 50, no ciaddr: an unknown
  client is ignored unless the subnet is authoritative), RENEWING/REBINDING (ciaddr).
- RELEASE deletes the client's lease; DECLINE puts the address in probation; INFORM -> ACK with
  options only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from random import Random

from hakea.classify import PacketMeta
from hakea.config.model import Dhcp4Config, OptionData, Reservation4
from hakea.dhcp4.allocator import IterativeAllocator, RandomAllocator
from hakea.dhcp4.classes4 import Classes, Classifier4
from hakea.dhcp4.decision import NO_REPLY, Decision, LeaseChange, QueryMeta, dropped
from hakea.dhcp4.hosts4 import HostIndex
from hakea.dhcp4.prepared import PreparedPool, PreparedSubnet, prepare
from hakea.dhcp4.reclaim import flush_reclaimed, reclaim_expired
from hakea.dhcp4.reply_builder import ReplyBuilder
from hakea.dhcp4.reply_routing import CLIENT_PORT, SERVER_PORT, route
from hakea.dhcp4.subnet_select import SubnetSelector, supported
from hakea.dhcp4.wire import (
    DHCPACK,
    DHCPDECLINE,
    DHCPDISCOVER,
    DHCPINFORM,
    DHCPOFFER,
    DHCPRELEASE,
    DHCPREQUEST,
    MalformedPacket,
    Packet4,
    parse_suboptions,
)
from hakea.leases.model import Lease4, LeaseState
from hakea.leases.store import LeaseStore4, LeaseStoreError

_DEFAULT = LeaseState.DEFAULT
_DECLINED = LeaseState.DECLINED
_RECLAIMED = LeaseState.EXPIRED_RECLAIMED
_NO_META = QueryMeta()
_SERVER_ID_OVERRIDE = 11  # RFC 5107 sub-option of option 82

Stats = list[tuple[str, int]]


class _Client:
    """One query's client: identifiers, classes and (per subnet) host reservation."""

    __slots__ = ("_hosts", "cid", "classes", "host", "hw", "pmeta", "q")

    def __init__(self, q: Packet4, hw: bytes, cid: bytes, classes: Classes) -> None:
        self.q = q
        self.hw = hw
        self.cid = cid  # option 61 payload, b"" when absent
        self.classes = classes
        self.host: Reservation4 | None = None  # for the selected subnet
        self.pmeta: PacketMeta | None = None  # pkt.iface / pkt.src / pkt.dst for class tests
        self._hosts: dict[int, Reservation4 | None] = {}


def _belongs(lease: Lease4, hw: bytes, cid: bytes) -> bool:
    """Kea's Lease4::belongsToClient: client identifiers decide when both sides have one,
    otherwise the hardware address. `cid` is b"" when the subnet has match-client-id false."""
    if cid and lease.client_id:
        return lease.client_id == cid
    return bool(hw) and lease.hwaddr == hw


class Engine:
    """The DHCPv4 server logic for one configuration and one lease store."""

    def __init__(
        self,
        config: Dhcp4Config,
        store: LeaseStore4,
        classifier: Classifier4 | None = None,
        *,
        rng: Random | None = None,
        local_addresses: Iterable[int] = (),
        server_port: int = SERVER_PORT,
        client_port: int = CLIENT_PORT,
    ) -> None:
        self.config = config
        self.store = store
        self._classifier = classifier if classifier is not None else Classifier4(config.client_classes)
        self._subnets = prepare(config)
        self._by_id: dict[int, PreparedSubnet] = {p.id: p for p in self._subnets}
        self._selector = SubnetSelector(self._subnets)
        self._replies = ReplyBuilder(config)
        self._global_hosts = HostIndex(config.reservations)
        self._any_hosts = bool(self._global_hosts) or any(p.hosts for p in self._subnets)
        self._iterative = IterativeAllocator()
        self._random = RandomAllocator(rng)
        self._class_valid: dict[str, int] = {
            c.name: c.valid_lifetime for c in config.client_classes if c.valid_lifetime is not None
        }
        # Addresses that are reserved (for someone) per subnet: never handed out dynamically.
        self._reserved: dict[int, dict[int, Reservation4]] = {}
        for p in self._subnets:
            reserved: dict[int, Reservation4] = {}
            if p.subnet.reservation_mode_global:
                reserved.update(self._global_hosts.by_address)
            if p.subnet.reservation_mode_in_subnet:
                reserved.update(p.hosts.by_address)
            self._reserved[p.id] = reserved
        # Server identifiers we answer to (Kea's acceptServerId): local addresses and any
        # configured dhcp-server-identifier option.
        self._configured_ids = frozenset(
            int.from_bytes(od.data, "big")
            for od in _all_option_data(config)
            if od.code == 54 and od.space == "dhcp4" and len(od.data) == 4
        )
        self._local_ids: set[int] = set(self._configured_ids) | set(local_addresses)
        self._server_port = server_port
        self._client_port = client_port

    # ---- public API ----------------------------------------------------------------------------

    def set_local_addresses(self, addresses: Iterable[int]) -> None:
        """The adapter's view of every local IPv4 address (server identifiers accepted)."""
        self._local_ids = set(self._configured_ids) | set(addresses)

    def process(
        self, query: Packet4, now: float, meta: QueryMeta = _NO_META, ha_classes: Iterable[str] = ()
    ) -> Decision:
        """Handle one parsed query. Never raises: a failure becomes a drop with its reason."""
        try:
            return self._process(query, now, meta, ha_classes)
        except LeaseStoreError as exc:
            return dropped(f"lease store error: {exc}")
        except Exception as exc:  # the shell must keep serving whatever one packet does
            return dropped(f"internal error: {type(exc).__name__}: {exc}")

    def reclaim_expired(self, now: float, max_leases: int | None = None) -> list[LeaseChange]:
        """Reclaim up to `max_leases` expired leases (default: max-reclaim-leases)."""
        return reclaim_expired(self.store, self.config.expired_leases_processing, now, max_leases)

    def flush_reclaimed(self, now: float) -> list[LeaseChange]:
        """Delete reclaimed leases older than hold-reclaimed-time."""
        return flush_reclaimed(self.store, self.config.expired_leases_processing, now)

    # ---- dispatch ------------------------------------------------------------------------------

    def _process(self, q: Packet4, now: float, meta: QueryMeta, ha_classes: Iterable[str]) -> Decision:
        mt = q.message_type
        if mt is None:
            return dropped("no message type (BOOTP)")
        hw = q.chaddr if q.hlen else b""
        cid = q.options.get(61) or b""
        if not hw and not cid:
            return dropped("no hardware address and no client identifier")
        sid = q.server_id
        if mt == DHCPDISCOVER:
            if 54 in q.options:
                return dropped("server identifier in DISCOVER")  # RFC 2131 table 5: MUST NOT
        elif sid is not None and not self._is_ours(sid, q, meta):
            return dropped("not for us")
        elif mt not in (DHCPREQUEST, DHCPRELEASE, DHCPDECLINE, DHCPINFORM):
            return dropped(f"unexpected message type {mt}")
        classifier = self._classifier
        classes = Classifier4.builtins(q, ha_classes)
        c = _Client(q, hw, cid, classes)
        if classifier.has_tests:
            c.pmeta = _packet_meta(meta)
        classifier.classify_early(q, classes, c.pmeta)
        if "DROP" in classes:  # Kea's DROP class: every message type
            return dropped("DROP class")
        if mt == DHCPRELEASE:
            return self._release(q, hw, cid)
        if mt == DHCPDECLINE:
            return self._decline(q, hw, cid, now)
        p = self._selector.select(q, meta, classes)
        if p is not None:
            c.host = host = self._host(c, p)
            reserved = host.client_classes if host is not None else ()
            classifier.classify_late(q, classes, host is not None, reserved, c.pmeta)
            if "DROP" in classes:
                return dropped("DROP class")
        server_id = meta.server_address or (meta.interface_addresses[0] if meta.interface_addresses else 0)
        if mt == DHCPDISCOVER:
            return self._discover(c, p, now, meta, server_id)
        if mt == DHCPREQUEST:
            return self._request(c, p, now, meta, server_id, sid is not None)
        return self._inform(c, p, meta, server_id)

    def _is_ours(self, sid: int, q: Packet4, meta: QueryMeta) -> bool:
        if sid == meta.server_address or sid in meta.interface_addresses or sid in self._local_ids:
            return True
        rai = q.options.get(82)
        if rai is not None:  # a relay overriding the server identifier (RFC 5107)
            try:
                override = parse_suboptions(rai).get(_SERVER_ID_OVERRIDE)
            except MalformedPacket:
                return False
            return override is not None and len(override) == 4 and int.from_bytes(override, "big") == sid
        return False

    # ---- helpers -------------------------------------------------------------------------------

    def _host(self, c: _Client, p: PreparedSubnet) -> Reservation4 | None:
        """The client's reservation for subnet p: in-subnet first, then global (per the
        subnet's reservations-in-subnet / reservations-global)."""
        if not self._any_hosts:
            return None
        cached = c._hosts.get(p.id, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        host = None
        s = p.subnet
        if s.reservation_mode_in_subnet and p.hosts:
            host = p.hosts.find(c.hw, c.cid)
        if host is None and s.reservation_mode_global and self._global_hosts:
            host = self._global_hosts.find(c.hw, c.cid)
        c._hosts[p.id] = host
        return host

    def _rotation(self, p: PreparedSubnet, classes: Classes) -> tuple[PreparedSubnet, ...]:
        if not p.rotation_has_classes:
            return p.rotation
        return tuple(x for x in p.rotation if x is p or supported(x, classes))

    def _client_lease(self, c: _Client, rotation: tuple[PreparedSubnet, ...]) -> Lease4 | None:
        """The client's lease in one of the candidate subnets: by client-id (in subnets that
        match on it) first, else by hardware address, as Kea looks them up; among several, the
        earliest subnet of the rotation, then the latest cltt."""
        store = self.store
        if c.cid:
            found = store.get_by_client_id(c.cid)
            if found:  # a new client (most DISCOVERs) has none: no ranking to do
                best = self._best_lease(found, c, rotation)
                if best is not None:
                    return best
        if c.hw:
            found = store.get_by_hwaddr(c.hw)
            if found:
                return self._best_lease(found, c, rotation)
        return None

    @staticmethod
    def _best_lease(found: list[Lease4], c: _Client, rotation: tuple[PreparedSubnet, ...]) -> Lease4 | None:
        best: Lease4 | None = None
        best_rank = len(rotation)
        for lease in found:
            if lease.state == _DECLINED:
                continue
            rank = 0
            for x in rotation:
                if x.id == lease.subnet_id:
                    break
                rank += 1
            else:
                continue
            if not _belongs(lease, c.hw, c.cid if x.match_client_id else b""):
                continue
            if best is None or rank < best_rank or (rank == best_rank and lease.cltt > best.cltt):
                best, best_rank = lease, rank
        return best

    def _available(self, address: int, c: _Client, x: PreparedSubnet, now: float) -> bool:
        """May `address` (in subnet x) be given to this client now?"""
        lease = self.store.get(address)
        if lease is not None and lease.state != _RECLAIMED and lease.expire > now:
            if lease.state == _DECLINED:
                return False  # decline probation
            lx = self._by_id.get(lease.subnet_id, x)
            if not _belongs(lease, c.hw, c.cid if lx.match_client_id else b""):
                return False
        owner = self._reserved[x.id].get(address)
        return owner is None or owner is self._host(c, x)

    def _allowed_pool(self, address: int, c: _Client, x: PreparedSubnet) -> PreparedPool | None:
        """The pool to use for `address` if the client may have it in subnet x: a reserved
        address is allowed anywhere in the subnet, otherwise it must be in a pool whose
        client-class the client belongs to."""
        pool = x.pool_for(address)
        host = self._host(c, x)
        if host is not None and host.ip_address == address:
            return pool if pool is not None else x.no_pool
        if pool is None:
            return None
        if pool.client_class is not None and pool.client_class not in c.classes:
            return None
        return pool

    def _valid_lifetime(self, c: _Client, x: PreparedSubnet) -> int:
        valid, lo, hi = x.valid, x.min_valid, x.max_valid
        if self._class_valid:
            for name in c.classes:
                v = self._class_valid.get(name)
                if v is not None:
                    valid = lo = hi = v
                    break
        requested = c.q.options.get(51)
        if requested is not None and len(requested) == 4:
            r = int.from_bytes(requested, "big")
            return lo if r < lo else hi if r > hi else r
        return valid

    def _required_classes(self, c: _Client, x: PreparedSubnet, pool: PreparedPool) -> None:
        names = x.subnet.require_client_classes + pool.require_client_classes
        if names:
            self._classifier.classify_required(c.q, c.classes, names, c.pmeta)

    def _choose(
        self, c: _Client, rotation: tuple[PreparedSubnet, ...], now: float
    ) -> tuple[PreparedSubnet, PreparedPool, int] | None:
        """Kea's order: reservation, existing lease, requested address, then the pools."""
        for x in rotation:
            host = self._host(c, x)
            if host is not None and host.ip_address is not None and x.contains(host.ip_address):
                address = host.ip_address
                if self._available(address, c, x, now):
                    pool = x.pool_for(address)
                    return x, pool if pool is not None else x.no_pool, address
        lease = self._client_lease(c, rotation)
        if lease is not None:
            x = self._by_id[lease.subnet_id]
            if x.contains(lease.address):
                pool = self._allowed_pool(lease.address, c, x)
                if pool is not None and self._available(lease.address, c, x, now):
                    return x, pool, lease.address
        requested = c.q.requested_address
        if requested:
            for x in rotation:
                if x.contains(requested):
                    pool = self._allowed_pool(requested, c, x)
                    if pool is not None and self._available(requested, c, x, now):
                        return x, pool, requested
                    break
        store_get = self.store.get
        for x in rotation:
            is_free = _free_check(store_get, self._reserved[x.id], now)
            allocator = self._random if x.allocator == "random" else self._iterative
            for pool in x.pools:
                if pool.client_class is not None and pool.client_class not in c.classes:
                    continue
                picked = allocator.pick(pool, is_free)
                if picked is not None:
                    return x, pool, picked
        return None

    def _allocation_failed(self, c: _Client, rotation: tuple[PreparedSubnet, ...]) -> Decision:
        """Kea 2.2's v4-allocation-fail counters, with the most specific reason."""
        p = rotation[0]
        pools = [pool for x in rotation for pool in x.pools]
        if not pools:
            kind = "v4-allocation-fail-no-pools"
        elif all(pool.client_class is not None and pool.client_class not in c.classes for pool in pools):
            kind = "v4-allocation-fail-classes"
        elif p.network is not None:
            kind = "v4-allocation-fail-shared-network"
        else:
            kind = "v4-allocation-fail-subnet"
        return dropped(
            "no address available",
            (("v4-allocation-fail", 1), (kind, 1), (p.stat_alloc_fail, 1), (f"subnet[{p.id}].{kind}", 1)),
        )

    def _finish(self, c: _Client, reply: Packet4, meta: QueryMeta, changes: tuple[LeaseChange, ...] = (),
                stats: tuple[tuple[str, int], ...] = ()) -> Decision:  # fmt: skip
        dest, port, raw = route(c.q, reply, meta, self._server_port, self._client_port)
        return Decision(reply, dest, port, raw, changes, None, stats)

    # ---- DISCOVER ------------------------------------------------------------------------------

    def _discover(
        self, c: _Client, p: PreparedSubnet | None, now: float, meta: QueryMeta, server_id: int
    ) -> Decision:
        if p is None:
            return dropped("no subnet")
        rotation = self._rotation(p, c.classes)
        choice = self._choose(c, rotation, now)
        if choice is None:
            return self._allocation_failed(c, rotation)
        x, pool, address = choice
        self._required_classes(c, x, pool)
        valid = self._valid_lifetime(c, x)
        host = self._host(c, x)
        reply = self._replies.lease_reply(c.q, DHCPOFFER, address, valid, x, pool, c.classes, host, server_id)
        return self._finish(c, reply, meta)

    # ---- REQUEST -------------------------------------------------------------------------------

    def _request(
        self, c: _Client, p: PreparedSubnet | None, now: float, meta: QueryMeta, server_id: int,
        selecting: bool,
    ) -> Decision:  # fmt: skip
        q = c.q
        requested = q.requested_address
        init_reboot = not selecting and requested is not None and not q.ciaddr
        address = requested if requested is not None else q.ciaddr
        if not address:
            return dropped("REQUEST without requested address or ciaddr")
        if p is None:
            # Kea NAKs a REQUEST it cannot place in any subnet (the client is on a wrong network).
            return self._finish(c, self._replies.nak(q, server_id), meta)
        rotation = self._rotation(p, c.classes)
        for x in rotation:
            if (address & x.mask) == x.network_address:
                break
        else:
            return self._finish(c, self._replies.nak(q, server_id), meta)  # wrong network
        own = self._client_lease(c, rotation)
        if init_reboot:
            # RFC 2131 section 4.3.2: with no record of the client, stay silent unless
            # authoritative; a client asking for another address than its lease gets a NAK.
            if own is None and not p.authoritative:
                return dropped("INIT-REBOOT from an unknown client (not authoritative)")
            if own is not None and own.address != address:
                return self._finish(c, self._replies.nak(q, server_id), meta)
        # A client with a reservation elsewhere in the subnet is sent back to DISCOVER so it gets
        # its reserved address, unless that address is held by another client (Kea).
        for s in rotation if self._any_hosts else ():
            host = self._host(c, s)
            reserved = host.ip_address if host is not None else None
            if reserved is not None and reserved != address and s.contains(reserved):
                if self._available(reserved, c, s, now):
                    return self._finish(c, self._replies.nak(q, server_id), meta)
                break
        pool = self._allowed_pool(address, c, x)
        if pool is None or not self._available(address, c, x, now):
            return self._finish(c, self._replies.nak(q, server_id), meta)
        self._required_classes(c, x, pool)
        valid = self._valid_lifetime(c, x)
        host = self._host(c, x)
        changes, stats = self._commit(c, x, address, valid, host, own, now)
        reply = self._replies.lease_reply(q, DHCPACK, address, valid, x, pool, c.classes, host, server_id)
        return self._finish(c, reply, meta, changes, stats)

    def _commit(
        self, c: _Client, x: PreparedSubnet, address: int, valid: int, host: Reservation4 | None,
        own: Lease4 | None, now: float,
    ) -> tuple[tuple[LeaseChange, ...], tuple[tuple[str, int], ...]]:  # fmt: skip
        store = self.store
        old = store.get(address)
        cid = c.cid if x.match_client_id else b""
        renewing = old is not None and old.state == _DEFAULT and _belongs(old, c.hw, cid)
        lease = Lease4(
            address, c.hw, cid, valid, int(now), x.id,
            hostname=host.hostname if host is not None else "",
            user_context=old.user_context if renewing and old is not None else None,
        )  # fmt: skip
        stats: Stats = []
        if old is None:
            if not store.add(lease):
                store.upsert(lease)
            stats.append((x.stat_assigned, 1))
            change = LeaseChange("new", lease)
        else:
            store.update(lease)
            if renewing and old.expire > now:
                change = LeaseChange("updated", lease, old)
            else:
                change = LeaseChange("new", lease, old)
                if old.state == _RECLAIMED:
                    stats.append((x.stat_assigned, 1))
                elif old.state == _DECLINED:  # probation over: Kea reclaims, then allocates
                    stats += [("declined-addresses", -1), (x.stat_declined, -1),
                              ("reclaimed-declined-addresses", 1)]  # fmt: skip
                    if old.subnet_id != x.id:
                        stats += [(self._stat_assigned(old.subnet_id), -1), (x.stat_assigned, 1)]
                elif old.subnet_id != x.id:
                    stats += [(self._stat_assigned(old.subnet_id), -1), (x.stat_assigned, 1)]
        # The client moved to another address: its previous lease goes (Kea's old_lease_).
        if own is not None and own.address != address and store.delete(own.address):
            if own.state == _DEFAULT:
                stats.append((self._stat_assigned(own.subnet_id), -1))
            return (change, LeaseChange("deleted", own)), tuple(stats)
        return (change,), tuple(stats)

    def _stat_assigned(self, subnet_id: int) -> str:
        p = self._by_id.get(subnet_id)
        return p.stat_assigned if p is not None else f"subnet[{subnet_id}].assigned-addresses"

    # ---- RELEASE / DECLINE / INFORM ------------------------------------------------------------

    def _lease_of_client(self, address: int, hw: bytes, cid: bytes) -> Lease4 | None:
        lease = self.store.get(address) if address else None
        if lease is None or lease.state == _DECLINED:
            return None
        x = self._by_id.get(lease.subnet_id)
        if not _belongs(lease, hw, cid if x is None or x.match_client_id else b""):
            return None
        return lease

    def _release(self, q: Packet4, hw: bytes, cid: bytes) -> Decision:
        # RFC 2131 section 4.3.4: the released address is in ciaddr. Kea 2.2 deletes the lease.
        lease = self._lease_of_client(q.ciaddr, hw, cid)
        if lease is None or not self.store.delete(lease.address):
            return NO_REPLY
        stats = ((self._stat_assigned(lease.subnet_id), -1),) if lease.state == _DEFAULT else ()
        return Decision(None, lease_changes=(LeaseChange("deleted", lease),), stats=stats)

    def _decline(self, q: Packet4, hw: bytes, cid: bytes, now: float) -> Decision:
        # RFC 2131 section 4.3.3: the declined address is in option 50. Kea keeps the lease in
        # the declined state, without client identity, for decline-probation-period seconds.
        address = q.requested_address
        if not address:
            return dropped("DECLINE without requested address")
        lease = self._lease_of_client(address, hw, cid)
        if lease is None:
            return NO_REPLY
        declined = Lease4(
            address, b"", b"", self.config.decline_probation_period, int(now), lease.subnet_id,
            state=_DECLINED,
        )  # fmt: skip
        self.store.update(declined)
        x = self._by_id.get(lease.subnet_id)
        stat = x.stat_declined if x is not None else f"subnet[{lease.subnet_id}].declined-addresses"
        return Decision(
            None,
            lease_changes=(LeaseChange("updated", declined, lease),),
            stats=(("declined-addresses", 1), (stat, 1)),
        )

    def _inform(self, c: _Client, p: PreparedSubnet | None, meta: QueryMeta, server_id: int) -> Decision:
        if p is None:
            return dropped("no subnet")
        q = c.q
        self._required_classes(c, p, p.no_pool)
        reply = self._replies.inform_reply(q, p, c.classes, c.host, server_id)
        decision = self._finish(c, reply, meta)
        if not q.giaddr and not q.ciaddr and meta.source_address:
            # Kea answers a direct INFORM without ciaddr at its source address.
            decision.destination, decision.raw_unicast = meta.source_address, False
        return decision


def _packet_meta(meta: QueryMeta) -> PacketMeta:
    dst = 0xFFFFFFFF if meta.to_broadcast else meta.server_address
    return PacketMeta(meta.interface, meta.source_address.to_bytes(4, "big"), dst.to_bytes(4, "big"))


def _free_check(
    store_get: Callable[[int], Lease4 | None], reserved: dict[int, Reservation4], now: float
) -> Callable[[int], bool]:
    """An address is free for dynamic allocation when no lease is active on it (expired and
    reclaimed leases may be reused, declined ones once their probation is over) and it is not
    reserved for any client."""

    def is_free(address: int) -> bool:
        lease = store_get(address)
        if lease is not None and lease.state != _RECLAIMED and lease.expire > now:
            return False
        return address not in reserved

    return is_free


def _all_option_data(config: Dhcp4Config) -> Iterable[OptionData]:
    yield from config.option_data
    for s in config.subnets:
        yield from s.option_data
        for pool in s.pools:
            yield from pool.option_data
    for n in config.shared_networks:
        yield from n.option_data
    for cdef in config.client_classes:
        yield from cdef.option_data
