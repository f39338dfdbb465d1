"""kill -9 durability: every acknowledged lease survives a SIGKILL, and the lease file hakea leaves
behind is read by a real kea-dhcp4 2.2 as the same leases."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp_client as dc
from tests.e2e.conftest import LEASE_CMDS, ctl, ctl_ready, free_udp_port, need, start_hakea, write_config
from tests.e2e.lab import Procs, lab, sh, wait_until

pytestmark = pytest.mark.e2e

SERVER = "127.0.0.2"
RELAY = "127.0.0.3"
N = 200


def dhcp4_config(lease_file: Path, sock: Path) -> dict[str, Any]:
    return {
        "interfaces-config": {"interfaces": [f"lo/{SERVER}"], "dhcp-socket-type": "udp"},
        "lease-database": {"type": "memfile", "name": str(lease_file), "lfc-interval": 0},
        "control-socket": {"socket-type": "unix", "socket-name": str(sock)},
        "hooks-libraries": [{"library": LEASE_CMDS}],
        "valid-lifetime": 3600,
        "subnet4": [
            {
                "id": 7,
                "subnet": "192.0.2.0/24",
                "relay": {"ip-addresses": [RELAY]},
                "pools": [{"pool": "192.0.2.10 - 192.0.2.250"}],
                "option-data": [{"name": "routers", "data": "192.0.2.1"}],
            }
        ],
    }


def lease_key(lease: dict[str, Any]) -> tuple[Any, ...]:
    return (
        lease["ip-address"], lease["hw-address"], lease["subnet-id"], lease["valid-lft"], lease["cltt"],
        lease["state"], lease.get("client-id", ""), lease.get("hostname", ""),
    )


def all_leases(sock: Path) -> set[tuple[Any, ...]]:
    answer = ctl(sock, "lease4-get-all")
    assert answer["result"] in (0, 3), answer
    return {lease_key(le) for le in answer.get("arguments", {}).get("leases", [])}


STATS = ("subnet[7].total-addresses", "subnet[7].assigned-addresses", "subnet[7].declined-addresses",
         "declined-addresses", "subnet[7].reclaimed-leases", "cumulative-assigned-addresses")


def lease_stats(sock: Path) -> dict[str, int]:
    every = ctl(sock, "statistic-get-all")["arguments"]
    return {name: every[name][0][0] for name in STATS if name in every}


def test_acked_leases_survive_kill_9_and_kea_reads_the_file(workdir: Path, procs: Procs) -> None:
    need("kea-dhcp4")
    lease_file = workdir / "leases4.csv"
    sock = workdir / "hakea.sock"
    config = write_config(workdir / "hakea.conf", dhcp4_config(lease_file, sock))
    port = free_udp_port(SERVER)
    server = start_hakea(procs, "hakea-dhcp4", config, sock, port=port)
    relay = dc.Relay(RELAY, SERVER, port)
    try:
        acked: dict[str, str] = {}
        for n in range(N + 2):
            mac = dc.mac_of(0x1000 + n)
            _, ack = relay.dora(mac, [(61, b"\x01" + mac)])
            acked[ack.address] = dc.mac_str(mac)
        # Two releases (deletion rows in the file) and a decline (a state-1 row) among them.
        for n in (0, 1):
            mac = dc.mac_of(0x1000 + n)
            address = next(a for a, m in acked.items() if m == dc.mac_str(mac))
            relay.release(mac, address, SERVER)
            del acked[address]
        declined_mac = dc.mac_of(0x1000 + 2)
        declined = next(a for a, m in acked.items() if m == dc.mac_str(declined_mac))
        relay.decline(declined_mac, declined, SERVER)
        wait_until(lambda: ctl(sock, "lease4-get", {"ip-address": declined})["arguments"]["state"] == 1,
                   3.0, what="declined lease")
        wait_until(lambda: len(all_leases(sock)) == N, 3.0, what="releases done")
    finally:
        relay.close()
    assert len(acked) == N
    before = all_leases(sock)
    assert {le[0] for le in before} == set(acked)
    assert {le[0]: le[1] for le in before if le[0] != declined} == {
        a: m for a, m in acked.items() if a != declined
    }
    assert [le[5] for le in before if le[0] == declined] == [1]

    procs.kill(server, signal.SIGKILL)  # no shutdown path runs: only what was written survives
    assert server.returncode == -signal.SIGKILL
    crashed_file = workdir / "after-kill.csv"
    shutil.copyfile(lease_file, crashed_file)

    restarted = start_hakea(procs, "hakea-dhcp4-restarted", config, sock, port=port)
    try:
        assert all_leases(sock) == before
        hakea_stats = lease_stats(sock)
        assert hakea_stats["subnet[7].assigned-addresses"] == N
        assert hakea_stats["subnet[7].declined-addresses"] == 1 == hakea_stats["declined-addresses"]
    finally:
        procs.kill(restarted, signal.SIGTERM)

    # A real Kea 2.2 on the file as the SIGKILL left it, in its own namespace (lo/127.0.0.2 must be
    # an assigned address for Kea, and it must not meet hakea's sockets).
    kea_dir = workdir / "kea"
    kea_dir.mkdir()
    kea_leases = kea_dir / "kea-leases4.csv"
    shutil.copyfile(crashed_file, kea_leases)
    kea_sock = kea_dir / "kea.sock"
    kea_config = write_config(kea_dir / "kea-dhcp4.conf", dhcp4_config(kea_leases, kea_sock))
    with lab("hkd") as the_lab:
        ns = the_lab.add_host("kea")
        sh("ip", "-n", ns, "addr", "add", "127.0.0.2/8", "dev", "lo")
        kea = procs.start(
            "kea-dhcp4",
            the_lab.exec_argv("kea", ["kea-dhcp4", "-c", str(kea_config), "-p", str(port)]),
            env={"KEA_PIDFILE_DIR": str(kea_dir), "KEA_LOCKFILE_DIR": str(kea_dir)},
        )
        try:
            def kea_ready() -> bool:
                if kea.poll() is not None:
                    raise AssertionError(f"kea-dhcp4 exited with {kea.returncode}:\n{procs.log('kea-dhcp4')}")
                return ctl_ready(kea_sock)

            wait_until(kea_ready, 15.0, what="kea-dhcp4 control socket")
            assert all_leases(kea_sock) == before
            # Kea's own recount of the same file gives the same lease statistics.
            assert lease_stats(kea_sock) == hakea_stats
        finally:
            procs.kill(kea, signal.SIGTERM)
