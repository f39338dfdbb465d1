"""Dhcp6Socket.receive on a loopback UDP socket (::1): the queue-delay bound, and Solicits shed
first under overload; client_message_type, the peek it relies on."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakea.dhcp6.wire import (
    ADVERTISE,
    RELAY_FORW,
    REQUEST,
    SOLICIT,
    MalformedPacket6,
    Packet6,
    RelayMessage6,
    client_message_type,
    unwrap,
)
from hakea.server import sockets6
from hakea.server.sockets6 import Dhcp6Socket, Interface6, _socket

LOOPBACK6 = 1


def _relayed(msg_type: int, depth: int = 1) -> bytes:
    msg: Packet6 | RelayMessage6 = Packet6(msg_type, 0x1234, [(1, b"\x00\x03\x00\x01abcdef")])
    for hop in range(depth):
        link, peer = 0x20010DB8 << 96, 0xFE80 << 112 | hop
        msg = RelayMessage6(RELAY_FORW, hop, link, peer, [(18, b"eth%d" % hop)], msg)
    return msg.to_bytes()


@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize("msg_type", [SOLICIT, REQUEST, ADVERTISE])
def test_client_message_type_sees_through_relays(msg_type: int, depth: int) -> None:
    assert client_message_type(_relayed(msg_type, depth)) == msg_type


def test_client_message_type_of_truncated_or_relay_message_less_data_is_unknown() -> None:
    assert client_message_type(b"") == -1
    assert client_message_type(b"\x01\x00") == -1
    whole = _relayed(SOLICIT)
    assert client_message_type(whole[:40]) == -1  # cut inside the relay's options
    no_inner = RelayMessage6(RELAY_FORW, 0, 0, 0, [], Packet6(SOLICIT)).to_bytes()[:34] + b"\x00\x12\x00\x00"
    assert client_message_type(no_inner) == -1


@given(st.binary(max_size=300))
def test_client_message_type_never_raises_and_agrees_with_the_parser(data: bytes) -> None:
    found = client_message_type(data)
    try:
        parsed = Packet6.parse(data)
    except MalformedPacket6:
        return
    inner, relays = unwrap(parsed)
    if all(r.msg_type == RELAY_FORW for r in relays):
        assert found == inner.msg_type


@pytest.fixture
def pair() -> Iterator[tuple[Dhcp6Socket, socket.socket, int]]:
    lo = Interface6("lo", socket.if_nametoindex("lo"), b"", (), (LOOPBACK6,), False)
    sock = _socket(lo, LOOPBACK6, 0, False)
    port = sock.getsockname()[1]
    s = Dhcp6Socket(lo, sock, LOOPBACK6)
    sender = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        yield s, sender, port
    finally:
        sender.close()
        s.close()


def test_receive_returns_datagram_source_and_destination(
    pair: tuple[Dhcp6Socket, socket.socket, int],
) -> None:
    s, sender, port = pair
    sender.sendto(b"query", ("::1", port))
    data, (source, source_port), local, ifindex = s.receive(4096)
    assert (data, source, source_port, local) == (b"query", LOOPBACK6, sender.getsockname()[1], LOOPBACK6)
    assert ifindex == socket.if_nametoindex("lo") and s.stale_dropped == 0
    with pytest.raises(BlockingIOError):
        s.receive(4096)


def test_a_burst_above_the_target_is_served_whole(
    pair: tuple[Dhcp6Socket, socket.socket, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, sender, port = pair
    sent = [_relayed(SOLICIT), _relayed(REQUEST)]
    for datagram in sent:
        sender.sendto(datagram, ("::1", port))
    now = sockets6._time()
    waited = (sockets6.QUEUE_TARGET + sockets6.MAX_QUEUE_DELAY) / 2  # above the target, below the cap
    monkeypatch.setattr(sockets6, "_time", lambda: now + waited)
    # The first wait above the target starts the interval: a burst (or a stall) is served.
    assert [s.receive(4096)[0], s.receive(4096)[0]] == sent
    assert s.above_until == pytest.approx(now + waited + sockets6.QUEUE_INTERVAL)
    assert s.stale_dropped == 0


def test_in_a_standing_queue_solicits_are_shed_and_requests_served(
    pair: tuple[Dhcp6Socket, socket.socket, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, sender, port = pair
    sent = [_relayed(SOLICIT), _relayed(REQUEST), Packet6(SOLICIT, 1, []).to_bytes(), _relayed(REQUEST, 2)]
    for datagram in sent:
        sender.sendto(datagram, ("::1", port))
    now = sockets6._time()
    waited = (sockets6.QUEUE_TARGET + sockets6.MAX_QUEUE_DELAY) / 2
    monkeypatch.setattr(sockets6, "_time", lambda: now + waited)
    s.above_until = now  # waits have stayed above the target for the whole interval
    assert s.receive(4096)[0] == sent[1]
    assert s.receive(4096)[0] == sent[3]
    assert s.stale_dropped == 2
    with pytest.raises(BlockingIOError):
        s.receive(4096)
    # A wait under the target ends the episode: Solicits are served again.
    monkeypatch.setattr(sockets6, "_time", lambda: now + sockets6.QUEUE_TARGET / 2)
    sender.sendto(sent[0], ("::1", port))
    assert s.receive(4096)[0] == sent[0] and s.above_until == 0.0


def test_solicits_that_waited_less_than_the_target_are_served(
    pair: tuple[Dhcp6Socket, socket.socket, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, sender, port = pair
    before = sockets6._time()  # the datagram arrives later: it cannot have waited more than this
    sender.sendto(_relayed(SOLICIT), ("::1", port))
    monkeypatch.setattr(sockets6, "_time", lambda: before + sockets6.QUEUE_TARGET / 2)
    s.above_until = before  # even in a standing queue
    assert client_message_type(s.receive(4096)[0]) == SOLICIT
    assert s.stale_dropped == 0


def test_anything_older_than_the_cap_is_dropped(
    pair: tuple[Dhcp6Socket, socket.socket, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, sender, port = pair
    for _ in range(3):
        sender.sendto(_relayed(REQUEST), ("::1", port))
    now = sockets6._time()
    monkeypatch.setattr(sockets6, "_time", lambda: now + sockets6.MAX_QUEUE_DELAY + 1.0)
    with pytest.raises(BlockingIOError):
        s.receive(4096)
    assert s.stale_dropped == 3
