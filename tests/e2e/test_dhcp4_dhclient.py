"""A real ISC dhclient against hakea-dhcp4 over Ethernet (veth + bridge in network namespaces).

The server namespace has 198.51.100.1/24 on eth0 and runs hakea-dhcp4 with a raw socket on port 67;
the client namespace starts with no address. The client has no address when the OFFER/ACK come,
so they go out as link-layer unicast through the raw socket (dhclient does not set the broadcast
bit); the renewal is plain UDP unicast between the two addresses.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LEASE_CMDS, ctl, need, start_hakea, stat, write_config
from tests.e2e.lab import ROOT, Dhclient, Lab, Procs, lab, sh, wait_until

pytestmark = pytest.mark.e2e

DHCLIENT_CONF = """\
send host-name = "e2e-client";
request subnet-mask, broadcast-address, routers, domain-name-servers;
"""


@dataclass
class Setup:
    lab: Lab
    procs: Procs
    workdir: Path
    sock: Path
    client: Dhclient
    server: Any


@pytest.fixture(scope="module")
def setup(workdir: Path, procs: Procs) -> Iterator[Setup]:
    need("dhclient", "ip")
    sock = workdir / "ctl.sock"
    config = write_config(workdir / "kea-dhcp4.conf", {
        "interfaces-config": {"interfaces": ["eth0"], "dhcp-socket-type": "raw"},
        "lease-database": {"type": "memfile", "name": str(workdir / "leases4.csv"), "lfc-interval": 0},
        "control-socket": {"socket-type": "unix", "socket-name": str(sock)},
        "hooks-libraries": [{"library": LEASE_CMDS}],
        "valid-lifetime": 60,
        "renew-timer": 5,
        "rebind-timer": 10,
        "subnet4": [{
            "id": 1,
            "subnet": "198.51.100.0/24",
            "pools": [{"pool": "198.51.100.100 - 198.51.100.200"}],
            "option-data": [{"name": "routers", "data": "198.51.100.1"}],
        }, {
            # A second subnet on the same link (no shared network): only a unicast query's
            # ciaddr selects it (RFC 2131 4.3.1; Kea's subnet selection).
            "id": 2,
            "subnet": "203.0.113.0/24",
            "pools": [{"pool": "203.0.113.100 - 203.0.113.110"}],
            "option-data": [{"name": "routers", "data": "203.0.113.1"}],
        }],
    })
    with lab("hkc") as the_lab:
        the_lab.add_host("srv", v4="198.51.100.1/24")
        the_lab.add_host("cli")
        client = Dhclient(the_lab, workdir, "dhclient", 4, DHCLIENT_CONF)
        server = start_hakea(procs, "hakea-dhcp4", config, sock, argv_prefix=the_lab.exec_argv("srv", []))
        try:
            with client:  # stops a dhclient left over by a failed test
                yield Setup(the_lab, procs, workdir, sock, client, server)
        finally:
            procs.kill(server, signal.SIGTERM)


def client_has(setup: Setup, pattern: str, *argv: str) -> bool:
    out = sh(*setup.lab.exec_argv("cli", list(argv)), check=False).stdout
    return re.search(pattern, out) is not None


def test_dhclient_binds_renews_and_releases(setup: Setup) -> None:
    acks_before = stat(setup.sock, "pkt4-ack-sent")
    client = setup.procs.start("dhclient", setup.client.argv("-1", "-d"))

    bound = wait_until(lambda: setup.client.calls("BOUND"), 15.0,
                       what="dhclient BOUND")  # fmt: skip
    address = bound[0]["ip"]
    assert re.fullmatch(r"198\.51\.100\.(1\d\d|200)", address), bound
    assert bound[0]["routers"] == "198.51.100.1" and bound[0]["mask"] == "255.255.255.0"
    # The lease is the server's, the address and default route are in the client namespace.
    lease = ctl(setup.sock, "lease4-get", {"ip-address": address})
    assert lease["result"] == 0, lease
    assert lease["arguments"]["valid-lft"] == 60
    assert client_has(setup, rf"inet {re.escape(address)}/24", "ip", "-4", "addr", "show", "dev", "eth0")
    assert client_has(setup, r"default via 198\.51\.100\.1 dev eth0", "ip", "-4", "route", "show")
    pid_file = setup.client.pid_file()
    pid = int(wait_until(lambda: pid_file.read_text().strip() if pid_file.exists() else "", 5.0,
                         what="dhclient pid file"))  # fmt: skip
    assert pid == client.pid
    assert client.poll() is None
    # The OFFER and ACK went out through the raw socket, link-layer unicast to the client's MAC.
    mac = sh(*setup.lab.exec_argv("cli", ["cat", "/sys/class/net/eth0/address"])).stdout.strip()
    log = setup.procs.log("hakea-dhcp4")
    assert "DHCP4_PACKET_SEND type 2 " in log and f"to {address} port 68 (raw, to {mac})" in log, log
    # Traffic off the link now leaves through the router the server named.
    assert client_has(setup, r"via 198\.51\.100\.1 dev eth0 src " + re.escape(address),
                      "ip", "-4", "route", "get", "192.0.2.1")

    # T1 is 5 s: dhclient unicasts a REQUEST (RENEWING) and the server ACKs it.
    renewed = wait_until(lambda: setup.client.calls("RENEW"), 15.0, interval=0.2,
                         what="dhclient RENEW")
    assert renewed[0]["ip"] == address
    assert stat(setup.sock, "pkt4-ack-sent") >= acks_before + 2
    lease_after = ctl(setup.sock, "lease4-get", {"ip-address": address})
    assert lease_after["arguments"]["cltt"] > lease["arguments"]["cltt"]

    # dhclient -r stops the running client (its PID from the -pf file) and sends a RELEASE.
    released = setup.procs.start("dhclient-release", setup.client.argv("-1", "-r"))
    released.wait(timeout=15)
    client.wait(timeout=10)
    wait_until(lambda: ctl(setup.sock, "lease4-get", {"ip-address": address})["result"] == 3, 5.0,
               what="lease released on the server")
    assert "RELEASE" in [r for r, _ in setup.client.events()]
    assert stat(setup.sock, "pkt4-release-received") >= 1


def test_unicast_inform_is_answered_from_the_subnet_of_its_ciaddr(setup: Setup) -> None:
    # A host of the second subnet, on the same link, asks the server directly (unicast).
    sh("ip", "-n", setup.lab.ns("cli"), "addr", "add", "203.0.113.5/24", "dev", "eth0")
    sh("ip", "-n", setup.lab.ns("cli"), "route", "add", "198.51.100.1/32", "dev", "eth0")
    sh("ip", "-n", setup.lab.ns("srv"), "route", "add", "203.0.113.0/24", "dev", "eth0")
    r = subprocess.run(
        setup.lab.exec_argv("cli", [sys.executable, "-m", "tests.e2e.dhcp_client", "inform",
                                    "--server", "198.51.100.1", "--ciaddr", "203.0.113.5",
                                    "--mac", "02:00:00:00:77:01"]),
        capture_output=True, text=True, timeout=20, cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    reply = json.loads(r.stdout)
    assert reply is not None, setup.procs.log("hakea-dhcp4")[-2000:]
    assert reply["message_type"] == 5 and reply["ciaddr"] == "203.0.113.5" and reply["yiaddr"] == "0.0.0.0"
    assert reply["routers"] == ["203.0.113.1"]  # subnet 2's options: selected by ciaddr
    assert reply["server_id"] == "198.51.100.1"
