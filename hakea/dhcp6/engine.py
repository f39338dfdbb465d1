"""The DHCPv6 server engine: RFC 8415 server behaviour with Kea 2.2 semantics.

Pure: no sockets, no clock, no files. `Engine6.process(msg, now, meta, ha_classes)` takes a parsed
datagram (a client message, or Relay-forw messages around one) and returns a Decision6: the reply
(wrapped in Relay-repl for a relayed query), where to send it, the lease writes already made to the
store, a drop reason and counter increments.

Per message type (RFC 8415 section 18.3):
- Solicit -> Advertise computed without writing anything (Kea's "fake allocation"); with Rapid
  Commit wanted by the client and allowed by the subnet, a Reply with the leases committed.
- Request -> Reply with the leases committed; an IA that gets nothing carries NoAddrsAvail /
  NoPrefixAvail.
- Renew / Rebind -> the IA's lease extended (a client without one gets a new one, as Kea does);
  what the client listed and may no longer use comes back with lifetimes 0 (18.3.4, 18.3.5). A
  Renew no subnet can be found for gets NoBinding, a Rebind lifetimes 0.
- Release deletes the leases; Decline puts addresses in probation; Confirm checks that the
  addresses are on-link; Information-request gets configuration options only.
Every IA of a message is handled (several IA_NA and IA_PD); lease choice is in leasing6.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from random import Random

from hakea.classify import PacketMeta, vendor_class_name
from hakea.config.model6 import Dhcp6Config
from hakea.dhcp6.classes6 import Classifier6
from hakea.dhcp6.client6 import Client6, IaRequest, parse_ias, relay_option
from hakea.dhcp6.decision6 import (
    CLIENT_PORT6,
    NO_REPLY6,
    SERVER_PORT6,
    Decision6,
    LeaseChange6,
    QueryMeta6,
    dropped6,
)
from hakea.dhcp6.ia import Status
from hakea.dhcp6.leasing6 import Leasing6, Stats
from hakea.dhcp6.prepared6 import PreparedPool6, PreparedSubnet6, prepare6
from hakea.dhcp6.reclaim6 import flush_reclaimed6, reclaim_expired6
from hakea.dhcp6.reply6 import (
    OPTION_PD_EXCLUDE,
    IaReply,
    ReplyBuilder6,
    Resource,
    pd_exclude_option,
    tee_times6,
    wrap_relays,
)
from hakea.dhcp6.subnet_select6 import SubnetSelector6, usable_link_address
from hakea.dhcp6.wire import (
    ADVERTISE,
    CONFIRM,
    DECLINE,
    INFORMATION_REQUEST,
    OPTION_CLIENTID,
    OPTION_INTERFACE_ID,
    OPTION_RAPID_COMMIT,
    OPTION_RELAY_SOURCE_PORT,
    OPTION_SERVERID,
    REBIND,
    RELAY_FORW,
    RELEASE,
    RENEW,
    REPLY,
    REQUEST,
    SOLICIT,
    MalformedPacket6,
    Packet6,
    RelayMessage6,
)
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType
from hakea.leases.store6 import LeaseStore6, LeaseStoreError

_NA = LeaseType.NA
_PD = LeaseType.PD
_NO_META = QueryMeta6()
_CLIENT_TYPES = frozenset({SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, RELEASE, DECLINE, INFORMATION_REQUEST})
# RFC 8415 16.2, 16.5, 16.7, 16.12 and Kea's testUnicast: these must reach a server by multicast.
_MULTICAST_ONLY = frozenset({SOLICIT, CONFIRM, REBIND, INFORMATION_REQUEST})
_NEED_SERVER_ID = frozenset({REQUEST, RENEW, RELEASE, DECLINE})
_NO_SERVER_ID = frozenset({SOLICIT, CONFIRM, REBIND})
OPTION_VENDOR_CLASS = 16
_SELECT_CACHE_MAX = 4096

# Kea 2.2's status texts.
TEXT_NO_ADDRS = "Sorry, no addresses could be assigned at this time."
TEXT_NO_PREFIX = "Sorry, no prefixes could be assigned at this time."
TEXT_NO_SUBNET = "Server could not select subnet for this client"
TEXT_NO_BINDING = "Sorry, no known leases for this duid/iaid/subnet."
TEXT_RELEASED = "Lease released. Thank you, please come again."
TEXT_RELEASE_UNKNOWN = "Sorry, no known leases for this duid/iaid, can't release."
TEXT_RELEASE_SUMMARY = "Summary status for all processed IA_NAs"
TEXT_DECLINED = "Lease declined. Hopefully the next one will be better."
TEXT_DECLINE_UNKNOWN = "Server does not know about such an address."
TEXT_ON_LINK = "All addresses are on-link."
TEXT_NOT_ON_LINK = "Some of the addresses are not on-link."


def _failure(kind: LeaseType, text: str | None = None) -> tuple[Status, str]:
    if kind == _PD:
        return Status.NO_PREFIX_AVAIL, text or TEXT_NO_PREFIX
    return Status.NO_ADDRS_AVAIL, text or TEXT_NO_ADDRS


class Engine6:
    """The DHCPv6 server logic for one configuration, one lease store and one server DUID."""

    def __init__(
        self,
        config: Dhcp6Config,
        store: LeaseStore6,
        server_duid: bytes,
        classifier: Classifier6 | None = None,
        *,
        rng: Random | None = None,
        server_port: int = SERVER_PORT6,
        client_port: int = CLIENT_PORT6,
    ) -> None:
        self.config = config
        self.store = store
        self.server_duid = server_duid
        self._classifier = classifier if classifier is not None else Classifier6(config.client_classes)
        subnets = prepare6(config)
        self._selector = SubnetSelector6(subnets)
        # origin (link-address, interface-id, interface, source) -> subnet, when classes play no part
        self._selected: dict[tuple[int, bytes | None, str, int], PreparedSubnet6 | None] = {}
        self._leasing = Leasing6(config, store, subnets)
        self._replies = ReplyBuilder6(config, server_duid)
        self._rng = rng  # reserved for "allocator": "random" (Kea 2.2's v6 default is iterative)
        self._server_port = server_port
        self._client_port = client_port

    # ---- public API ----------------------------------------------------------------------------

    def process(
        self,
        msg: Packet6 | RelayMessage6,
        now: float,
        meta: QueryMeta6 = _NO_META,
        ha_classes: Iterable[str] = (),
    ) -> Decision6:
        """Handle one parsed datagram. Never raises: a failure becomes a drop with its reason."""
        try:
            return self._process(msg, now, meta, ha_classes)
        except LeaseStoreError as exc:
            return dropped6(f"lease store error: {exc}")
        except MalformedPacket6 as exc:  # a message built in memory, not checked by Packet6.parse
            return dropped6(f"malformed option: {exc}")
        except Exception as exc:  # the shell must keep serving whatever one packet does
            return dropped6(f"internal error: {type(exc).__name__}: {exc}")

    def reclaim_expired(self, now: float, max_leases: int | None = None) -> list[LeaseChange6]:
        """Reclaim up to `max_leases` expired leases (default: max-reclaim-leases)."""
        return reclaim_expired6(self.store, self.config.expired_leases_processing, now, max_leases)

    def flush_reclaimed(self, now: float) -> list[LeaseChange6]:
        """Delete reclaimed leases older than hold-reclaimed-time."""
        return flush_reclaimed6(self.store, self.config.expired_leases_processing, now)

    # ---- dispatch ------------------------------------------------------------------------------

    def _process(
        self, msg: Packet6 | RelayMessage6, now: float, meta: QueryMeta6, ha_classes: Iterable[str]
    ) -> Decision6:
        relays: list[RelayMessage6] = []
        node: Packet6 | RelayMessage6 = msg
        while isinstance(node, RelayMessage6):
            if node.msg_type != RELAY_FORW:
                return dropped6(f"unexpected relay message type {node.msg_type}")
            relays.append(node)
            node = node.inner
        q = node
        mt = q.msg_type
        if mt not in _CLIENT_TYPES:
            return dropped6(f"unexpected message type {mt}")
        if not relays and not meta.multicast and mt in _MULTICAST_ONLY:
            return dropped6(f"message type {mt} sent to a unicast address")
        # RFC 8415 section 16: identifier checks per message type (one pass over the options).
        duid = server_id = None
        vendor_class = False
        for code, payload in q.options:
            if code == OPTION_CLIENTID:
                if duid is not None:
                    return dropped6("more than one client or server identifier")
                duid = payload
            elif code == OPTION_SERVERID:
                if server_id is not None:
                    return dropped6("more than one client or server identifier")
                server_id = payload
            elif code == OPTION_VENDOR_CLASS:
                vendor_class = True
        if not duid:
            if mt != INFORMATION_REQUEST:
                return dropped6("no client identifier")
            duid = b""
        if server_id is None:
            if mt in _NEED_SERVER_ID:
                return dropped6("no server identifier")
        else:
            if mt in _NO_SERVER_ID:
                return dropped6("server identifier in a message that must not carry one")
            if server_id != self.server_duid:
                return dropped6("not for us (server identifier mismatch)")
        classifier = self._classifier
        classes: dict[str, None] = {"ALL": None}
        c = Client6(q, relays, duid, relays[-1].peer_address if relays else meta.source_address,
                    parse_ias(q), classes)  # fmt: skip
        if vendor_class:
            vendor = vendor_class_name(c.view, 6)
            if vendor is not None:
                classes[vendor] = None
        for name in ha_classes:
            classes[name] = None
        if classifier.has_tests:
            c.pmeta = PacketMeta(meta.interface, meta.source_address.to_bytes(16, "big"),
                                 meta.local_address.to_bytes(16, "big"))  # fmt: skip
            classifier.classify_early(c.view, classes, c.pmeta)
            if "DROP" in classes:
                return dropped6("DROP class")
        p = self._select(c, meta)
        host = self._leasing.host(c, p) if p is not None else None
        if host is None:
            classes["UNKNOWN"] = None
            if classifier.has_late:
                classifier.classify_late(c.view, classes, False, (), c.pmeta)
        else:
            classifier.classify_late(c.view, classes, True, host.client_classes, c.pmeta)
        if "DROP" in classes:
            return dropped6("DROP class")
        if mt == SOLICIT:
            # RFC 8415 18.3.1 / 21.14: Rapid Commit when both the client and the subnet want it.
            if p is not None and p.rapid_commit and q.get(OPTION_RAPID_COMMIT) is not None:
                return self._assign(c, p, now, meta, REPLY, commit=True, rapid=True)
            return self._assign(c, p, now, meta, ADVERTISE, commit=False)
        if mt == REQUEST:
            return self._assign(c, p, now, meta, REPLY, commit=True)
        if mt in (RENEW, REBIND):
            return self._extend(c, p, now, meta, rebind=mt == REBIND)
        if mt == RELEASE:
            return self._release(c, p, now, meta)
        if mt == DECLINE:
            return self._decline(c, p, now, meta)
        if mt == CONFIRM:
            return self._confirm(c, p, meta)
        return self._reply(c, p, meta, REPLY)  # Information-request: options only

    def _select(self, c: Client6, meta: QueryMeta6) -> PreparedSubnet6 | None:
        link = 0
        for relay in reversed(c.relays):
            if usable_link_address(relay.link_address):
                link = relay.link_address
                break
        interface_id = relay_option(c.relays, OPTION_INTERFACE_ID) if c.relays else None
        interface = meta.interface if not link else ""
        source = meta.source_address if not link else 0
        selector = self._selector
        if selector.uses_classes:
            return selector.select(c.classes, link_address=link, interface_id=interface_id,
                                   interface=interface, source_address=source)  # fmt: skip
        key = (link, interface_id, interface, source)
        cache = self._selected
        if key in cache:
            return cache[key]
        p = selector.select(c.classes, link_address=link, interface_id=interface_id, interface=interface,
                            source_address=source)  # fmt: skip
        if len(cache) >= _SELECT_CACHE_MAX:
            cache.clear()
        cache[key] = p
        return p

    # ---- replies -------------------------------------------------------------------------------

    def _reply(self, c: Client6, p: PreparedSubnet6 | None, meta: QueryMeta6, msg_type: int,
               ias: Sequence[IaReply] = (), changes: Sequence[LeaseChange6] = (), stats: Stats | None = None,
               pools: Sequence[PreparedPool6] = (), *, status: tuple[Status, str] | None = None,
               rapid: bool = False) -> Decision6:  # fmt: skip
        # require-client-classes of the shared network, the subnet, then the pools (Kea's order)
        names = p.required_classes if p is not None else ()
        for pool in pools:
            if pool.require_client_classes:
                names += pool.require_client_classes
        if names:
            self._classifier.classify_required(c.view, c.classes, names, c.pmeta)
        host = self._leasing.host(c, p) if p is not None else None
        configured = self._replies.configured_options(p, pools, c.classes, host)
        reply = self._replies.reply(c.q, msg_type, c.duid, ias, status, rapid, configured)
        if c.relays:
            # RFC 8415 19.3 / RFC 8357: to the relay that sent the Relay-forw, on port 547 unless
            # it asked for its own source port with the Relay Source Port option.
            outer = c.relays[0]
            port = meta.source_port if outer.get(OPTION_RELAY_SOURCE_PORT) is not None else self._server_port
            packet: Packet6 | RelayMessage6 = wrap_relays(reply, c.relays)
        else:
            port = self._client_port
            packet = reply
        return Decision6(
            packet, meta.source_address, port, meta.interface_index, tuple(changes), None,
            tuple(stats or ()), msg_type,
        )  # fmt: skip

    # ---- Solicit / Request / Renew / Rebind ---------------------------------------------------

    def _assign(self, c: Client6, p: PreparedSubnet6 | None, now: float, meta: QueryMeta6,
                msg_type: int, *, commit: bool, rapid: bool = False) -> Decision6:  # fmt: skip
        replies: list[IaReply] = []
        changes: list[LeaseChange6] = []
        stats: Stats = []
        pools: list[PreparedPool6] = []
        for ia in c.ias:
            if p is None:
                replies.append(IaReply(ia.kind, ia.iaid, status=_failure(ia.kind, TEXT_NO_SUBNET)))
            else:
                replies.append(self._assign_ia(c, ia, p, now, commit, False, changes, stats, pools))
        return self._reply(c, p, meta, msg_type, replies, changes, stats, pools, rapid=rapid)

    def _extend(self, c: Client6, p: PreparedSubnet6 | None, now: float, meta: QueryMeta6,
                rebind: bool) -> Decision6:  # fmt: skip
        replies: list[IaReply] = []
        changes: list[LeaseChange6] = []
        stats: Stats = []
        pools: list[PreparedPool6] = []
        for ia in c.ias:
            if p is not None:
                replies.append(self._assign_ia(c, ia, p, now, True, True, changes, stats, pools))
                continue
            reply = IaReply(ia.kind, ia.iaid)
            if rebind:
                # RFC 8415 18.3.5: addresses not appropriate for the link come back with lifetimes 0.
                reply.resources = [
                    Resource(a, plen if ia.kind == _PD else 128, 0, 0) for a, plen in ia.hints if a
                ]
            if not reply.resources:
                reply.status = (Status.NO_BINDING, TEXT_NO_BINDING)
            replies.append(reply)
        return self._reply(c, p, meta, REPLY, replies, changes, stats, pools)

    def _assign_ia(self, c: Client6, ia: IaRequest, p: PreparedSubnet6, now: float, commit: bool,
                   extend: bool, changes: list[LeaseChange6], stats: Stats,
                   pools: list[PreparedPool6]) -> IaReply:  # fmt: skip
        """One IA of a Solicit/Request/Renew/Rebind: choose, commit when asked, describe."""
        leasing = self._leasing
        rotation = leasing.rotation(p, c.classes)
        own = leasing.ia_leases(c, ia, rotation)
        choice = leasing.choose(c, ia, rotation, own, now)
        reply = IaReply(ia.kind, ia.iaid)
        kept = -1
        if choice is None:
            reply.status = _failure(ia.kind)
            stats.extend(leasing.allocation_failed(c, rotation, ia.kind))
        else:
            x = choice.subnet
            c.taken.add((ia.kind, choice.address))
            kept = choice.address
            preferred, valid = leasing.lifetimes(c, ia, x)
            if commit:
                change, delta = leasing.commit(c, ia, choice, preferred, valid, now)
                changes.append(change)
                stats.extend(delta)
            resource = Resource(choice.address, choice.prefix_len, preferred, valid)
            if choice.pool is not None:
                pools.append(choice.pool)
                if ia.kind == _PD and OPTION_PD_EXCLUDE in c.q.oro:
                    exclude = pd_exclude_option(choice.pool)
                    if exclude is not None:
                        resource.options.append(exclude)
            reply.resources.append(resource)
            reply.t1, reply.t2 = tee_times6(x, preferred)
        if commit:
            # The IA's other leases are superseded (a reservation, a move to another subnet).
            for lease in own:
                if lease.address != kept:
                    leasing.delete(lease, now, changes, stats)
        if extend:
            # RFC 8415 18.3.4 / 18.3.5: what the client may no longer use, with lifetimes 0.
            gone = {le.address: le.prefix_len for le in own if le.address != kept}
            for address, plen in ia.hints:
                if address and address != kept:
                    gone.setdefault(address, plen if ia.kind == _PD else 128)
            reply.resources += [Resource(a, plen, 0, 0) for a, plen in gone.items()]
        return reply

    # ---- Release / Decline / Confirm -----------------------------------------------------------

    def _release(self, c: Client6, p: PreparedSubnet6 | None, now: float, meta: QueryMeta6) -> Decision6:
        # RFC 8415 18.3.7. Kea 2.2 deletes released leases.
        replies: list[IaReply] = []
        changes: list[LeaseChange6] = []
        stats: Stats = []
        overall = Status.SUCCESS
        for ia in c.ias:
            released = 0
            for address, _plen in ia.hints:
                lease = self._leasing.owned(c, ia, address)
                if lease is not None and self._leasing.delete(lease, now, changes, stats):
                    released += 1
            if released:
                replies.append(IaReply(ia.kind, ia.iaid, status=(Status.SUCCESS, TEXT_RELEASED)))
            else:
                overall = Status.NO_BINDING
                replies.append(IaReply(ia.kind, ia.iaid, status=(Status.NO_BINDING, TEXT_RELEASE_UNKNOWN)))
        return self._reply(c, p, meta, REPLY, replies, changes, stats,
                           status=(overall, TEXT_RELEASE_SUMMARY))  # fmt: skip

    def _decline(self, c: Client6, p: PreparedSubnet6 | None, now: float, meta: QueryMeta6) -> Decision6:
        # RFC 8415 18.3.8. Kea keeps the lease, without client identity, in the declined state
        # for decline-probation-period seconds. Only addresses (IA_NA) can be declined.
        replies: list[IaReply] = []
        changes: list[LeaseChange6] = []
        stats: Stats = []
        for ia in c.ias:
            if ia.kind != _NA:
                continue
            declined = 0
            for address, _plen in ia.hints:
                lease = self._leasing.owned(c, ia, address)
                if lease is None:
                    continue
                probation = Lease6(
                    address, b"\x00", lease.iaid, self.config.decline_probation_period, 0, int(now),
                    lease.subnet_id, _NA, 128, state=LeaseState.DECLINED,
                )  # fmt: skip
                if self.store.update(probation):
                    changes.append(LeaseChange6("updated", probation, lease))
                    stats += [("declined-addresses", 1),
                              (self._leasing.stat(lease.subnet_id, "declined-addresses"), 1)]  # fmt: skip
                    declined += 1
            status = (
                (Status.SUCCESS, TEXT_DECLINED) if declined else (Status.NO_BINDING, TEXT_DECLINE_UNKNOWN)
            )
            replies.append(IaReply(ia.kind, ia.iaid, status=status))
        return self._reply(c, p, meta, REPLY, replies, changes, stats)

    def _confirm(self, c: Client6, p: PreparedSubnet6 | None, meta: QueryMeta6) -> Decision6:
        # RFC 8415 18.3.3: without addresses, or without a way to tell (no subnet), stay silent.
        addresses = [a for ia in c.ias if ia.kind == _NA for a, _plen in ia.hints]
        if not addresses:
            return NO_REPLY6
        if p is None:
            return dropped6("Confirm from a link with no subnet")
        rotation = self._leasing.rotation(p, c.classes)
        on_link = all(any(x.contains(a) for x in rotation) for a in addresses)
        status = (Status.SUCCESS, TEXT_ON_LINK) if on_link else (Status.NOT_ON_LINK, TEXT_NOT_ON_LINK)
        return self._reply(c, p, meta, REPLY, status=status)


__all__ = ["Engine6"]
