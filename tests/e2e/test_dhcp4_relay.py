"""hakea-dhcp4 on loopback, answering a relay agent (the test) at 127.0.0.3.

The server listens on lo/127.0.0.2 at a free port P ("-p P"); replies to a relay go to giaddr at
the server port, so the test binds 127.0.0.3:P and acts as the relay for its scripted clients.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp_client as dc
from tests.e2e.conftest import LEASE_CMDS, free_tcp_port, free_udp_port
from tests.e2e.ha_fixtures import RelayedServer4, relayed
from tests.e2e.lab import VENV_BIN, Procs, wait_until

pytestmark = pytest.mark.e2e

SERVER = "127.0.0.2"
RELAY = "127.0.0.3"
RESERVED_MAC = dc.mac_of(0xEE01)


def dhcp4_config(workdir: Path, pool: str = "192.0.2.10 - 192.0.2.19") -> dict[str, Any]:
    return {
        "interfaces-config": {"interfaces": [f"lo/{SERVER}"], "dhcp-socket-type": "udp"},
        "lease-database": {"type": "memfile", "name": str(workdir / "leases4.csv"), "lfc-interval": 0},
        "control-socket": {"socket-type": "unix", "socket-name": str(workdir / "ctl.sock")},
        "hooks-libraries": [{"library": LEASE_CMDS}],
        "valid-lifetime": 600,
        "renew-timer": 150,
        "rebind-timer": 300,
        "client-classes": [
            {"name": "vendorA", "test": "option[60].text == 'vendorA'"},
            {"name": "others", "test": "not member('vendorA')"},
        ],
        "subnet4": [
            {
                "id": 1,
                "subnet": "192.0.2.0/24",
                "relay": {"ip-addresses": [RELAY]},
                "pools": [
                    {"pool": pool, "client-class": "others"},
                    {"pool": "192.0.2.100 - 192.0.2.109", "client-class": "vendorA"},
                ],
                "option-data": [{"name": "routers", "data": "192.0.2.1"}],
                "reservations": [{"hw-address": dc.mac_str(RESERVED_MAC), "ip-address": "192.0.2.250"}],
            }
        ],
    }


@pytest.fixture(scope="module")
def server(workdir: Path, procs: Procs) -> Iterator[RelayedServer4]:
    s = RelayedServer4("hakea-dhcp4", workdir, procs, {"Dhcp4": dhcp4_config(workdir)},
                       port=free_udp_port(SERVER), control_socket=workdir / "ctl.sock")  # fmt: skip
    with relayed(s, RELAY):
        yield s


def in_range(address: str, first: str, last: str) -> bool:
    return dc.ip(first) <= dc.ip(address) <= dc.ip(last)


def test_dora_over_relay(server: RelayedServer4) -> None:
    mac = dc.mac_of(1)
    offer, ack = server.relay.dora(mac)
    assert offer.address == ack.address
    assert in_range(ack.address, "192.0.2.10", "192.0.2.19")
    assert ack.giaddr == dc.ip(RELAY) and ack.chaddr == mac
    assert ack.server_id == SERVER
    assert ack.ip_option(3) == ["192.0.2.1"]  # routers
    assert ack.u32(51) == 600 and ack.u32(58) == 150 and ack.u32(59) == 300
    lease = server.lease(ack.address)
    assert lease is not None
    assert lease["hw-address"] == dc.mac_str(mac)
    assert lease["subnet-id"] == 1 and lease["state"] == 0 and lease["valid-lft"] == 600


def test_renew_keeps_the_address(server: RelayedServer4) -> None:
    mac = dc.mac_of(2)
    _, ack = server.relay.dora(mac)
    before = server.lease(ack.address)
    renewed = server.relay.renew(mac, ack.address)
    assert renewed is not None and renewed.message_type == dc.ACK
    assert renewed.address == ack.address and renewed.ciaddr == ack.yiaddr
    after = server.lease(ack.address)
    assert before is not None and after is not None
    assert after["cltt"] >= before["cltt"]


def test_init_reboot_wrong_address_is_naked(server: RelayedServer4) -> None:
    mac = dc.mac_of(3)
    _, ack = server.relay.dora(mac)
    wrong = "192.0.2.19" if ack.address != "192.0.2.19" else "192.0.2.18"
    nak = server.relay.request(mac, wrong, None)
    assert nak is not None and nak.message_type == dc.NAK
    assert nak.yiaddr == 0
    # INIT-REBOOT for its own address is acknowledged
    ok = server.relay.request(mac, ack.address, None)
    assert ok is not None and ok.message_type == dc.ACK and ok.address == ack.address


def test_release_removes_the_lease(server: RelayedServer4) -> None:
    mac = dc.mac_of(4)
    _, ack = server.relay.dora(mac)
    assert server.lease(ack.address) is not None
    before = server.stat("pkt4-release-received")
    server.relay.release(mac, ack.address, SERVER)
    wait_until(lambda: server.lease(ack.address) is None, 3.0, what="lease released")
    assert server.stat("pkt4-release-received") == before + 1


def test_decline_puts_the_address_in_probation(server: RelayedServer4) -> None:
    mac = dc.mac_of(5)
    _, ack = server.relay.dora(mac)
    server.relay.decline(mac, ack.address, SERVER)

    def declined() -> bool:
        lease = server.lease(ack.address)
        return lease is not None and lease["state"] == 1

    wait_until(declined, 3.0, what="lease declined")
    # The declined address is not offered to the next client.
    offer = server.relay.discover(dc.mac_of(6))
    assert offer is not None and offer.message_type == dc.OFFER
    assert offer.address != ack.address


def test_pools_by_client_class(server: RelayedServer4) -> None:
    vendor = [(60, b"vendorA")]
    for n in range(3):
        _, ack = server.relay.dora(dc.mac_of(0x100 + n), vendor)
        assert in_range(ack.address, "192.0.2.100", "192.0.2.109"), ack.address
    _, plain = server.relay.dora(dc.mac_of(0x200), [(60, b"vendorB")])
    assert in_range(plain.address, "192.0.2.10", "192.0.2.19"), plain.address


def test_reservation_by_hw_address(server: RelayedServer4) -> None:
    _, ack = server.relay.dora(RESERVED_MAC)
    assert ack.address == "192.0.2.250"
    assert ack.ip_option(3) == ["192.0.2.1"]


def test_malformed_packets_are_counted_and_the_server_keeps_serving(server: RelayedServer4) -> None:
    before = server.stat("pkt4-parse-failed")
    good = dc.build(dc.DISCOVER, dc.mac_of(7), giaddr=RELAY)
    for junk in (b"garbage, not a DHCP packet", good[:100], good[:236] + b"\x63\x82"):
        server.relay.send(junk)
    wait_until(lambda: server.stat("pkt4-parse-failed") >= before + 3, 3.0, what="parse failures")
    assert server.stat("pkt4-parse-failed") == before + 3
    server.relay.dora(dc.mac_of(7))


def test_statistics_over_the_control_socket(server: RelayedServer4) -> None:
    names = ("pkt4-discover-received", "pkt4-offer-sent", "pkt4-request-received", "pkt4-ack-sent")
    before = {n: server.stat(n) for n in names}
    server.relay.dora(dc.mac_of(8))
    after = {n: server.stat(n) for n in names}
    assert all(after[n] == before[n] + 1 for n in names), (before, after)
    every = server.command("statistic-get-all")
    assert every["result"] == 0
    assert every["arguments"]["pkt4-ack-sent"][0][0] == after["pkt4-ack-sent"]
    assert server.command("statistic-get", {"name": "no-such-stat"})["arguments"] == {}


def test_statistics_through_the_operator_cli(server: RelayedServer4) -> None:
    r = subprocess.run(
        [str(VENV_BIN / "hakea"), "--socket", str(server.sock), "--json", "leases", "get", "192.0.2.250"],
        capture_output=True, text=True, timeout=20,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["arguments"]["hw-address"] == dc.mac_str(RESERVED_MAC)


def test_statistics_through_hakea_shell_and_the_control_agent(server: RelayedServer4) -> None:
    http_port = free_tcp_port()
    agent_conf = server.workdir / "ctrl-agent.conf"
    agent_conf.write_text(json.dumps({"Control-agent": {
        "http-host": "127.0.0.1", "http-port": http_port,
        "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": str(server.sock)}},
    }}))
    agent = server.procs.start("hakea-ctrl-agent",
                               [str(VENV_BIN / "hakea-ctrl-agent"), "-c", str(agent_conf)])
    try:
        def shell(command: str, args: str = "") -> Any:
            r = subprocess.run(
                [str(VENV_BIN / "hakea-shell"), "--port", str(http_port), "--service", "dhcp4", command],
                input=args, capture_output=True, text=True, timeout=20,
            )
            if r.returncode != 0:
                return None
            answer = json.loads(r.stdout)
            return answer[0] if isinstance(answer, list) else answer

        answer = wait_until(lambda: shell("statistic-get", '"name": "pkt4-ack-sent"'), 10.0, interval=0.2,
                            what="hakea-shell through hakea-ctrl-agent")
        assert answer["result"] == 0, answer
        assert answer["arguments"]["pkt4-ack-sent"][0][0] == server.stat("pkt4-ack-sent") > 0
    finally:
        server.procs.kill(agent, 15)


def test_dhcp_disable_and_enable(server: RelayedServer4) -> None:
    mac = dc.mac_of(9)
    drops = server.stat("pkt4-receive-drop")
    assert server.command("dhcp-disable")["result"] == 0
    status = server.command("status-get")["arguments"]["dhcp-state"]
    assert status == {"disabled-by": ["user"], "enabled": False}
    assert server.relay.discover(mac, timeout=0.5) is None
    assert server.stat("pkt4-receive-drop") == drops + 1
    assert server.command("dhcp-enable")["result"] == 0
    server.relay.dora(mac)
    # max-period: the hold ends by itself.
    answer = server.command("dhcp-disable", {"max-period": 1})
    assert answer["result"] == 0, answer
    assert server.relay.discover(mac, timeout=0.3) is None
    wait_until(lambda: server.relay.discover(mac, timeout=0.3) is not None, 3.0, what="max-period expiry")
