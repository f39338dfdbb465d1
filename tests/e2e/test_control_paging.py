"""lease4-get-page over HTTP to a real hakea-dhcp4 holding 25,000 leases, while a relay keeps
allocating new ones.

The daemon loads a Kea memfile CSV written here (25,000 leases: the first 15,000 addresses of the
pool, a hole of 5,000, then 10,000 more) and serves its HA peer URL (one-server hot-standby: the
standby is absent, so it goes partner-down and serves every client). A thread acts as a relay agent
doing DORAs with fresh clients the whole time; the iterative allocator fills the hole, which lies
ahead of the paging cursor once the first page is fetched. Between two pages the test waits until
new leases have been acknowledged, so every page after the first comes from a lease database that
changed since the previous one. The pages (limit 10,000, "from" = the last address of the previous
page, as Kea's HA sync does) must hold every preloaded lease exactly once, in address order, every
lease acknowledged ahead of the cursor before the page was asked for, and nothing that was never a
lease.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp_client as dc
from tests.e2e.conftest import free_tcp_port, free_udp_port, start_hakea
from tests.e2e.control_helpers import Http, dhcp4_config, ha_one_server, write_json
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

SERVER = "127.0.0.2"
RELAY = "127.0.0.3"
PRELOADED = 25_000
LIMIT = 10_000
FIRST = int(ipaddress.IPv4Address("10.10.0.10"))
VALID = 86_400


HOLE = range(15_000, 20_000)  # pool positions left free: the allocator fills these first


def preloaded_addresses() -> list[str]:
    positions = [n for n in range(PRELOADED + len(HOLE)) if n not in HOLE]
    return [str(ipaddress.IPv4Address(FIRST + n)) for n in positions]


def write_lease_file(path: Path, addresses: list[str]) -> None:
    """Kea 2.2's memfile lease4 CSV (written here, not by hakea's own writer)."""
    expire = int(time.time()) + VALID
    rows = ["address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,"
            "user_context"]  # fmt: skip
    for n, address in enumerate(addresses):
        mac = dc.mac_str(b"\x0a" + n.to_bytes(5, "big"))
        rows.append(f"{address},{mac},,{VALID},{expire},1,0,0,host{n}.example.org,0,")
    path.write_text("\n".join(rows) + "\n")


@dataclass
class Allocator:
    """A relay agent doing DORAs with new clients until stopped; `acked` are the addresses ACKed."""

    relay: dc.Relay
    acked: list[str] = field(default_factory=list)
    failures: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            mac = dc.mac_of(0x700000 + n)
            # Generous waits: the daemon answers no DHCP while it serialises a page.
            offer = self.relay.discover(mac, timeout=5.0)
            ack = None
            if offer is not None and offer.message_type == dc.OFFER:
                ack = self.relay.request(mac, offer.address, offer.server_id, timeout=5.0)
            if ack is not None and ack.message_type == dc.ACK:
                with self.lock:
                    self.acked.append(ack.address)
            else:
                self.failures += 1

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def allocated(allocator: Allocator, n: int) -> Callable[[], bool]:
    return lambda: allocator.count() >= n


@dataclass
class Setup:
    http: Http
    allocator: Allocator
    thread: threading.Thread


@pytest.fixture(scope="module")
def setup(workdir: Path, procs: Procs) -> Iterator[Setup]:
    port, peer_port = free_udp_port(SERVER), free_tcp_port()
    lease_file = workdir / "paging-leases4.csv"
    write_lease_file(lease_file, preloaded_addresses())
    subnet = {"id": 1, "subnet": "10.10.0.0/16", "relay": {"ip-addresses": [RELAY]},
              "pools": [{"pool": "10.10.0.10 - 10.10.255.250"}], "valid-lifetime": VALID}  # fmt: skip
    config = dhcp4_config(
        workdir,
        "paging",
        interfaces=[f"lo/{SERVER}"],
        subnets=[subnet],
        hooks=[ha_one_server(f"http://{SERVER}:{peer_port}/", f"http://127.0.0.9:{peer_port}/")],
    )
    config["Dhcp4"]["lease-database"]["name"] = str(lease_file)
    start_hakea(
        procs,
        "hakea-paging",
        write_json(workdir / "paging.json", config),
        workdir / "paging.sock",
        port=port,
        timeout=30.0,
    )
    http = Http(SERVER, peer_port)
    relay = dc.Relay(RELAY, SERVER, port)
    allocator = Allocator(relay)
    # Serving once HA has given up on the absent standby (partner-down).
    wait_until(
        lambda: http.command("ha-heartbeat")["arguments"]["state"] == "partner-down",
        15.0,
        interval=0.2,
        what="partner-down",
    )
    thread = threading.Thread(target=allocator.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: allocator.count() >= 5, 15.0, what="the first allocations")
        yield Setup(http, allocator, thread)
    finally:
        allocator.stop.set()
        thread.join(15)
        relay.close()
        http.close()


def test_pages_of_10000_are_complete_ordered_and_unique_while_leases_are_allocated(setup: Setup) -> None:
    pages: list[list[dict[str, Any]]] = []
    during: list[int] = []  # allocations acknowledged between two page requests
    ahead: list[str] = []  # acknowledged, before a page was asked for, beyond that page's "from"
    start = "start"
    while True:
        before = setup.allocator.count()
        if start != "start":
            cursor = ipaddress.IPv4Address(start)
            with setup.allocator.lock:
                ahead += [a for a in setup.allocator.acked if ipaddress.IPv4Address(a) > cursor]
        answer = setup.http.command("lease4-get-page", {"from": start, "limit": LIMIT})
        assert answer["result"] in (0, 3), answer
        args = answer["arguments"]
        assert list(args) == ["count", "leases"] and args["count"] == len(args["leases"]), list(args)
        assert answer["text"] == f"{args['count']} IPv4 lease(s) found."
        pages.append(args["leases"])
        if len(args["leases"]) < LIMIT:
            break
        start = args["leases"][-1]["ip-address"]
        # Let the relay get new leases into the database before the next page is asked for.
        wait_until(allocated(setup.allocator, before + 20), 20.0, what="allocations between pages")
        during.append(setup.allocator.count() - before)
    setup.allocator.stop.set()
    setup.thread.join(15)

    fetched = [lease["ip-address"] for page in pages for lease in page]
    as_ints = [int(ipaddress.IPv4Address(a)) for a in fetched]
    assert as_ints == sorted(as_ints), "pages are not in address order"
    assert len(set(as_ints)) == len(as_ints), "a lease came twice"
    assert [len(p) for p in pages[:2]] == [LIMIT, LIMIT] and len(pages) >= 3
    missing = set(preloaded_addresses()) - set(fetched)
    assert not missing, f"{len(missing)} preloaded leases missing, e.g. {sorted(missing)[:5]}"
    acked = set(setup.allocator.acked)
    assert set(fetched) <= set(preloaded_addresses()) | acked, "a page listed an address that is no lease"
    assert len(during) >= 2 and all(n >= 20 for n in during), during
    assert not acked & set(preloaded_addresses()), "an allocated address was already leased"
    # Leases created ahead of the cursor while paging are in the later pages.
    assert len(set(ahead)) >= 20 and set(ahead) <= set(fetched), sorted(set(ahead) - set(fetched))[:5]
    # Nothing lost either: the daemon holds every preloaded and every acknowledged lease.
    everything = setup.http.command("lease4-get-all")["arguments"]["leases"]
    assert len(everything) == PRELOADED + len(acked)
