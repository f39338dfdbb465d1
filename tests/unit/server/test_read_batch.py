"""A read batch of hakea-dhcp6 (DaemonBase._begin_batch / _end_batch) on a real loopback socket
and a real lease file: the batch's lease rows reach the file in one write before any of its
answers leaves; when that write fails, the answers carrying leases are withheld (and counted as
dropped), the others still leave, and the client's retransmission is answered with the same lease;
one answer whose send raises costs the others nothing.
The journal's side (MemfileJournal.defer_writes / write_deferred) is tested on its own below."""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hakea.config.dhcp6 import load_dhcp6_file
from hakea.dhcp6.build import ia_na_option
from hakea.dhcp6.engine import Engine6
from hakea.dhcp6.wire import (
    ADVERTISE,
    OPTION_CLIENTID,
    OPTION_IA_NA,
    OPTION_RELAY_SOURCE_PORT,
    OPTION_SERVERID,
    RELAY_FORW,
    REPLY,
    REQUEST,
    SOLICIT,
    Packet6,
    RelayMessage6,
    unwrap,
)
from hakea.leases.memfile6 import MemfileLeaseStore6
from hakea.leases.model6 import Lease6, LeaseType
from hakea.server.daemon_base import Outgoing
from hakea.server.dhcp6_daemon import Dhcp6Daemon
from hakea.server.sockets6 import Dhcp6Socket, Interface6, _socket

LOOPBACK6 = 1
LINK = 0x20010DB8000100000000000000000001  # the relay's link address: inside the subnet
SERVER_DUID = bytes.fromhex("00030001020000000001")


@dataclass
class Lab:
    daemon: Dhcp6Daemon
    store: MemfileLeaseStore6
    server: Dhcp6Socket
    client: socket.socket  # plays the relay: its Relay-forw asks for answers on its own port
    server_port: int

    def send(self, msg_type: int, client: int, ia: bytes = b"") -> None:
        duid = b"\x00\x03\x00\x01\x02\x00\x00\x00\x00" + bytes([client])
        options = [(OPTION_CLIENTID, duid), (OPTION_IA_NA, ia or ia_na_option(client, 0, 0)[1])]
        if msg_type == REQUEST:
            options.insert(1, (OPTION_SERVERID, SERVER_DUID))
        port = self.client.getsockname()[1].to_bytes(2, "big")
        relay = RelayMessage6(RELAY_FORW, 0, LINK, 0xFE80 << 112 | client, [(OPTION_RELAY_SOURCE_PORT, port)],
                              Packet6(msg_type, client, options))  # fmt: skip
        self.client.sendto(relay.to_bytes(), ("::1", self.server_port))

    def answers(self) -> list[Packet6]:
        out = []
        while True:
            try:
                data = self.client.recv(4096)
            except BlockingIOError:
                return out
            out.append(unwrap(Packet6.parse(data))[0])

    def rows(self) -> list[str]:
        return Path(self.store.path).read_text().splitlines()[1:]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    subnet = {"id": 1, "subnet": "2001:db8:1::/64", "pools": [{"pool": "2001:db8:1::100-2001:db8:1::1ff"}]}
    db = {"type": "memfile", "name": str(tmp_path / "leases6.csv"), "lfc-interval": 0}
    path = tmp_path / "kea.json"
    path.write_text(json.dumps({"Dhcp6": {"lease-database": db, "subnet6": [subnet]}}))
    config = load_dhcp6_file(str(path))
    daemon = Dhcp6Daemon(str(path))
    store = MemfileLeaseStore6(db["name"], lfc_interval=0)
    daemon.config, daemon.store, daemon.server_duid = config, store, SERVER_DUID
    daemon.engine = Engine6(config, store, SERVER_DUID)
    lo = Interface6("lo", socket.if_nametoindex("lo"), b"", (), (LOOPBACK6,), False)
    sock = _socket(lo, LOOPBACK6, 0, False)
    client = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    client.bind(("::1", 0))
    client.setblocking(False)
    try:
        yield Lab(daemon, store, Dhcp6Socket(lo, sock, LOOPBACK6), client, sock.getsockname()[1])
    finally:
        client.close()
        sock.close()
        store.close()


def _advertised(lab: Lab, clients: range) -> dict[int, bytes]:
    """Solicit for each client; their Advertises' IA_NA payloads by client."""
    for n in clients:
        lab.send(SOLICIT, n)
    lab.daemon._on_readable(lab.server)
    got = {a.transaction_id: a.get(OPTION_IA_NA) for a in lab.answers()}
    assert sorted(got) == list(clients) and all(got.values())
    return {n: ia for n, ia in got.items() if ia is not None}


def test_one_batch_writes_its_leases_then_answers(lab: Lab) -> None:
    offered = _advertised(lab, range(1, 6))
    assert lab.rows() == []  # an Advertise commits nothing
    for n, ia in offered.items():
        lab.send(REQUEST, n, ia)
    lab.daemon._on_readable(lab.server)
    replies = lab.answers()
    assert sorted(r.transaction_id for r in replies) == [1, 2, 3, 4, 5]
    assert all(r.msg_type == REPLY and r.get(OPTION_IA_NA) == offered[r.transaction_id] for r in replies)
    assert len(lab.rows()) == 5
    values = lab.daemon.stats.counters()[0]
    assert values["pkt6-reply-sent"] == 5 and values["pkt6-advertise-sent"] == 5
    # Outside a read batch (the HA shell's parked answers, commands) writes and sends are direct.
    assert lab.daemon._outbox is None and lab.store._deferred is None


def test_a_failed_lease_file_write_withholds_the_answers_that_carry_leases(
    lab: Lab, caplog: pytest.LogCaptureFixture
) -> None:
    offered = _advertised(lab, range(1, 3))
    good_fd = lab.store._fd
    refusing = os.open(lab.store.path, os.O_RDONLY)  # a real descriptor on which write() fails
    lab.store._fd = refusing
    try:
        lab.send(REQUEST, 1, offered[1])
        lab.send(SOLICIT, 9)
        with caplog.at_level(logging.ERROR, logger="hakea"):
            lab.daemon._on_readable(lab.server)
    finally:
        lab.store._fd = good_fd
        os.close(refusing)
    answers = lab.answers()
    assert [(a.msg_type, a.transaction_id) for a in answers] == [(ADVERTISE, 9)]  # no Reply for 1
    assert "DHCP6_LEASE_FILE_WRITE_FAILED" in caplog.text and "1 answer(s) withheld" in caplog.text
    values = lab.daemon.stats.counters()[0]
    assert values["pkt6-receive-drop"] == 1 and values["pkt6-reply-sent"] == 0
    assert lab.rows() == []
    # The client sends its Request again: the same address, and now its row is in the file.
    lab.send(REQUEST, 1, offered[1])
    lab.daemon._on_readable(lab.server)
    (reply,) = lab.answers()
    assert (reply.msg_type, reply.get(OPTION_IA_NA)) == (REPLY, offered[1])
    assert len(lab.rows()) == 1 and lab.daemon.stats.counters()[0]["pkt6-reply-sent"] == 1


def test_an_answer_whose_send_raises_costs_the_others_nothing(
    lab: Lab, caplog: pytest.LogCaptureFixture
) -> None:
    def raising() -> bool:
        raise ValueError("a destination the socket layer cannot take")

    lab.send(SOLICIT, 1)
    lab.send(SOLICIT, 2)
    lab.daemon._begin_batch()  # a batch as _on_readable runs it, with a raising answer first
    assert lab.daemon._outbox is not None
    lab.daemon._outbox.append(Outgoing(raising, False, ADVERTISE))
    for _ in range(2):
        data, source, local, ifindex = lab.server.receive(4096)
        lab.daemon.handle_datagram(data, source, lab.server, local, ifindex)
    with caplog.at_level(logging.ERROR, logger="hakea"):
        lab.daemon._end_batch()
    assert sorted(a.transaction_id for a in lab.answers()) == [1, 2]
    assert "DHCP6_PACKET_SEND_FAIL" in caplog.text
    assert lab.daemon.stats.counters()[0]["pkt6-advertise-sent"] == 2


def _lease(n: int) -> Lease6:
    return Lease6(LINK + 0x100 + n, b"\x00\x03\x00\x01\x02\x00\x00\x00\x00\x01", n, 4000, 3000, 1_700_000_000,
                  1, LeaseType.NA, 128)  # fmt: skip


def test_deferred_rows_reach_the_file_together(tmp_path: Path) -> None:
    store = MemfileLeaseStore6(tmp_path / "leases6.csv", lfc_interval=0)
    try:
        header = Path(store.path).read_text()
        store.defer_writes()
        store.defer_writes()  # already deferring: the kept rows stay
        for n in range(3):
            assert store.add(_lease(n))
        assert store.get(LeaseType.NA, LINK + 0x100) is not None  # in memory at once
        assert Path(store.path).read_text() == header  # in the file only at write_deferred
        store.write_deferred()
        assert len(Path(store.path).read_text().splitlines()) == 4
        store.write_deferred()  # nothing kept: nothing written
        assert store.add(_lease(3))  # direct again
        assert len(Path(store.path).read_text().splitlines()) == 5
    finally:
        store.close()
    reopened = MemfileLeaseStore6(tmp_path / "leases6.csv", lfc_interval=0)
    try:
        assert reopened.count() == 4
    finally:
        reopened.close()
