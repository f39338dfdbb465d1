"""Building OFFER, ACK, NAK and INFORM replies (RFC 2131 section 4.3.1 table 3, Kea 2.2 options).

Option-data precedence, most specific first (Kea ARM, "Standard DHCPv4 Options"): host
reservation, pool, subnet, shared network, client classes (in the order the query got them),
global. The pool/subnet/network/global merge is precomputed per pool; a merge including class or
reservation options is cached per (pool, classes, reservation).

Which options go out: those the client asked for in its Parameter Request List (55), those marked
always-send anywhere in the chain, and the ones Kea returns unrequested: routers (3),
domain-name-servers (6), domain-name (15) and the server identifier (54). Options the server
computes are always present in OFFER/ACK: 54, lease time (51), T1/T2 (58/59) when configured or
calculated, the subnet mask (1). Client identifier (61) is echoed (echo-client-id, RFC 6842) and
relay agent information (82) is echoed last (RFC 3046 section 2.2).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from hakea.config.model import ClientClassDef, Dhcp4Config, OptionData, Reservation4
from hakea.dhcp4.classes4 import Classes
from hakea.dhcp4.options import RETURNED_IF_NOT_REQUESTED
from hakea.dhcp4.prepared import OptionMap, PreparedPool, PreparedSubnet, encoded_size, merge_options
from hakea.dhcp4.wire import DHCPACK, DHCPNAK, Packet4

_MIN_MESSAGE = 576  # RFC 2131 section 2: every client accepts 576-byte messages
_IP_UDP_HEADERS = 28
_BOOTP_FIXED = 240  # header + magic cookie
_CACHE_LIMIT = 4096
# Options never dropped to fit a small maximum message size.
_ESSENTIAL = frozenset({53, 54, 51, 58, 59, 1, 61, 82})
_COMPUTED_SIZE = 3 + 6 * 5  # 53, 54, 51, 58, 59, 1


_u32 = struct.Struct("!I").pack


def tee_times(p: PreparedSubnet, valid: int) -> tuple[int, int]:
    """(T1, T2) to send, 0 meaning "do not send" (Kea: a timer is sent only when it is set or
    calculated, and below the valid lifetime, T1 also below T2)."""
    if p.rebind_timer is not None:
        t2 = p.rebind_timer
    elif p.calculate_tee_times:
        t2 = int(p.t2_percent * valid + 0.5)  # C++ round(): half away from zero
    else:
        t2 = 0
    ceiling = valid
    if 0 < t2 < ceiling:
        ceiling = t2
    else:
        t2 = 0
    if p.renew_timer is not None:
        t1 = p.renew_timer
    elif p.calculate_tee_times:
        t1 = int(p.t1_percent * valid + 0.5)
    else:
        t1 = 0
    if not 0 < t1 < ceiling:
        t1 = 0
    return t1, t2


def _encoded_size(options: dict[int, bytes]) -> int:
    return _BOOTP_FIXED + 1 + encoded_size(options.values())  # + end option


class ReplyBuilder:
    __slots__ = ("_cache", "_class_fixed", "_class_opts", "_echo_client_id", "_global_opts", "_timers")

    def __init__(self, config: Dhcp4Config) -> None:
        self._global_opts: tuple[OptionData, ...] = tuple(config.option_data)
        self._class_opts: dict[str, tuple[OptionData, ...]] = {
            c.name: tuple(c.option_data) for c in config.client_classes if c.option_data
        }
        self._class_fixed: dict[str, ClientClassDef] = {
            c.name: c
            for c in config.client_classes
            if c.next_server is not None or c.server_hostname or c.boot_file_name
        }
        self._echo_client_id = config.echo_client_id
        self._cache: dict[tuple[int, int, tuple[str, ...], int], tuple[OptionMap, int]] = {}
        self._timers: dict[tuple[int, int], tuple[bytes, bytes, bytes]] = {}

    # ---- option selection ----------------------------------------------------------------

    def option_map(
        self, subnet: PreparedSubnet, pool: PreparedPool, classes: Classes, host: Reservation4 | None
    ) -> tuple[OptionMap, int]:
        """The merged option-data for this reply, and its encoded size (an upper bound of what
        the reply will carry from it)."""
        class_opts = self._class_opts
        opt_classes: tuple[str, ...] = tuple(c for c in classes if c in class_opts) if class_opts else ()
        host_opts = host.option_data if host is not None else ()
        if not opt_classes and not host_opts:
            return pool.options, pool.options_size
        key = (subnet.id, pool.key, opt_classes, id(host) if host_opts else 0)
        cached = self._cache.get(key)
        if cached is None:
            layers: list[Sequence[OptionData]] = [host_opts, pool.upper]
            layers.extend(class_opts[c] for c in opt_classes)
            layers.append(self._global_opts)
            merged = merge_options(layers)
            cached = merged, encoded_size(payload for payload, _ in merged.values())
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = cached
        return cached

    def _encode_timers(self, subnet: PreparedSubnet, valid: int) -> tuple[bytes, bytes, bytes]:
        """(option 51, 58, 59 payloads) for this subnet and lifetime; b"" for a timer not sent."""
        t1, t2 = tee_times(subnet, valid)
        timers = (_u32(valid), _u32(t1) if t1 else b"", _u32(t2) if t2 else b"")
        if len(self._timers) >= _CACHE_LIMIT:
            self._timers.clear()
        self._timers[(subnet.id, valid)] = timers
        return timers

    @staticmethod
    def _add_configured(out: dict[int, bytes], omap: OptionMap, prl: bytes) -> None:
        default = RETURNED_IF_NOT_REQUESTED
        for code, (payload, always) in omap.items():
            if code not in out and (always or code in prl or code in default):
                out[code] = payload

    # ---- replies ---------------------------------------------------------------------------

    def lease_reply(
        self,
        q: Packet4,
        msgtype: int,
        yiaddr: int,
        valid: int,
        subnet: PreparedSubnet,
        pool: PreparedPool,
        classes: Classes,
        host: Reservation4 | None,
        server_id: int,
    ) -> Packet4:
        """OFFER or ACK for a lease."""
        reply = Packet4.reply_to(q, msgtype)
        reply.yiaddr = yiaddr
        omap, bound = self.option_map(subnet, pool, classes, host)
        out = reply.options
        configured_sid = omap.get(54)
        out[54] = configured_sid[0] if configured_sid is not None else _u32(server_id)
        # Options 51, 58, 59 depend on (subnet, valid lifetime) only: encoded once per pair.
        timers = self._timers.get((subnet.id, valid))
        if timers is None:
            timers = self._encode_timers(subnet, valid)
        out[51], t1, t2 = timers
        if t1:
            out[58] = t1
        if t2:
            out[59] = t2
        out[1] = subnet.netmask_payload
        prl = q.options.get(55, b"")
        if omap:
            self._add_configured(out, omap, prl)
        if host is not None and host.hostname and (12 in prl or 12 in q.options):
            out[12] = name = host.hostname.encode()
            bound += len(name) + 2
        self._fixed_fields(reply, subnet, classes, host)
        self._finish(q, reply, bound + _COMPUTED_SIZE)
        return reply

    def inform_reply(
        self, q: Packet4, subnet: PreparedSubnet, classes: Classes, host: Reservation4 | None, server_id: int
    ) -> Packet4:
        """ACK to an INFORM: configuration only, no lease, yiaddr 0 (RFC 2131 section 4.3.5)."""
        reply = Packet4.reply_to(q, DHCPACK)
        omap, bound = self.option_map(subnet, subnet.no_pool, classes, host)
        out = reply.options
        configured_sid = omap.get(54)
        out[54] = configured_sid[0] if configured_sid is not None else _u32(server_id)
        prl = q.options.get(55, b"")
        if 1 in prl:
            out[1] = subnet.netmask_payload
        self._add_configured(out, omap, prl)
        self._fixed_fields(reply, subnet, classes, host)
        self._finish(q, reply, bound + _COMPUTED_SIZE)
        return reply

    def nak(self, q: Packet4, server_id: int) -> Packet4:
        """NAK: server identifier only (plus the echoes); yiaddr 0; broadcast bit set when
        relayed so the relay broadcasts it (RFC 2131 section 4.3.2)."""
        reply = Packet4.reply_to(q, DHCPNAK)
        reply.options[54] = _u32(server_id)
        if q.giaddr:
            reply.flags |= 0x8000
        self._finish(q, reply, 0)
        return reply

    def _fixed_fields(
        self, reply: Packet4, subnet: PreparedSubnet, classes: Classes, host: Reservation4 | None
    ) -> None:
        # siaddr / sname / file: host reservation, then the first class defining it, then subnet.
        s = subnet.subnet
        siaddr, sname, bootfile = s.next_server, s.server_hostname, s.boot_file_name
        if self._class_fixed:
            cls_next: int | None = None
            cls_sname = cls_file = ""
            for name in classes:
                c = self._class_fixed.get(name)
                if c is None:
                    continue
                if cls_next is None and c.next_server is not None:
                    cls_next = c.next_server
                cls_sname = cls_sname or c.server_hostname
                cls_file = cls_file or c.boot_file_name
            if cls_next is not None:
                siaddr = cls_next
            sname = cls_sname or sname
            bootfile = cls_file or bootfile
        if host is not None:
            if host.next_server is not None:
                siaddr = host.next_server
            sname = host.server_hostname or sname
            bootfile = host.boot_file_name or bootfile
        reply.siaddr = siaddr
        if sname:
            reply.sname = sname.encode()[:63]
        if bootfile:
            reply.file = bootfile.encode()[:127]

    def _finish(self, q: Packet4, reply: Packet4, bound: int) -> None:
        """Echo 61 and 82; trim to the maximum message size when `bound` (an upper bound of the
        other options' size) says the reply might not fit in 576 bytes."""
        out = reply.options
        qopts = q.options
        if self._echo_client_id:
            cid = qopts.get(61)
            if cid:
                out[61] = cid
                bound += len(cid) + 2
        if bound and bound + _BOOTP_FIXED + 1 + _IP_UDP_HEADERS + len(qopts.get(82, b"")) + 2 > _MIN_MESSAGE:
            self._fit(q, out)
        if q.giaddr:
            rai = qopts.get(82)
            if rai is not None:
                out[82] = rai

    @staticmethod
    def _fit(q: Packet4, out: dict[int, bytes]) -> None:
        """Drop optional options (last first) until the reply fits the client's maximum message
        size (option 57, never below 576; RFC 2131 section 2, RFC 2132 section 9.10)."""
        mms = q.options.get(57)
        limit = _MIN_MESSAGE
        if mms is not None and len(mms) == 2:
            limit = max(limit, int.from_bytes(mms, "big"))
        budget = limit - _IP_UDP_HEADERS
        rai = q.options.get(82) if q.giaddr else None
        if rai is not None:
            budget -= len(rai) + 2
        if _encoded_size(out) <= budget:
            return
        for code in reversed(list(out)):
            if code in _ESSENTIAL:
                continue
            del out[code]
            if _encoded_size(out) <= budget:
                return
