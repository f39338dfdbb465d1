"""hakea-dhcp6 serving relayed clients on loopback: the test is the relay agent (Relay-forw to ::1,
answered at the relay's own port thanks to the Relay Source Port option, RFC 8357).

Covers the whole message set over the wire: Solicit/Advertise/Request/Reply for addresses and
prefixes, rapid commit, Renew, Release, Decline, Confirm, Information-request, the pkt6-*
statistics, the config commands and `hakea-dhcp6 -t`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import HAKEA_DHCP6, Server6, dhcp6_config, free_udp6_port
from tests.e2e.lab import Procs

pytestmark = pytest.mark.e2e

SUBNETS = [
    {
        "id": 1,
        "subnet": "2001:db8:1::/64",
        "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
        "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56}],
        "option-data": [{"name": "dns-servers", "data": "2001:db8:1::53"}],
    },
    {
        "id": 2,
        "subnet": "2001:db8:2::/64",
        "rapid-commit": True,
        "pools": [{"pool": "2001:db8:2::10 - 2001:db8:2::20"}],
    },
]


@pytest.fixture(scope="module")
def server(workdir: Path, procs: Procs) -> Iterator[Server6]:
    port = free_udp6_port()
    sock = workdir / "ctl6.sock"
    config = dhcp6_config(workdir, "relay6", interfaces=["lo/::1"], subnets=SUBNETS, control_socket=sock,
                          extra={"decline-probation-period": 600})  # fmt: skip
    s = Server6("hakea-dhcp6", workdir, procs, config, port=port, control_socket=sock).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def relay(server: Server6) -> Iterator[dc.Relay6]:
    assert server.port is not None
    r = dc.Relay6(("::1", server.port))
    try:
        yield r
    finally:
        r.close()


def test_solicit_request_address_and_prefix(server: Server6, relay: dc.Relay6) -> None:
    duid = dc.duid_ll(0x101)
    advertise, reply = relay.sarr(duid, pd=True)
    assert advertise.addresses() == reply.addresses() and advertise.prefixes() == reply.prefixes()
    address, prefix = reply.address, reply.prefixes()[0]
    assert address.startswith("2001:db8:1::") and prefix.endswith("/56")
    assert (
        reply.server_id
        == bytes.fromhex("0003000102000000")
        + bytes.fromhex(server.config["Dhcp6"]["server-id"]["identifier"])[-2:]
    )
    assert reply.get(dc.OPT_CLIENTID) == duid
    assert reply.get(23) == dc.addr("2001:db8:1::53")  # dns-servers, asked for in the ORO
    assert (dc.OPT_INTERFACE_ID, b"port-1") in reply.relay_options  # echoed (RFC 8415 19.3)
    [na] = [ia for ia in reply.ias if ia.kind == dc.OPT_IA_NA]
    assert (na.t1, na.t2) == (1500, 2400) and na.resources[0][2:] == (3000, 4000)
    lease = server.lease(address)
    assert lease is not None and lease["duid"] == duid.hex(":") and lease["subnet-id"] == 1
    pd = server.lease(prefix.split("/")[0], "IA_PD")
    assert pd is not None and pd["prefix-len"] == 56 and pd["type"] == "IA_PD"


def test_renew_release_and_decline(server: Server6, relay: dc.Relay6) -> None:
    duid = dc.duid_ll(0x102)
    _, reply = relay.sarr(duid)
    address, sid = reply.address, reply.server_id
    assert sid is not None
    renewed = relay.renew(duid, sid, dc.ia_na(1, address))
    assert renewed is not None and renewed.addresses() == [address]
    released = relay.release(duid, sid, dc.ia_na(1, address))
    assert released is not None and released.status == (0, "Summary status for all processed IA_NAs")
    assert server.lease(address) is None
    # a second client declines its address: it stays in the store, in probation
    duid2 = dc.duid_ll(0x103)
    _, reply2 = relay.sarr(duid2)
    declined = relay.decline(duid2, sid, dc.ia_na(1, reply2.address))
    assert declined is not None and declined.ias[0].status == (
        0,
        "Lease declined. Hopefully the next one will be better.",
    )
    lease = server.lease(reply2.address)
    assert lease is not None and lease["state"] == 1 and lease["valid-lft"] == 600


def test_rapid_commit_on_the_subnet_that_allows_it(server: Server6) -> None:
    assert server.port is not None
    relay = dc.Relay6(("::1", server.port), link="2001:db8:2::1")
    try:
        reply = relay.solicit(dc.duid_ll(0x104), dc.ia_na(7), rapid=True)
        assert reply is not None and reply.msg_type == dc.REPLY and reply.get(dc.OPT_RAPID_COMMIT) == b""
        assert server.lease(reply.address) is not None
    finally:
        relay.close()


def test_confirm_and_information_request(relay: dc.Relay6) -> None:
    on_link = relay.exchange(
        dc.CONFIRM, dc.opt(dc.OPT_CLIENTID, dc.duid_ll(5)), dc.ia_na(1, "2001:db8:1::777")
    )
    assert on_link is not None and on_link.status is not None and on_link.status[0] == 0
    off_link = relay.exchange(
        dc.CONFIRM, dc.opt(dc.OPT_CLIENTID, dc.duid_ll(5)), dc.ia_na(1, "2001:db8:99::1")
    )
    assert off_link is not None and off_link.status is not None and off_link.status[0] == 4  # NotOnLink
    info = relay.exchange(dc.INFORMATION_REQUEST, dc.opt(dc.OPT_CLIENTID, dc.duid_ll(5)),
                          dc.opt(dc.OPT_ORO, (23).to_bytes(2, "big")))  # fmt: skip
    assert info is not None and info.msg_type == dc.REPLY and info.ias == []
    assert info.get(23) == dc.addr("2001:db8:1::53")


def test_unknown_link_and_wrong_server_id(server: Server6) -> None:
    assert server.port is not None
    relay = dc.Relay6(("::1", server.port), link="2001:db8:77::1")
    try:
        advertise = relay.solicit(dc.duid_ll(0x105))
        assert advertise is not None and advertise.ias[0].status is not None
        assert advertise.ias[0].status[0] == 2  # NoAddrsAvail: no subnet for that link
        drops = server.stat("pkt6-receive-drop")
        assert relay.request(dc.duid_ll(0x105), b"\x00\x03\x00\x01abcdef", dc.ia_na(1), timeout=0.5) is None
        assert server.stat("pkt6-receive-drop") == drops + 1
    finally:
        relay.close()


def test_statistics(server: Server6, relay: dc.Relay6) -> None:
    before = {n: server.stat(n) for n in ("pkt6-solicit-received", "pkt6-advertise-sent", "pkt6-reply-sent",
                                          "pkt6-request-received", "subnet[1].assigned-nas")}  # fmt: skip
    relay.sarr(dc.duid_ll(0x106))
    after = {n: server.stat(n) for n in before}
    assert {n: after[n] - before[n] for n in before} == {
        "pkt6-solicit-received": 1, "pkt6-advertise-sent": 1, "pkt6-reply-sent": 1,
        "pkt6-request-received": 1, "subnet[1].assigned-nas": 1,
    }  # fmt: skip
    assert server.stat("subnet[1].total-pds") == 256


def test_config_commands_and_check_mode(server: Server6, workdir: Path) -> None:
    got = server.command("config-get")
    assert got["result"] == 0 and got["arguments"]["Dhcp6"]["subnet6"][0]["id"] == 1
    bad = server.command("config-test", {"Dhcp6": {"subnet6": [{"subnet": "2001:db8::/64", "bogus": 1}]}})
    assert bad["result"] == 1 and "bogus" in bad["text"]
    ok = server.command("config-test", got["arguments"])
    assert ok["result"] == 0
    status = server.command("status-get")["arguments"]
    assert status["sockets"] == {"status": "ready"} and status["dhcp-state"]["enabled"] is True
    disabled = server.command("dhcp-disable", {"max-period": 30})
    assert disabled == {"result": 0, "text": "DHCPv6 service disabled for 30 seconds"}
    assert server.command("dhcp-enable")["result"] == 0
    # -t: the configuration check mode
    good_file = server.config_path
    assert subprocess.run([HAKEA_DHCP6, "-t", str(good_file)], capture_output=True).returncode == 0
    bad_file = workdir / "bad6.json"
    bad_file.write_text(json.dumps({"Dhcp6": {"subnet6": [{"subnet": "not-a-prefix"}]}}))
    checked = subprocess.run([HAKEA_DHCP6, "-t", str(bad_file)], capture_output=True, text=True)
    assert checked.returncode == 1 and "subnet6[0]" in checked.stderr
