"""A real ISC `dhclient -6` against hakea-dhcp6 over Ethernet (veth + bridge in namespaces).

The server namespace has 2001:db8:1::1/64 on eth0; hakea-dhcp6 listens on eth0 (port 547, joined
to ff02::1:2) with a subnet bound to "interface": "eth0", as Kea wants for directly connected
clients. The client talks from its link-local address, which must have finished duplicate
address detection first (a tentative address cannot be bound).
"""

from __future__ import annotations

import ipaddress
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import need
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config
from tests.e2e.ha_fixtures import running
from tests.e2e.lab import Dhclient, Lab, Procs, lab, sh, wait_until

pytestmark = pytest.mark.e2e

DHCLIENT_CONF = "request dhcp6.name-servers;\n"


@dataclass
class Setup:
    lab: Lab
    procs: Procs
    workdir: Path
    server: Server6
    client: Dhclient  # clients "na" and "pd"


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
    with lab("hk6") as the_lab:
        the_lab.add_host("srv", v6="2001:db8:1::1/64")
        the_lab.add_host("cli")
        the_lab.wait_dad("srv", "cli")
        client = Dhclient(the_lab, workdir, "dhclient6", 6, DHCLIENT_CONF)
        server = Server6("hakea-dhcp6-eth", workdir, procs, config, control_socket=sock,
                         argv_prefix=the_lab.exec_argv("srv", []))  # fmt: skip
        with running(server), client:  # client: stops a dhclient left over by a failed test
            yield Setup(the_lab, procs, workdir, server, client)


def test_dhclient_gets_an_address_renews_and_releases(setup: Setup) -> None:
    client = setup.procs.start("dhclient6", setup.client.argv("-1", "-d", name="na"))
    bound = wait_until(lambda: setup.client.calls("BOUND6", having="ip6"), 20.0,
                       interval=0.2, what="dhclient BOUND6")  # fmt: skip
    address = bound[0]["ip6"]
    assert re.fullmatch(r"2001:db8:1::1[0-9a-f]{2}", address), bound
    assert bound[0]["dns"] == "2001:db8:1::53"
    lease = setup.server.lease(address)
    assert lease is not None and lease["valid-lft"] == 30 and lease["subnet-id"] == 1
    # the client's DUID is the one dhclient stored in its lease file
    leases_text = (setup.workdir / "dhclient6-na.leases").read_text()
    assert "default-duid" in leases_text
    assert (
        sh(*setup.lab.exec_argv("cli", ["ip", "-6", "addr", "show", "dev", "eth0"])).stdout.count(address)
        == 1
    )
    # T1 is 4 s: dhclient renews (multicast Renew, with our server identifier) and gets a Reply
    wait_until(lambda: setup.client.calls("RENEW6"), 20.0, interval=0.2, what="dhclient RENEW6")
    assert setup.server.stat("pkt6-renew-received") >= 1
    # dhclient -r: stop the running client and release
    released = setup.procs.start("dhclient6-release", setup.client.argv("-1", "-r", name="na"))
    released.wait(timeout=20)
    client.wait(timeout=10)
    wait_until(lambda: setup.server.lease(address) is None, 5.0, what="lease released on the server")
    assert setup.server.stat("pkt6-release-received") >= 1


def test_dhclient_gets_a_delegated_prefix(setup: Setup) -> None:
    client = setup.procs.start("dhclient6-pd", setup.client.argv("-1", "-P", "-d", name="pd"))
    try:
        bound = wait_until(lambda: setup.client.calls("BOUND6", having="prefix"), 20.0,
                           interval=0.2, what="dhclient BOUND6 with a prefix")  # fmt: skip
        prefix = bound[0]["prefix"]
        network = ipaddress.IPv6Network(prefix)
        assert network.prefixlen == 60 and network.subnet_of(ipaddress.IPv6Network("2001:db8:80::/48")), bound
        lease = setup.server.lease(prefix.split("/")[0], "IA_PD")
        assert lease is not None and lease["prefix-len"] == 60
    finally:
        setup.procs.kill(client, signal.SIGTERM)
