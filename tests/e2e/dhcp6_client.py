"""A small scripted DHCPv6 relay agent for end-to-end tests.

Deliberately independent of hakea.dhcp6.wire: messages are built and read here with struct, so a
codec bug in the server cannot hide behind the same bug in the test.

The relay binds an ephemeral UDP port and puts it in a Relay Source Port option (RFC 8357), so the
server answers there: several relays (and servers on other ports) share one loopback address.

    relay = Relay6(("::1", server_port), link="2001:db8:1::1")
    advertise, reply = relay.sarr(duid_ll(1))
"""

from __future__ import annotations

import ipaddress
import os
import random
import socket
import struct
import time
from dataclasses import dataclass, field

SOLICIT, ADVERTISE, REQUEST, CONFIRM, RENEW, REBIND, REPLY, RELEASE, DECLINE = range(1, 10)
INFORMATION_REQUEST, RELAY_FORW, RELAY_REPL = 11, 12, 13
OPT_CLIENTID, OPT_SERVERID, OPT_IA_NA, OPT_IAADDR, OPT_ORO, OPT_ELAPSED = 1, 2, 3, 5, 6, 8
OPT_RELAY_MSG, OPT_STATUS, OPT_RAPID_COMMIT, OPT_INTERFACE_ID, OPT_IA_PD, OPT_IAPREFIX = 9, 13, 14, 18, 25, 26
OPT_RELAY_SOURCE_PORT = 135


def addr(text: str) -> bytes:
    return ipaddress.IPv6Address(text).packed


def addr_str(packed: bytes) -> str:
    return str(ipaddress.IPv6Address(packed))


def duid_ll(n: int) -> bytes:
    """DUID-LL with MAC 02:00:00:00:hh:ll."""
    return b"\x00\x03\x00\x01\x02\x00\x00\x00" + n.to_bytes(2, "big")


def opt(code: int, payload: bytes) -> bytes:
    return struct.pack("!HH", code, len(payload)) + payload


def ia_na(iaid: int, *addresses: str) -> bytes:
    subs = b"".join(opt(OPT_IAADDR, addr(a) + struct.pack("!II", 0, 0)) for a in addresses)
    return opt(OPT_IA_NA, struct.pack("!III", iaid, 0, 0) + subs)


def ia_pd(iaid: int, *prefixes: tuple[str, int]) -> bytes:
    subs = b"".join(opt(OPT_IAPREFIX, struct.pack("!IIB", 0, 0, plen) + addr(p)) for p, plen in prefixes)
    return opt(OPT_IA_PD, struct.pack("!III", iaid, 0, 0) + subs)


def message(msg_type: int, xid: int, *options: bytes) -> bytes:
    return struct.pack("!I", msg_type << 24 | xid) + b"".join(options)


def parse_options(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    pos = 0
    while pos + 4 <= len(data):
        code, size = struct.unpack_from("!HH", data, pos)
        out.append((code, data[pos + 4 : pos + 4 + size]))
        pos += 4 + size
    return out


@dataclass
class Ia:
    kind: int  # OPT_IA_NA or OPT_IA_PD
    iaid: int
    t1: int
    t2: int
    resources: list[tuple[str, int, int, int]] = field(default_factory=list)  # (addr, plen, pref, valid)
    status: tuple[int, str] | None = None


@dataclass
class Reply6:
    msg_type: int
    xid: int
    options: list[tuple[int, bytes]]
    ias: list[Ia]
    relay_options: list[tuple[int, bytes]] = field(default_factory=list)

    def get(self, code: int) -> bytes | None:
        return next((p for c, p in self.options if c == code), None)

    @property
    def server_id(self) -> bytes | None:
        return self.get(OPT_SERVERID)

    @property
    def status(self) -> tuple[int, str] | None:
        payload = self.get(OPT_STATUS)
        return None if payload is None else (struct.unpack_from("!H", payload)[0], payload[2:].decode())

    def addresses(self) -> list[str]:
        return [r[0] for ia in self.ias if ia.kind == OPT_IA_NA for r in ia.resources if r[3] > 0]

    def prefixes(self) -> list[str]:
        return [f"{r[0]}/{r[1]}" for ia in self.ias if ia.kind == OPT_IA_PD for r in ia.resources if r[3] > 0]

    @property
    def address(self) -> str:
        found = self.addresses()
        assert found, self
        return found[0]


def _parse_ia(code: int, payload: bytes) -> Ia:
    iaid, t1, t2 = struct.unpack_from("!III", payload)
    ia = Ia(code, iaid, t1, t2)
    for sub, body in parse_options(payload[12:]):
        if sub == OPT_IAADDR:
            pref, valid = struct.unpack_from("!II", body, 16)
            ia.resources.append((addr_str(body[:16]), 128, pref, valid))
        elif sub == OPT_IAPREFIX:
            pref, valid, plen = struct.unpack_from("!IIB", body)
            ia.resources.append((addr_str(body[9:25]), plen, pref, valid))
        elif sub == OPT_STATUS:
            ia.status = (struct.unpack_from("!H", body)[0], body[2:].decode())
    return ia


def parse_client(data: bytes) -> Reply6:
    head = struct.unpack_from("!I", data)[0]
    options = parse_options(data[4:])
    ias = [_parse_ia(c, p) for c, p in options if c in (OPT_IA_NA, OPT_IA_PD)]
    return Reply6(head >> 24, head & 0xFFFFFF, options, ias)


def new_xid() -> int:
    return int.from_bytes(os.urandom(3), "big")


def distinct_xids(count: int) -> list[int]:
    """`count` different random transaction ids (relay_to_all tells clients apart by xid; among
    thousands of new_xid() a few would collide)."""
    return random.SystemRandom().sample(range(1 << 24), count)


def random_duid(n: int) -> bytes:
    """DUID-LLT, DUID-EN, DUID-LL and DUID-UUID in turn, random contents (RFC 8415 section 11)."""
    kind = n % 4
    if kind == 0:
        return struct.pack("!HHI", 1, 1, int.from_bytes(os.urandom(4), "big")) + os.urandom(6)
    if kind == 1:
        return struct.pack("!HI", 2, 2495) + os.urandom(1 + n % 12)
    if kind == 2:
        return struct.pack("!HH", 3, 1) + os.urandom(6)
    return struct.pack("!H", 4) + os.urandom(16)


def client_message(msg_type: int, xid: int, duid: bytes, *ias: bytes,
                   server_id: bytes | None = None) -> bytes:  # fmt: skip
    """A client's message: Client Identifier, Server Identifier (when given), Elapsed Time 0, the
    IAs, and an ORO asking for DNS servers."""
    sid = [opt(OPT_SERVERID, server_id)] if server_id is not None else []
    return message(msg_type, xid, opt(OPT_CLIENTID, duid), *sid, opt(OPT_ELAPSED, b"\x00\x00"), *ias,
                   opt(OPT_ORO, struct.pack("!H", 23)))  # fmt: skip


def relay_forw(client_msg: bytes, port: int, link: str, interface_id: bytes | None,
               peer: str = "fe80::1") -> bytes:  # fmt: skip
    """`client_msg` in a Relay-forw from link `link`, with a Relay Source Port option naming `port`
    (RFC 8357: the server answers there) and an Interface-Id when given."""
    options = opt(OPT_RELAY_SOURCE_PORT, struct.pack("!H", port))
    if interface_id is not None:
        options += opt(OPT_INTERFACE_ID, interface_id)
    head = struct.pack("!BB", RELAY_FORW, 0) + addr(link) + addr(peer)
    return head + options + opt(OPT_RELAY_MSG, client_msg)


def relayed_reply(data: bytes) -> tuple[Reply6, list[tuple[int, bytes]]] | None:
    """The client message in a Relay-reply, and the relay's other options; None for anything else."""
    if len(data) < 34 or data[0] != RELAY_REPL:
        return None
    relay_options = parse_options(data[34:])
    inner = next((p for c, p in relay_options if c == OPT_RELAY_MSG), None)
    if inner is None or len(inner) < 4:
        return None
    return parse_client(inner), [(c, p) for c, p in relay_options if c != OPT_RELAY_MSG]


Answers = dict[int, list[tuple[str, Reply6]]]


def relay_to_all(targets: dict[str, tuple[str, int]], messages: list[bytes], *, bind: str, link: str,
                 interface_id: bytes = b"lb", window: int = 32, tries: int = 1, quiet: float = 0.5,
                 timeout: float = 20.0) -> Answers:  # fmt: skip
    """Each client message, relayed (Relay-forw from `bind` on link `link`), to every server of
    `targets` (name -> address, port) at once, as a multicast reaches all: at most `window` clients
    waiting for an answer, a client unanswered for 1 s sent again (`tries` in all). Ends `quiet` s
    after the last answer once nobody waits, so a second server answering late is seen. Returns each
    xid's answers as (server name, reply), in the order they came."""
    by_sender = {target: name for name, target in targets.items()}
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    sock.bind((bind, 0))
    port = int(sock.getsockname()[1])
    queue = list(reversed(messages))
    waiting: dict[int, tuple[float, int, bytes]] = {}  # xid -> (sent at, times sent, datagram)
    answers: Answers = {}
    deadline = time.monotonic() + timeout
    last = time.monotonic()

    def send(data: bytes) -> None:
        for target in targets.values():
            sock.sendto(data, target)

    try:
        while (now := time.monotonic()) < deadline:
            while queue and len(waiting) < window:
                msg = queue.pop()
                data = relay_forw(msg, port, link, interface_id)
                send(data)
                waiting[int.from_bytes(msg[1:4], "big")] = (now, 1, data)
            for xid, (at, sent, data) in list(waiting.items()):
                if now - at > 1.0:
                    if sent < tries:
                        send(data)
                        waiting[xid] = (now, sent + 1, data)
                    else:
                        del waiting[xid]  # unanswered
            if not queue and not waiting and now - last > quiet:
                break
            sock.settimeout(0.02)
            try:
                data, sender = sock.recvfrom(65536)
            except TimeoutError:
                continue
            relayed = relayed_reply(data)
            if relayed is None:
                continue
            reply = relayed[0]
            name = by_sender.get((sender[0], sender[1]), sender[0])
            answers.setdefault(reply.xid, []).append((name, reply))
            waiting.pop(reply.xid, None)
            last = time.monotonic()
        return answers
    finally:
        sock.close()


class Relay6:
    """A relay agent on `bind` (an ephemeral port), forwarding to `server`; the relayed clients are
    on the link `link` (the Relay-forw link-address)."""

    def __init__(self, server: tuple[str, int], *, bind: str = "::1", link: str = "2001:db8:1::1",
                 interface_id: bytes | None = b"port-1") -> None:  # fmt: skip
        self.server = server
        self.link = link
        self.interface_id = interface_id
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.sock.bind((bind, 0))
        self.port = int(self.sock.getsockname()[1])

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Relay6:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def forward(self, client_msg: bytes, peer: str = "fe80::1") -> None:
        self.sock.sendto(relay_forw(client_msg, self.port, self.link, self.interface_id, peer), self.server)

    def receive(self, xid: int, timeout: float) -> Reply6 | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65536)
            except TimeoutError:
                return None
            relayed = relayed_reply(data)
            if relayed is not None and relayed[0].xid == xid:
                reply = relayed[0]
                reply.relay_options = relayed[1]
                return reply
        return None

    def exchange(self, msg_type: int, *options: bytes, timeout: float = 2.0) -> Reply6 | None:
        xid = new_xid()
        self.forward(message(msg_type, xid, opt(OPT_ELAPSED, b"\x00\x00"), *options))
        return self.receive(xid, timeout)

    # ---- conversations ---------------------------------------------------------------------------

    def solicit(self, duid: bytes, *ias: bytes, rapid: bool = False, oro: tuple[int, ...] = (23,),
                timeout: float = 2.0) -> Reply6 | None:  # fmt: skip
        extra = [opt(OPT_RAPID_COMMIT, b"")] if rapid else []
        oro_opt = opt(OPT_ORO, b"".join(struct.pack("!H", c) for c in oro))
        return self.exchange(SOLICIT, opt(OPT_CLIENTID, duid), *(ias or (ia_na(1),)), oro_opt, *extra,
                             timeout=timeout)  # fmt: skip

    def request(self, duid: bytes, server_id: bytes, *ias: bytes, timeout: float = 2.0) -> Reply6 | None:
        return self.exchange(REQUEST, opt(OPT_CLIENTID, duid), opt(OPT_SERVERID, server_id), *ias,
                             opt(OPT_ORO, struct.pack("!H", 23)), timeout=timeout)  # fmt: skip

    def renew(self, duid: bytes, server_id: bytes, *ias: bytes, timeout: float = 2.0) -> Reply6 | None:
        return self.exchange(
            RENEW, opt(OPT_CLIENTID, duid), opt(OPT_SERVERID, server_id), *ias, timeout=timeout
        )

    def release(self, duid: bytes, server_id: bytes, *ias: bytes, timeout: float = 2.0) -> Reply6 | None:
        return self.exchange(RELEASE, opt(OPT_CLIENTID, duid), opt(OPT_SERVERID, server_id), *ias,
                             timeout=timeout)  # fmt: skip

    def decline(self, duid: bytes, server_id: bytes, *ias: bytes, timeout: float = 2.0) -> Reply6 | None:
        return self.exchange(DECLINE, opt(OPT_CLIENTID, duid), opt(OPT_SERVERID, server_id), *ias,
                             timeout=timeout)  # fmt: skip

    def sarr(
        self, duid: bytes, iaid: int = 1, pd: bool = False, timeout: float = 2.0
    ) -> tuple[Reply6, Reply6]:
        """Solicit, Advertise, Request, Reply for one IA_NA (and one IA_PD when `pd`)."""
        ias = [ia_na(iaid)] + ([ia_pd(iaid)] if pd else [])
        advertise = self.solicit(duid, *ias, timeout=timeout)
        assert advertise is not None and advertise.msg_type == ADVERTISE, advertise
        server_id = advertise.server_id
        assert server_id is not None
        wanted = [ia_na(iaid, *advertise.addresses())]
        if pd:
            wanted.append(
                ia_pd(iaid, *((p.split("/")[0], int(p.split("/")[1])) for p in advertise.prefixes()))
            )
        reply = self.request(duid, server_id, *wanted, timeout=timeout)
        assert reply is not None and reply.msg_type == REPLY, reply
        return advertise, reply
