"""A small scripted DHCPv4 client / relay agent for end-to-end tests.

Deliberately independent of hakea.dhcp4.wire: packets are built and read here with struct, so a
codec bug in the server cannot hide behind the same bug in the test.

    relay = Relay("127.0.0.3", "127.0.0.2", port)        # binds 127.0.0.3:port
    offer = relay.exchange(discover(mac, giaddr="127.0.0.3"))
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import socket
import struct
import time
from dataclasses import dataclass, field

MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = range(1, 9)
_FIXED = struct.Struct("!BBBBIHHIIII16s64s128s")  # the 236-byte BOOTP header


def ip(addr: str | int) -> int:
    return addr if isinstance(addr, int) else int(ipaddress.IPv4Address(addr))


def ip_str(addr: int) -> str:
    return str(ipaddress.IPv4Address(addr))


def mac_of(n: int) -> bytes:
    """A locally administered MAC address numbered n."""
    return b"\x02\x00" + n.to_bytes(4, "big")


def mac_str(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def new_xid() -> int:
    return int.from_bytes(os.urandom(4), "big")


def random_client(rng: random.Random, n: int) -> tuple[bytes, bytes | None]:
    """A random client: (MAC, option 61 data or None). Odd `n` has a client identifier, in turn
    type 1 + its MAC (RFC 2132), type 255 + IAID + DUID (RFC 4361) and type 0 + a string of 1 to
    31 bytes: Kea hashes the whole option 61 data when present, else the MAC."""
    mac = rng.randbytes(6)
    if n % 2 == 0:
        return mac, None
    kind = n // 2 % 3
    if kind == 0:
        return mac, b"\x01" + mac
    if kind == 1:
        return mac, b"\xff" + rng.randbytes(4) + b"\x00\x03\x00\x01" + rng.randbytes(6)
    return mac, b"\x00" + rng.randbytes(rng.randint(1, 31))


def build(
    msg_type: int,
    mac: bytes,
    *,
    xid: int | None = None,
    ciaddr: str | int = 0,
    giaddr: str | int = 0,
    flags: int = 0,
    hops: int = 0,
    options: list[tuple[int, bytes]] | None = None,
) -> bytes:
    """A BOOTREQUEST: option 53 first, then `options` in order, then end."""
    header = _FIXED.pack(
        1, 1, len(mac), hops, new_xid() if xid is None else xid, 0, flags,
        ip(ciaddr), 0, 0, ip(giaddr), mac.ljust(16, b"\0"), b"", b"",
    )
    opts = bytearray([53, 1, msg_type])
    for code, payload in options or []:
        opts += bytes([code, len(payload)]) + payload
    opts.append(255)
    data = header + MAGIC + bytes(opts)
    return data.ljust(300, b"\0")


def opt_ip(addr: str | int) -> bytes:
    return ip(addr).to_bytes(4, "big")


@dataclass
class Reply:
    op: int
    xid: int
    flags: int
    ciaddr: int
    yiaddr: int
    siaddr: int
    giaddr: int
    chaddr: bytes
    options: dict[int, bytes] = field(default_factory=dict)

    @property
    def message_type(self) -> int | None:
        v = self.options.get(53)
        return v[0] if v else None

    def ip_option(self, code: int) -> list[str]:
        v = self.options.get(code, b"")
        return [ip_str(int.from_bytes(v[i : i + 4], "big")) for i in range(0, len(v) - 3, 4)]

    @property
    def server_id(self) -> str | None:
        ids = self.ip_option(54)
        return ids[0] if ids else None

    @property
    def address(self) -> str:
        return ip_str(self.yiaddr)

    def u32(self, code: int) -> int | None:
        v = self.options.get(code)
        return int.from_bytes(v, "big") if v and len(v) == 4 else None


def parse(data: bytes) -> Reply:
    if len(data) < _FIXED.size + 4 or data[_FIXED.size : _FIXED.size + 4] != MAGIC:
        raise ValueError("not a DHCP packet")
    fixed = _FIXED.unpack_from(data)
    op, hlen, xid, flags, ci, yi, si, gi, chaddr = (fixed[i] for i in (0, 2, 4, 6, 7, 8, 9, 10, 11))
    options: dict[int, bytes] = {}
    i = _FIXED.size + 4
    while i < len(data):
        code = data[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            break
        length = data[i + 1]
        options[code] = options.get(code, b"") + data[i + 2 : i + 2 + length]
        i += 2 + length
    return Reply(op, xid, flags, ci, yi, si, gi, chaddr[: min(hlen, 16)], options)


class Relay:
    """A relay agent on loopback: sends queries with giaddr set from `relay_ip`:`port` to the
    server at `server_ip`:`port`, where the server answers relays (server port)."""

    def __init__(self, relay_ip: str, server_ip: str, port: int) -> None:
        self.relay_ip = relay_ip
        self.server = (server_ip, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((relay_ip, port))

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.server)

    def receive(self, xid: int, timeout: float) -> Reply | None:
        """The next reply with this xid, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(4096)
            except TimeoutError:
                return None
            try:
                reply = parse(data)
            except ValueError:
                continue
            if reply.xid == xid:
                return reply
        return None

    def exchange(self, data: bytes, timeout: float = 2.0) -> Reply | None:
        xid = struct.unpack_from("!I", data, 4)[0]
        self.send(data)
        return self.receive(xid, timeout)

    # ---- client conversations, relayed ---------------------------------------------------------

    def discover(self, mac: bytes, options: list[tuple[int, bytes]] | None = None,
                 timeout: float = 2.0) -> Reply | None:
        return self.exchange(build(DISCOVER, mac, giaddr=self.relay_ip, hops=1, options=options), timeout)

    def request(self, mac: bytes, address: str, server_id: str | None,
                options: list[tuple[int, bytes]] | None = None, timeout: float = 2.0) -> Reply | None:
        """SELECTING (server_id given) or INIT-REBOOT (server_id None): option 50, no ciaddr."""
        opts = [(50, opt_ip(address))]
        if server_id is not None:
            opts.append((54, opt_ip(server_id)))
        opts += options or []
        return self.exchange(build(REQUEST, mac, giaddr=self.relay_ip, hops=1, options=opts), timeout)

    def renew(self, mac: bytes, address: str, timeout: float = 2.0) -> Reply | None:
        """RENEWING: ciaddr set, no option 50/54 (RFC 2131 4.3.2)."""
        return self.exchange(build(REQUEST, mac, ciaddr=address, giaddr=self.relay_ip, hops=1), timeout)

    def release(self, mac: bytes, address: str, server_id: str) -> None:
        self.send(build(RELEASE, mac, ciaddr=address, giaddr=self.relay_ip, hops=1,
                        options=[(54, opt_ip(server_id))]))

    def decline(self, mac: bytes, address: str, server_id: str) -> None:
        self.send(build(DECLINE, mac, giaddr=self.relay_ip, hops=1,
                        options=[(50, opt_ip(address)), (54, opt_ip(server_id))]))

    def dora(self, mac: bytes, options: list[tuple[int, bytes]] | None = None,
             timeout: float = 2.0) -> tuple[Reply, Reply]:
        """DISCOVER/OFFER/REQUEST/ACK; asserts each step answered as expected."""
        offer = self.discover(mac, options, timeout)
        assert offer is not None, f"no OFFER for {mac_str(mac)}"
        assert offer.message_type == OFFER, offer
        assert offer.server_id is not None
        ack = self.request(mac, offer.address, offer.server_id, options, timeout)
        assert ack is not None, f"no ACK for {mac_str(mac)}"
        assert ack.message_type == ACK, ack
        return offer, ack


def _main(argv: list[str] | None = None) -> int:
    """`python -m tests.e2e.dhcp_client inform --server S --ciaddr C --mac M [--port P]`: one unicast
    DHCPINFORM from C:68 (inside a test namespace); prints the reply as JSON (null: none)."""
    import argparse
    import json

    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["inform"])
    ap.add_argument("--server", required=True)
    ap.add_argument("--ciaddr", required=True)
    ap.add_argument("--mac", required=True)
    ap.add_argument("--port", type=int, default=67)
    ap.add_argument("--timeout", type=float, default=2.0)
    args = ap.parse_args(argv)
    mac = bytes.fromhex(args.mac.replace(":", ""))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((args.ciaddr, 68))
        xid = new_xid()
        s.sendto(build(INFORM, mac, xid=xid, ciaddr=args.ciaddr), (args.server, args.port))
        deadline = time.monotonic() + args.timeout
        reply = None
        while reply is None and (left := deadline - time.monotonic()) > 0:
            s.settimeout(left)
            try:
                data, _ = s.recvfrom(4096)
            except TimeoutError:
                break
            with contextlib.suppress(ValueError):
                got = parse(data)
                if got.xid == xid:
                    reply = got
    out = None if reply is None else {
        "message_type": reply.message_type, "yiaddr": reply.address, "ciaddr": ip_str(reply.ciaddr),
        "routers": reply.ip_option(3), "server_id": reply.server_id,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
