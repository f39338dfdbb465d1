"""Dhcp4Socket.receive on a loopback UDP socket: local address and the queue-delay bound."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from hakea.server import sockets4
from hakea.server.interfaces import Interface
from hakea.server.sockets4 import Dhcp4Socket, _udp_socket

LOOPBACK = 0x7F000001


@pytest.fixture
def pair() -> Iterator[tuple[Dhcp4Socket, socket.socket, int]]:
    sock = _udp_socket("lo", LOOPBACK, 0, bind_device=False)
    port = sock.getsockname()[1]
    s = Dhcp4Socket(Interface("lo", 1, LOOPBACK, 8, b""), sock, LOOPBACK, None)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        yield s, sender, port
    finally:
        sender.close()
        s.close()


def test_receive_returns_datagram_source_and_bound_address(
    pair: tuple[Dhcp4Socket, socket.socket, int],
) -> None:
    s, sender, port = pair
    sender.sendto(b"query", ("127.0.0.1", port))
    data, addr, local = s.receive(4096)
    assert data == b"query" and addr == ("127.0.0.1", sender.getsockname()[1]) and local == LOOPBACK
    assert s.stale_dropped == 0
    with pytest.raises(BlockingIOError):
        s.receive(4096)


def test_datagrams_older_than_the_queue_delay_bound_are_dropped_unread(
    pair: tuple[Dhcp4Socket, socket.socket, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, sender, port = pair
    for i in range(3):
        sender.sendto(b"old%d" % i, ("127.0.0.1", port))
    now = sockets4._time()
    monkeypatch.setattr(sockets4, "_time", lambda: now + sockets4.MAX_QUEUE_DELAY + 1.0)
    with pytest.raises(BlockingIOError):  # all three were stale: the queue is empty now
        s.receive(4096)
    assert s.stale_dropped == 3
    monkeypatch.setattr(sockets4, "_time", lambda: now)
    sender.sendto(b"fresh", ("127.0.0.1", port))
    assert s.receive(4096)[0] == b"fresh"
    assert s.stale_dropped == 3  # the daemon collects and resets the count


def test_a_standing_queue_is_dropped_down_to_the_target_but_a_burst_is_served(
    pair: tuple[Dhcp4Socket, socket.socket, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, sender, port = pair
    for i in range(4):
        sender.sendto(b"q%d" % i, ("127.0.0.1", port))
    now = sockets4._time()
    waited = (sockets4.QUEUE_TARGET + sockets4.MAX_QUEUE_DELAY) / 2  # above the target, below the cap
    monkeypatch.setattr(sockets4, "_time", lambda: now + waited)
    # The first wait above the target starts the interval: a burst is still served.
    assert s.receive(4096)[0] == b"q0"
    assert s.above_until == pytest.approx(now + waited + sockets4.QUEUE_INTERVAL)
    # Waits still above the target once the interval is over: a standing queue, dropped.
    monkeypatch.setattr(sockets4, "_time", lambda: now + waited)
    s.above_until = now  # the interval started long enough ago
    with pytest.raises(BlockingIOError):
        s.receive(4096)
    assert s.stale_dropped == 3
    # A wait under the target ends the episode.
    sender.sendto(b"fresh", ("127.0.0.1", port))
    monkeypatch.setattr(sockets4, "_time", time.time)
    assert s.receive(4096)[0] == b"fresh" and s.above_until == 0.0
