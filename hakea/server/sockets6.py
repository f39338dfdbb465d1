"""DHCPv6 sockets: UDP on port 547 per configured interface (RFC 8415 section 7.1).

Kea's "interfaces" entries:
- "eth0": a socket bound to [::]:547 on eth0 only (SO_BINDTODEVICE) that joins
  All_DHCP_Relay_Agents_and_Servers (ff02::1:2) on eth0, for direct clients (and relays sending
  to any of eth0's addresses);
- "eth0/2001:db8::1": a socket bound to that unicast address (relays, unicast clients), plus the
  multicast socket of eth0 unless eth0 cannot do multicast (loopback);
- "*": every interface but loopback, as "eth0".
IPV6_RECVPKTINFO tells which address a datagram was sent to (multicast or unicast) and on which
interface it arrived. Replies to link-local destinations are sent with that interface as scope.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from hakea.dhcp6.wire import SOLICIT, client_message_type
from hakea.server import interfaces as ifaces

log = logging.getLogger("hakea.dhcp6.sockets")

ALL_DHCP_RELAY_AGENTS_AND_SERVERS = "ff02::1:2"
_IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
_IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)
_SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)  # SCM_TIMESTAMP: struct timeval at arrival
_SOL_SOCKET = socket.SOL_SOCKET
_IPPROTO_IPV6 = socket.IPPROTO_IPV6
_CMSG_SPACE = socket.CMSG_SPACE(20) + socket.CMSG_SPACE(16)  # in6_pktinfo + timeval
_TIMEVAL = struct.Struct("@ll")
_IFINDEX = struct.Struct("@I")
_time = time.time
_SOLICIT = SOLICIT
# Bounding the time queries wait in the socket's receive queue, as hakea-dhcp4 does (see
# hakea.server.sockets4.MAX_QUEUE_DELAY and docs/decisions/005-packet-path.md): without a bound an
# overloaded server answers only stale queries (perfdhcp, and clients, have given up on them) and
# its useful throughput collapses. CoDel-like, with Solicits first: once waits have stayed above
# QUEUE_TARGET for QUEUE_INTERVAL (a standing queue, not a burst or a short stall), a Solicit that
# waited longer than the target is dropped unread; any query older than MAX_QUEUE_DELAY always.
# Only Solicits are shed in a standing queue: the server
# spends its time on Requests (and Renews...), each of which completes an exchange already begun,
# instead of starting exchanges it cannot finish (the client retransmits its Solicit). With no new
# exchanges admitted, the Requests still queued drain by themselves.
QUEUE_TARGET = 0.1
QUEUE_INTERVAL = 1.0
MAX_QUEUE_DELAY = 1.0
_IFF_MULTICAST = 0x1000
_LINK_LOCAL_PREFIX = 0xFE80 << 112
_LINK_LOCAL_MASK = ((1 << 10) - 1) << 118
# Text <-> int forms of the peers' addresses (relays, clients): a conversion costs ~1 us, a dict
# hit ~40 ns, and the packet path makes two per query. Bounded: cleared when full.
_CACHE_MAX = 4096
_ints: dict[str, int] = {}
_texts: dict[int, str] = {}


@dataclass(frozen=True, slots=True)
class Interface6:
    name: str
    index: int
    hwaddr: bytes
    link_local: tuple[int, ...] = ()
    addresses: tuple[int, ...] = ()  # global (and unique-local) addresses
    multicast: bool = True


def address_int(text: str) -> int:
    """IPv6 text (with or without a %zone) -> int."""
    return int.from_bytes(socket.inet_pton(socket.AF_INET6, text.split("%", 1)[0]), "big")


def address_text(address: int) -> str:
    return socket.inet_ntop(socket.AF_INET6, address.to_bytes(16, "big"))


def is_link_local(address: int) -> bool:
    return (address & _LINK_LOCAL_MASK) == _LINK_LOCAL_PREFIX


def _inet6_addresses() -> dict[str, list[int]]:
    """Interface name -> its IPv6 addresses, from /proc/net/if_inet6."""
    found: dict[str, list[int]] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 6:
                found.setdefault(parts[5], []).append(int(parts[0], 16))
    return found


def _flags(name: str) -> int:
    with contextlib.suppress(OSError, ValueError):
        return int(Path(f"/sys/class/net/{name}/flags").read_text().strip(), 16)
    return _IFF_MULTICAST


def lookup6(name: str) -> Interface6:
    """The interface `name` with its IPv6 addresses; raises OSError if it does not exist."""
    index = socket.if_nametoindex(name)
    try:
        hwaddr = ifaces.lookup(name).hwaddr
    except OSError:
        hwaddr = b""
    addresses = _inet6_addresses().get(name, [])
    return Interface6(
        name,
        index,
        hwaddr if any(hwaddr) else b"",
        tuple(a for a in addresses if is_link_local(a)),
        tuple(a for a in addresses if not is_link_local(a) and a != 1),
        bool(_flags(name) & _IFF_MULTICAST) and name != "lo",
    )


def all_interfaces6() -> list[Interface6]:
    found = []
    for _index, name in socket.if_nameindex():
        try:
            found.append(lookup6(name))
        except OSError:
            continue
    return found


def first_hwaddr(names: list[str]) -> bytes:
    """The hardware address of the first interface that has one (configured ones first)."""
    candidates = [*names, *(n for _i, n in socket.if_nameindex() if n not in names)]
    for name in candidates:
        with contextlib.suppress(OSError):
            hwaddr = ifaces.lookup(name).hwaddr
            if len(hwaddr) == 6 and any(hwaddr):
                return hwaddr
    return b""


@dataclass(slots=True)
class Dhcp6Socket:
    iface: Interface6
    sock: socket.socket
    bound_address: int  # 0: [::] (multicast and any unicast address of the interface)
    multicast_group: bool = False
    stale_dropped: int = 0  # queries dropped for waiting too long (not yet counted by the daemon)
    above_until: float = 0.0  # waits above QUEUE_TARGET since (this - QUEUE_INTERVAL); 0: below

    def receive(self, bufsize: int) -> tuple[bytes, tuple[int, int], int, int]:
        """(datagram, (source address, source port), destination address, interface index).
        Queries that waited too long in the queue are dropped unread (counted in stale_dropped)."""
        recvmsg = self.sock.recvmsg
        while True:  # until a fresh datagram, or BlockingIOError when the queue is empty
            data, ancillary, _flags, addr = recvmsg(bufsize, _CMSG_SPACE)
            destination, ifindex = self.bound_address, self.iface.index
            arrived = 0.0
            for level, kind, payload in ancillary:
                if level == _IPPROTO_IPV6 and kind == _IPV6_PKTINFO and len(payload) >= 20:
                    destination = int.from_bytes(payload[:16], "big")
                    ifindex = _IFINDEX.unpack_from(payload, 16)[0] or ifindex
                elif level == _SOL_SOCKET and kind == _SO_TIMESTAMP and len(payload) >= 16:
                    sec, usec = _TIMEVAL.unpack_from(payload)
                    arrived = sec + usec * 1e-6
            if arrived:
                now = _time()
                waited = now - arrived
                if waited > QUEUE_TARGET:
                    if not self.above_until:
                        self.above_until = now + QUEUE_INTERVAL
                    if waited > MAX_QUEUE_DELAY or (
                        now >= self.above_until and client_message_type(data) == _SOLICIT
                    ):
                        self.stale_dropped += 1
                        continue
                else:
                    self.above_until = 0.0
            break
        source = _ints.get(addr[0])
        if source is None:
            if len(_ints) >= _CACHE_MAX:
                _ints.clear()
            source = _ints[addr[0]] = address_int(addr[0])
        return data, (source, addr[1]), destination, ifindex

    def send(self, payload: bytes, destination: int, port: int, scope: int = 0) -> bool:
        """Send `payload`; False when the socket refused it (logged at debug level)."""
        text = _texts.get(destination)
        if text is None:
            if len(_texts) >= _CACHE_MAX:
                _texts.clear()
            text = _texts[destination] = address_text(destination)
        scope_id = (scope or self.iface.index) if is_link_local(destination) else 0
        try:
            self.sock.sendto(payload, (text, port, 0, scope_id))
        except OSError as exc:  # a full queue or an unreachable destination drops the reply
            log.debug("send to [%s]:%d failed: %s", text, port, exc)
            return False
        return True

    def close(self) -> None:
        self.sock.close()


def _socket(iface: Interface6, address: int, port: int, group: bool) -> socket.socket:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        with contextlib.suppress(OSError):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVPKTINFO, 1)
        with contextlib.suppress(OSError):  # arrival times: see MAX_QUEUE_DELAY
            s.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMP, 1)
        if address:
            scope = iface.index if is_link_local(address) else 0
            s.bind((address_text(address), port, 0, scope))
        else:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.name.encode())
            s.bind(("::", port))
        if group:
            mreq = socket.inet_pton(socket.AF_INET6, ALL_DHCP_RELAY_AGENTS_AND_SERVERS) + struct.pack(
                "@I", iface.index
            )
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, iface.index)
        s.setblocking(False)
    except OSError:
        s.close()
        raise
    return s


def parse_spec6(spec: str) -> tuple[str, int | None]:
    """ "eth0" or "eth0/2001:db8::1" -> (name, address or None); raises ValueError."""
    name, _, addr = spec.partition("/")
    return name, address_int(addr) if addr else None


def open_sockets6(entries: tuple[str, ...], port: int) -> list[Dhcp6Socket]:
    """Open the sockets the "interfaces" entries ask for; a missing interface or a bind failure is
    logged and skipped, as Kea does, so one bad entry does not stop the others."""
    specs: list[tuple[str, int | None]] = []
    for entry in entries:
        if entry == "*":
            specs.extend((i.name, None) for i in all_interfaces6() if i.name != "lo")
            continue
        try:
            specs.append(parse_spec6(entry))
        except (OSError, ValueError):
            log.warning("DHCP6_OPEN_SOCKET_FAIL bad interface entry %r; skipped", entry)
    opened: list[Dhcp6Socket] = []
    grouped: set[str] = set()
    for name, address in specs:
        try:
            iface = lookup6(name)
        except OSError:
            log.warning("DHCP6_OPEN_SOCKET_FAIL interface %s does not exist; skipped", name)
            continue
        wanted: list[tuple[int, bool]] = []
        if address is not None:
            wanted.append((address, False))
        if iface.multicast and name not in grouped:
            wanted.append((0, True))
            grouped.add(name)
        elif address is None and name not in grouped:
            wanted.append((0, False))  # no multicast (loopback): unicast to its addresses only
            grouped.add(name)
        for bind_address, group in wanted:
            try:
                sock = _socket(iface, bind_address, port, group)
            except OSError as exc:
                log.error("DHCP6_OPEN_SOCKET_FAIL %s port %d: %s", name, port, exc)
                continue
            opened.append(Dhcp6Socket(iface, sock, bind_address, group))
            where = f"/{address_text(bind_address)}" if bind_address else ""
            log.info("DHCP6_SOCKET_OPENED %s%s port %d%s", name, where, port,
                     f" (joined {ALL_DHCP_RELAY_AGENTS_AND_SERVERS})" if group else "")  # fmt: skip
    return opened
