"""A DHCPv6 hot-standby trio on loopback: server1 (primary), server2 (standby), server3 (backup), three
real hakea-dhcp6 processes (each on its own UDP port on ::1, peer URLs on 127.0.0.9x). The test is
the relay agent.

The backup gets every lease6-bulk-apply (new, renewed and released leases) without being waited for
(wait-backup-ack false; Kea refuses true in hot-standby): a frozen backup holds back no Reply. It
stays in the "backup" state and answers no client, even once ha-scopes names a scope for it (as
Kea 2.2: its DHCP service stays disabled by HA).

Last, server1 restarts with "send-lease-updates": false: it still syncs from the standby and returns
to hot-standby, serves, and tells nobody -- neither the standby nor the backup gets the new lease or
the release.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config, free_udp6_port
from tests.e2e.ha_fixtures import Peer, free_port_on, ha_hook
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HTTP = {"server1": "127.0.0.93", "server2": "127.0.0.94", "server3": "127.0.0.95"}
ROLES = {"server1": "primary", "server2": "standby", "server3": "backup"}
SUBNET = {
    "id": 1,
    "subnet": "2001:db8:1::/64",
    "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
    "pd-pools": [{"prefix": "2001:db8:9::", "prefix-len": 48, "delegated-len": 56}],
}


@dataclass
class Trio:
    s1: Server6
    s2: Server6
    s3: Server6
    peers: list[Peer]
    workdir: Path

    def relay(self, server: Server6) -> dc.Relay6:
        assert server.port is not None
        return dc.Relay6(("::1", server.port))

    def sarr(self, duid: bytes, pd: bool = False) -> dc.Reply6:
        relay = self.relay(self.s1)
        try:
            return relay.sarr(duid, pd=pd)[1]
        finally:
            relay.close()


def config_of(workdir: Path, name: str, peers: list[Peer], **ha_extra: Any) -> dict[str, Any]:
    hook = ha_hook(name, "hot-standby", peers, **ha_extra)
    return dhcp6_config(workdir, f"bk6-{name}", interfaces=["lo/::1"], subnets=[SUBNET], hooks=[hook])


@pytest.fixture(scope="module")
def trio(workdir: Path, procs: Procs) -> Iterator[Trio]:
    http = free_port_on(*HTTP.values(), kind=socket.SOCK_STREAM)
    peers = [Peer(n, f"http://{a}:{http}/", ROLES[n]) for n, a in HTTP.items()]
    servers: dict[str, Server6] = {}
    for name, address in HTTP.items():
        servers[name] = Server6(f"bk6-{name}", workdir, procs, config_of(workdir, name, peers),
                                port=free_udp6_port(), url=f"http://{address}:{http}/")  # fmt: skip
    for s in servers.values():
        s.lease_file.unlink(missing_ok=True)
        s.start()
    try:
        yield Trio(servers["server1"], servers["server2"], servers["server3"], peers, workdir)
    finally:
        for s in servers.values():
            if s.proc is not None and s.proc.poll() is None:
                s.signal(signal.SIGCONT)  # a failed SIGSTOP test must not leave it frozen
            s.stop()


def lease_on(server: Server6, address: str, kind: str = "IA_NA") -> dict[str, Any] | None:
    return server.lease(address, kind)


def test_states_primary_standby_and_backup(trio: Trio) -> None:
    trio.s1.wait_state("hot-standby")
    trio.s2.wait_state("hot-standby")
    assert trio.s3.wait_state("backup") == "backup"
    time.sleep(1.0)  # two heartbeats of the pair: the backup stays put
    assert trio.s3.ha_state() == "backup"
    # a backup reports itself only (no partner to report on), serving nothing
    assert trio.s3.ha_status() == {
        "ha-mode": "hot-standby",
        "ha-servers": {"local": {"role": "backup", "scopes": [], "state": "backup"}},
    }
    assert trio.s3.command("ha-heartbeat")["arguments"]["scopes"] == []
    assert trio.s1.command("ha-heartbeat")["arguments"]["scopes"] == ["server1"]
    assert trio.s1.ha_status()["ha-servers"]["remote"]["role"] == "standby"


def test_backup_gets_new_renewed_and_released_leases(trio: Trio) -> None:
    s1, s2, s3 = trio.s1, trio.s2, trio.s3
    duid = dc.duid_ll(0x7301)
    reply = trio.sarr(duid, pd=True)
    prefix = reply.prefixes()[0].split("/")[0]
    on_primary = s1.lease(reply.address)
    pd_primary = s1.lease(prefix, "IA_PD")
    assert on_primary is not None and on_primary["duid"] == duid.hex(":") and pd_primary is not None
    assert s2.lease(reply.address) == on_primary  # the standby acknowledged before the Reply
    wait_until(lambda: s3.lease(reply.address) == on_primary and s3.lease(prefix, "IA_PD") == pd_primary,
               3.0, what="both leases on the backup")  # fmt: skip
    # a Renew: the backup gets the renewed lease
    sid = reply.server_id
    assert sid is not None
    wait_until(lambda: int(time.time()) > on_primary["cltt"], 2.0, what="a new second")
    relay = trio.relay(s1)
    try:
        renewed = relay.renew(duid, sid, dc.ia_na(1, reply.address), dc.ia_pd(1, (prefix, 56)))
        assert renewed is not None and renewed.addresses() == [reply.address], renewed
        new = s1.lease(reply.address)
        assert new is not None and new["cltt"] > on_primary["cltt"]
        wait_until(lambda: s3.lease(reply.address) == new, 3.0, what="renewed lease on the backup")
        # a Release: deleted everywhere, the backup included
        released = relay.release(duid, sid, dc.ia_na(1, reply.address), dc.ia_pd(1, (prefix, 56)))
        assert released is not None and released.msg_type == dc.REPLY
    finally:
        relay.close()
    for s in (s1, s2, s3):

        def gone(s: Server6 = s) -> bool:
            return s.lease(reply.address) is None and s.lease(prefix, "IA_PD") is None

        wait_until(gone, 3.0, what=f"leases deleted on {s.name}")


def test_backup_answers_nobody_even_with_a_scope(trio: Trio) -> None:
    relay = trio.relay(trio.s3)
    try:
        assert relay.solicit(dc.duid_ll(0x7302), timeout=0.5) is None
        answer = trio.s3.command("ha-scopes", {"scopes": ["server1"]})
        assert answer == {"result": 0, "text": "New HA scopes configured."}
        assert trio.s3.ha_status()["ha-servers"]["local"] == {
            "role": "backup", "scopes": ["server1"], "state": "backup",
        }  # fmt: skip
        assert relay.solicit(dc.duid_ll(0x7303), timeout=0.5) is None
        assert relay.solicit(dc.duid_ll(0x7304), rapid=True, timeout=0.5) is None
        assert trio.s3.ha_state() == "backup"
    finally:
        relay.close()
        assert trio.s3.command("ha-scopes", {"scopes": []})["result"] == 0
    assert trio.s3.leases() == []  # everything it got so far was released again


def test_frozen_backup_does_not_hold_the_reply(trio: Trio) -> None:
    s1, s2, s3 = trio.s1, trio.s2, trio.s3
    s3.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        reply = trio.sarr(dc.duid_ll(0x7305))  # asserts the Reply came (within 2 s)
        assert time.monotonic() - started < 2.0
        assert s2.lease(reply.address) == s1.lease(reply.address) is not None
    finally:
        s3.signal(signal.SIGCONT)
    # the update waiting in the backup's socket is taken once it runs again
    wait_until(
        lambda: s3.lease(reply.address) == s1.lease(reply.address), 5.0, what="late lease on the backup"
    )
    assert s1.ha_state() == "hot-standby" and s3.ha_state() == "backup"


def test_send_lease_updates_false_tells_nobody(trio: Trio) -> None:
    s1, s2, s3 = trio.s1, trio.s2, trio.s3
    # a lease everybody holds, from before the change
    old = trio.sarr(dc.duid_ll(0x7306))
    wait_until(lambda: s3.lease(old.address) is not None, 3.0, what="old lease on the backup")
    s1.stop()
    s1.config = config_of(trio.workdir, "server1", trio.peers, **{"send-lease-updates": False})
    log_start = len(s1.log())
    s1.start()
    s1.wait_state("hot-standby", timeout=15.0)
    s2.wait_state("hot-standby", timeout=5.0)
    log1 = s1.log()[log_start:]
    assert "HA_CONFIG_LEASE_UPDATES_DISABLED_REMINDER" in log1, log1[-2000:]
    assert "HA_SYNC_SUCCESSFUL" in log1  # it still syncs (sync-leases is on)

    duid = dc.duid_ll(0x7307)
    reply = trio.sarr(duid, pd=True)  # answered at once: nothing to wait for
    prefix = reply.prefixes()[0].split("/")[0]
    assert s1.lease(reply.address) is not None and s1.lease(prefix, "IA_PD") is not None
    sid = old.server_id
    assert sid is not None
    relay = trio.relay(s1)
    try:
        released = relay.release(dc.duid_ll(0x7306), sid, dc.ia_na(1, old.address))
        assert released is not None and released.msg_type == dc.REPLY
    finally:
        relay.close()
    assert s1.lease(old.address) is None
    time.sleep(1.0)  # time enough for an update to arrive, were one sent
    for s in (s2, s3):
        assert s.lease(reply.address) is None, s.name
        assert s.lease(prefix, "IA_PD") is None, s.name
        assert s.lease(old.address) is not None, s.name  # the release was not passed on either
    # not sending is not "unsent": nothing is counted for a later sync
    assert s1.command("ha-heartbeat")["arguments"]["unsent-update-count"] == 0
    assert s1.ha_state() == s2.ha_state() == "hot-standby" and s3.ha_state() == "backup"
