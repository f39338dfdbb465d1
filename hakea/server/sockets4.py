"""DHCPv4 sockets: one UDP socket per configured interface, plus a raw sender for clients
that have no address yet.

Kea's "interfaces" entries: "eth0" (every address of eth0; receives broadcasts), "eth0/192.0.2.1"
(that address only, as a UDP socket bound to it) and "*" (every interface but loopback).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from hakea.config.model import InterfacesConfig
from hakea.server import interfaces as ifaces
from hakea.server.rawsend import RawSender

log = logging.getLogger("hakea.dhcp4.sockets")

_IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
_SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)  # SCM_TIMESTAMP: struct timeval at arrival
_IPPROTO_IP = socket.IPPROTO_IP
_SOL_SOCKET = socket.SOL_SOCKET
_CMSG_SPACE = socket.CMSG_SPACE(12) + socket.CMSG_SPACE(16)  # in_pktinfo + timeval
_TIMEVAL = struct.Struct("@ll")
_time = time.time
QUEUE_TARGET = 0.1
QUEUE_INTERVAL = 1.0
MAX_QUEUE_DELAY = 1.0
"""Bounding the time queries wait in the socket's receive queue (4 MB deep: seconds of queries).
Without a bound, an overloaded server answers only stale queries, whose clients have given up or
retransmitted, and its useful throughput collapses. As CoDel does for packet queues: a query that
waited longer than QUEUE_TARGET is dropped unread once waits have stayed above the target for
QUEUE_INTERVAL (a standing queue: overload), not during a short burst or stall; and one older than
MAX_QUEUE_DELAY always. See docs/decisions/005-packet-path.md."""
_BROADCAST = 0xFFFFFFFF
# Dotted quads of the reply destinations (relays, renewing clients): ipaddress costs ~2.5 us per
# conversion, a dict hit ~40 ns. Bounded: cleared when full.
_ADDRESS_TEXT: dict[int, str] = {}
_ADDRESS_TEXT_MAX = 1 << 16


def _address_text(address: int) -> str:
    if len(_ADDRESS_TEXT) >= _ADDRESS_TEXT_MAX:
        _ADDRESS_TEXT.clear()
    text = _ADDRESS_TEXT[address] = socket.inet_ntoa(address.to_bytes(4, "big"))
    return text


@dataclass(slots=True)
class Dhcp4Socket:
    iface: ifaces.Interface
    sock: socket.socket
    bound_address: int  # 0 when bound to INADDR_ANY on the interface (IP_PKTINFO is on then)
    raw: RawSender | None
    stale_dropped: int = 0  # queries dropped for waiting too long (not yet counted by the daemon)
    above_until: float = 0.0  # waits above QUEUE_TARGET since (this - QUEUE_INTERVAL); 0: below

    @property
    def server_address(self) -> int:
        return self.bound_address or self.iface.address

    def receive(self, bufsize: int) -> tuple[bytes, tuple[str, int], int]:
        """(datagram, source, destination address). The destination is what Kea calls the
        query's local address: it tells a broadcast from a unicast query (subnet selection by
        ciaddr or source, RFC 2131 4.3.1) and is the server identifier of a unicast query. A socket
        bound to one address only receives datagrams sent to that address."""
        recvmsg = self.sock.recvmsg
        while True:  # until a fresh datagram, or BlockingIOError when the queue is empty
            data, ancillary, _flags, addr = recvmsg(bufsize, _CMSG_SPACE)
            local = self.bound_address
            arrived = 0.0
            for level, kind, payload in ancillary:
                if level == _IPPROTO_IP and kind == _IP_PKTINFO and len(payload) >= 12:
                    if not local:
                        local = int.from_bytes(payload[8:12], "big")
                elif level == _SOL_SOCKET and kind == _SO_TIMESTAMP and len(payload) >= 16:
                    sec, usec = _TIMEVAL.unpack_from(payload)
                    arrived = sec + usec * 1e-6
            if arrived:
                now = _time()
                waited = now - arrived
                if waited > QUEUE_TARGET:
                    if not self.above_until:
                        self.above_until = now + QUEUE_INTERVAL
                    if waited > MAX_QUEUE_DELAY or now >= self.above_until:
                        self.stale_dropped += 1
                        continue
                else:
                    self.above_until = 0.0
            return data, addr, local

    def is_broadcast(self, destination: int) -> bool:
        """Whether a query sent to `destination` was a broadcast on this socket's link (0: not
        known, taken as a broadcast, which is what a client without an address sends)."""
        if destination in (0, _BROADCAST):
            return True
        iface = self.iface
        if iface.address and 0 < iface.prefix_len < 31:
            host_mask = (1 << (32 - iface.prefix_len)) - 1
            return destination == iface.address | host_mask
        return False

    def send(self, payload: bytes, destination: int, port: int) -> bool:
        """Send `payload`; False when the socket refused it (logged at debug level)."""
        text = _ADDRESS_TEXT.get(destination)
        if text is None:
            text = _address_text(destination)
        try:
            self.sock.sendto(payload, (text, port))
        except OSError as exc:  # BlockingIOError included: a full queue drops the reply
            log.debug("send to %s:%d failed: %s", text, port, exc)
            return False
        return True

    def close(self) -> None:
        self.sock.close()
        if self.raw is not None:
            self.raw.close()


def _udp_socket(ifname: str, address: int, port: int, bind_device: bool) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    with contextlib.suppress(OSError):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if bind_device:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    if not address:
        s.setsockopt(socket.IPPROTO_IP, _IP_PKTINFO, 1)
    with contextlib.suppress(OSError):  # arrival times: see MAX_QUEUE_DELAY
        s.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMP, 1)
    s.bind((str(ipaddress.IPv4Address(address)), port))
    s.setblocking(False)
    return s


def open_sockets(config: InterfacesConfig, port: int) -> list[Dhcp4Socket]:
    """Open the sockets the configuration asks for; a missing interface is logged and skipped,
    as Kea does, so a server with one bad entry still serves the others."""
    specs: list[tuple[str, int | None]] = []
    for entry in config.interfaces:
        if entry == "*":
            specs.extend((i.name, None) for i in ifaces.all_interfaces() if i.name != "lo")
        else:
            specs.append(ifaces.parse_spec(entry))
    opened: list[Dhcp4Socket] = []
    for name, address in specs:
        try:
            iface = ifaces.lookup(name)
        except OSError:
            log.warning("DHCP4_OPEN_SOCKET_FAIL interface %s does not exist; skipped", name)
            continue
        try:
            if address is not None:
                sock = _udp_socket(name, address, port, bind_device=False)
            else:
                sock = _udp_socket(name, 0, port, bind_device=True)
        except OSError as exc:
            log.error("DHCP4_OPEN_SOCKET_FAIL %s port %d: %s", name, port, exc)
            continue
        raw: RawSender | None = None
        if config.socket_type == "raw" and name != "lo":
            try:
                raw = RawSender(name, iface.hwaddr)
            except OSError as exc:
                log.warning(
                    "raw socket on %s unavailable (%s); replies to address-less clients are broadcast",
                    name,
                    exc,
                )
        opened.append(Dhcp4Socket(iface, sock, address or 0, raw))
        log.info(
            "DHCP4_SOCKET_OPENED %s%s port %d (%s)",
            name,
            f"/{ipaddress.IPv4Address(address)}" if address else "",
            port,
            config.socket_type,
        )
    return opened


Receiver = Callable[[bytes, tuple[str, int], Dhcp4Socket], None]
