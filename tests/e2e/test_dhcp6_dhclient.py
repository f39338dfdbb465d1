"""A real ISC `dhclient -6` against hakea-dhcp6 over Ethernet (veth + bridge in namespaces).

The server namespace has 2001:db8:1::1/64 on eth0; hakea-dhcp6 listens on eth0 (port 547, joined
to ff02::1:2) with a subnet bound to "interface": "eth0", as Kea wants for directly connected
clients. The client talks from its link-local address, which must have finished duplicate
address detection first (a tentative address cannot be bound).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import need
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config
from tests.e2e.lab import Lab, Procs, lab, sh, wait_until

pytestmark = pytest.mark.e2e

CLIENT_SCRIPT = r"""#!/bin/bash
# dhclient-script for the test: record what happened, apply the address to the interface.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "$reason ip6=$new_ip6_address plen=$new_ip6_prefixlen prefix=$new_ip6_prefix" \
  "dns=$new_dhcp6_name_servers" >> "@LOG@"
case "$reason" in
  BOUND6|RENEW6|REBIND6|REBOOT6)
    if [ -n "$new_ip6_address" ]; then ip -6 addr replace "$new_ip6_address/128" dev "$interface" nodad; fi ;;
  RELEASE6|EXPIRE6|STOP6)
    if [ -n "$old_ip6_address" ]; then ip -6 addr del "$old_ip6_address/128" dev "$interface"; fi ;;
esac
exit 0
"""

DHCLIENT_CONF = "request dhcp6.name-servers;\n"


@dataclass
class Setup:
    lab: Lab
    procs: Procs
    workdir: Path
    server: Server6

    def client_argv(self, name: str, *extra: str) -> list[str]:
        w = self.workdir
        return self.lab.exec_argv("cli", [
            "dhclient", "-6", "-1", "-v", *extra, "-cf", str(w / "dhclient6.conf"),
            "-lf", str(w / f"{name}.leases"), "-pf", str(w / f"{name}.pid"), "-sf", str(w / "script6.sh"),
            "eth0",
        ])  # fmt: skip

    def events(self) -> list[tuple[str, dict[str, str]]]:
        log = self.workdir / "events6.log"
        if not log.exists():
            return []
        found = []
        for line in log.read_text().splitlines():
            reason, *fields = line.split()
            found.append((reason, dict(f.split("=", 1) for f in fields if "=" in f)))
        return found


def _dad_done(the_lab: Lab, short: str) -> bool:
    out = sh("ip", "-n", the_lab.ns(short), "-6", "addr", "show", "dev", "eth0", check=False).stdout
    return "fe80::" in out and "tentative" not in out


@pytest.fixture(scope="module")
def setup(workdir: Path, procs: Procs) -> Iterator[Setup]:
    need("dhclient", "ip")
    sock = workdir / "ctl6-dhclient.sock"
    subnet = {
        "id": 1,
        "subnet": "2001:db8:1::/64",
        "interface": "eth0",
        "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
        "pd-pools": [{"prefix": "2001:db8:80::", "prefix-len": 48, "delegated-len": 60}],
        "option-data": [{"name": "dns-servers", "data": "2001:db8:1::53"}],
    }
    config = dhcp6_config(workdir, "dhclient6", interfaces=["eth0"], subnets=[subnet], control_socket=sock,
                          extra={"renew-timer": 4, "rebind-timer": 8, "preferred-lifetime": 20,
                                 "valid-lifetime": 30})  # fmt: skip
    (workdir / "script6.sh").write_text(CLIENT_SCRIPT.replace("@LOG@", str(workdir / "events6.log")))
    (workdir / "script6.sh").chmod(0o755)
    (workdir / "dhclient6.conf").write_text(DHCLIENT_CONF)
    with lab("hk6") as the_lab:
        the_lab.add_host("srv", v6="2001:db8:1::1/64")
        the_lab.add_host("cli")
        wait_until(lambda: _dad_done(the_lab, "srv") and _dad_done(the_lab, "cli"), 10.0, interval=0.1,
                   what="link-local addresses out of DAD")  # fmt: skip
        server = Server6("hakea-dhcp6-eth", workdir, procs, config, control_socket=sock,
                         argv_prefix=the_lab.exec_argv("srv", [])).start()  # fmt: skip
        try:
            yield Setup(the_lab, procs, workdir, server)
        finally:
            for pid_file in workdir.glob("*.pid"):  # a dhclient left over by a failed test
                with contextlib.suppress(ValueError, ProcessLookupError):
                    os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            server.stop()


def test_dhclient_gets_an_address_renews_and_releases(setup: Setup) -> None:
    client = setup.procs.start("dhclient6", setup.client_argv("na", "-d"))
    bound = wait_until(lambda: [f for r, f in setup.events() if r == "BOUND6" and f.get("ip6")], 20.0,
                       interval=0.2, what="dhclient BOUND6")  # fmt: skip
    address = bound[0]["ip6"]
    assert re.fullmatch(r"2001:db8:1::1[0-9a-f]{2}", address), bound
    assert bound[0]["dns"] == "2001:db8:1::53"
    lease = setup.server.lease(address)
    assert lease is not None and lease["valid-lft"] == 30 and lease["subnet-id"] == 1
    # the client's DUID is the one dhclient stored in its lease file
    leases_text = (setup.workdir / "na.leases").read_text()
    assert "default-duid" in leases_text
    assert (
        sh(*setup.lab.exec_argv("cli", ["ip", "-6", "addr", "show", "dev", "eth0"])).stdout.count(address)
        == 1
    )
    # T1 is 4 s: dhclient renews (multicast Renew, with our server identifier) and gets a Reply
    wait_until(
        lambda: [f for r, f in setup.events() if r == "RENEW6"], 20.0, interval=0.2, what="dhclient RENEW6"
    )
    assert setup.server.stat("pkt6-renew-received") >= 1
    # dhclient -r: stop the running client and release
    released = setup.procs.start("dhclient6-release", setup.client_argv("na", "-r"))
    released.wait(timeout=20)
    client.wait(timeout=10)
    wait_until(lambda: setup.server.lease(address) is None, 5.0, what="lease released on the server")
    assert setup.server.stat("pkt6-release-received") >= 1


def test_dhclient_gets_a_delegated_prefix(setup: Setup) -> None:
    client = setup.procs.start("dhclient6-pd", setup.client_argv("pd", "-P", "-d"))
    try:
        bound = wait_until(lambda: [f for r, f in setup.events() if r == "BOUND6" and f.get("prefix")], 20.0,
                           interval=0.2, what="dhclient BOUND6 with a prefix")  # fmt: skip
        prefix = bound[0]["prefix"]
        network = ipaddress.IPv6Network(prefix)
        assert network.prefixlen == 60 and network.subnet_of(ipaddress.IPv6Network("2001:db8:80::/48")), bound
        lease = setup.server.lease(prefix.split("/")[0], "IA_PD")
        assert lease is not None and lease["prefix-len"] == 60
    finally:
        setup.procs.kill(client, signal.SIGTERM)
