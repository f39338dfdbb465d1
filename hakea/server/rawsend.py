"""Sending a DHCPv4 reply to a client that has no IP address yet (RFC 2131 section 4.1).

A client in INIT has no address, so the kernel cannot ARP for it: the reply is framed by hand
(Ethernet + IPv4 + UDP) and sent on an AF_PACKET socket to the client's hardware address, as Kea
does with "dhcp-socket-type": "raw".
"""

from __future__ import annotations

import contextlib
import socket
import struct

_ETH_P_IP = 0x0800


def _ip_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return int(~total & 0xFFFF)


def build_frame(
    payload: bytes, src_mac: bytes, dst_mac: bytes, src_ip: int, dst_ip: int, src_port: int, dst_port: int
) -> bytes:
    udp_len = 8 + len(payload)
    # UDP checksum 0 means "not computed", which RFC 768 allows over IPv4 and clients accept.
    udp = struct.pack("!HHHH", src_port, dst_port, udp_len, 0)
    ip_header = struct.pack(
        "!BBHHHBBHII", 0x45, 0x10, 20 + udp_len, 0, 0, 64, socket.IPPROTO_UDP, 0, src_ip, dst_ip
    )
    checksum = _ip_checksum(ip_header)
    ip_header = ip_header[:10] + struct.pack("!H", checksum) + ip_header[12:]
    eth = (dst_mac[:6].ljust(6, b"\0")) + (src_mac[:6].ljust(6, b"\0")) + struct.pack("!H", _ETH_P_IP)
    return eth + ip_header + udp + payload


class RawSender:
    """One AF_PACKET socket bound to one interface."""

    def __init__(self, ifname: str, hwaddr: bytes) -> None:
        self.ifname = ifname
        self.hwaddr = hwaddr
        # Protocol 0: a send-only socket. Bound to ETH_P_IP it would also be handed a copy of every
        # IP frame on the interface, which nobody reads.
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self._sock.bind((ifname, 0))
        self._sock.setblocking(False)

    def send(
        self, payload: bytes, dst_mac: bytes, src_ip: int, dst_ip: int, dst_port: int = 68, src_port: int = 67
    ) -> None:
        frame = build_frame(payload, self.hwaddr, dst_mac, src_ip, dst_ip, src_port, dst_port)
        # A full queue drops the reply as a lost datagram would; the client retransmits.
        with contextlib.suppress(BlockingIOError):
            self._sock.send(frame)

    def close(self) -> None:
        self._sock.close()
