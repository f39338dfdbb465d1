"""The lease6-* commands of a running hakea-dhcp6 (Kea 2.2 texts and result codes), over its UNIX
control socket, and what they do to the DHCP service (a lease added by command is served)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config, free_udp6_port
from tests.e2e.lab import Procs

pytestmark = pytest.mark.e2e

DUID = "00:03:00:01:02:00:00:00:07:01"
SUBNETS = [
    {
        "id": 1,
        "subnet": "2001:db8:3::/64",
        "pools": [{"pool": "2001:db8:3::100 - 2001:db8:3::1ff"}],
        "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56}],
    },
    {"id": 2, "subnet": "2001:db8:4::/64", "pools": [{"pool": "2001:db8:4::10 - 2001:db8:4::20"}]},
]


@pytest.fixture(scope="module")
def server(workdir: Path, procs: Procs) -> Iterator[Server6]:
    sock = workdir / "ctl6-leases.sock"
    config = dhcp6_config(workdir, "cmds6", interfaces=["lo/::1"], subnets=SUBNETS, control_socket=sock)
    s = Server6(
        "hakea-dhcp6-cmds", workdir, procs, config, port=free_udp6_port(), control_socket=sock
    ).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(autouse=True)
def empty(server: Server6) -> None:
    server.command("lease6-wipe")


def add(server: Server6, address: str, **extra: object) -> dict[str, Any]:
    args: dict[str, object] = {"ip-address": address, "duid": DUID, "iaid": 7, **extra}
    return server.command("lease6-add", args)  # type: ignore[no-any-return]


def test_add_get_and_the_answer_texts(server: Server6) -> None:
    assert add(server, "2001:db8:3::150") == {
        "result": 0,
        "text": "Lease for address 2001:db8:3::150, subnet-id 1 added.",
    }
    assert add(server, "2001:db8:8:100::", type="IA_PD", **{"prefix-len": 56, "subnet-id": 1}) == {
        "result": 0, "text": "Lease for prefix 2001:db8:8:100::/56, subnet-id 1 added.",
    }  # fmt: skip
    again = add(server, "2001:db8:3::150")
    assert again["result"] == 1 and again["text"] == "IPv6 lease already exists."
    got = server.command("lease6-get", {"ip-address": "2001:db8:3::150"})
    assert got["result"] == 0 and got["text"] == "IPv6 lease found."
    lease = got["arguments"]
    assert (lease["duid"], lease["iaid"], lease["subnet-id"], lease["type"], lease["valid-lft"]) == (
        DUID, 7, 1, "IA_NA", 4000,
    )  # fmt: skip
    assert abs(lease["cltt"] - time.time()) < 5
    by_duid = server.command("lease6-get", {"identifier-type": "duid", "identifier": DUID, "iaid": 7,
                                            "subnet-id": 1, "type": "IA_PD"})  # fmt: skip
    assert by_duid["result"] == 0 and by_duid["arguments"]["ip-address"] == "2001:db8:8:100::"
    missing = server.command("lease6-get", {"ip-address": "2001:db8:3::151"})
    assert missing == {"result": 3, "text": "Lease not found."}


def test_subnet_checks(server: Server6) -> None:
    wrong = add(server, "2001:db8:3::5", **{"subnet-id": 2})
    assert wrong["result"] == 1
    assert wrong["text"] == "The address 2001:db8:3::5 does not belong to subnet 2001:db8:4::/64, subnet-id=2"
    unknown = add(server, "2001:db8:3::5", **{"subnet-id": 9})
    assert unknown["text"] == "Invalid subnet-id: No IPv6 subnet with subnet-id=9 currently configured."
    nowhere = add(server, "2001:db8:99::5")
    assert nowhere["text"] == "subnet-id not specified and failed to find a subnet for address 2001:db8:99::5"
    # Kea 2.2: an IA_PD (or IA_TA) lease needs its subnet-id
    prefix = add(server, "2001:db8:8:100::", type="IA_PD", **{"prefix-len": 56})
    assert prefix["result"] == 1 and prefix["text"].startswith("Subnet-id is 0 or not specified.")


def test_get_all_page_duid_hostname(server: Server6) -> None:
    for i in range(5):
        add(server, f"2001:db8:3::1{i}0", hostname=f"host{i}.example.org")
    add(server, "2001:db8:4::11", iaid=9)
    everything = server.command("lease6-get-all")
    assert everything["text"] == "6 IPv6 lease(s) found." and len(everything["arguments"]["leases"]) == 6
    only_2 = server.command("lease6-get-all", {"subnets": [2]})
    assert [le["ip-address"] for le in only_2["arguments"]["leases"]] == ["2001:db8:4::11"]
    seen: list[str] = []
    cursor = "start"
    while True:
        page = server.command("lease6-get-page", {"from": cursor, "limit": 2})
        if page["result"] == 3:
            assert page["text"] == "0 IPv6 lease(s) found."
            break
        leases = page["arguments"]["leases"]
        assert page["arguments"]["count"] == len(leases) <= 2
        seen += [le["ip-address"] for le in leases]
        cursor = leases[-1]["ip-address"]
    assert seen == sorted(seen, key=lambda a: dc.addr(a)) and len(seen) == 6
    assert server.command("lease6-get-by-duid", {"duid": DUID})["text"] == "6 IPv6 lease(s) found."
    named = server.command("lease6-get-by-hostname", {"hostname": "host3.example.org"})
    assert [le["ip-address"] for le in named["arguments"]["leases"]] == ["2001:db8:3::130"]
    bad = server.command("lease6-get-page", {"from": "nonsense", "limit": 2})
    assert bad["result"] == 1 and "neither 'start' keyword nor a valid IPv6 address" in bad["text"]


def test_update_delete_and_wipe(server: Server6) -> None:
    add(server, "2001:db8:3::160")
    updated = server.command("lease6-update", {"ip-address": "2001:db8:3::160", "duid": DUID, "iaid": 7,
                                               "hostname": "renamed"})  # fmt: skip
    assert updated == {"result": 0, "text": "IPv6 lease updated."}
    assert server.lease("2001:db8:3::160")["hostname"] == "renamed"  # type: ignore[index]
    absent = server.command("lease6-update", {"ip-address": "2001:db8:3::161", "duid": DUID, "iaid": 7})
    assert absent["result"] == 1 and "either because the lease has been deleted" in absent["text"]
    forced = server.command("lease6-update", {"ip-address": "2001:db8:3::161", "duid": DUID, "iaid": 7,
                                              "force-create": True})  # fmt: skip
    assert forced == {"result": 0, "text": "IPv6 lease added."}
    assert server.command("lease6-del", {"ip-address": "2001:db8:3::160"}) == {
        "result": 0,
        "text": "IPv6 lease deleted.",
    }
    assert server.command("lease6-del", {"ip-address": "2001:db8:3::160"}) == {
        "result": 3,
        "text": "IPv6 lease not found.",
    }
    add(server, "2001:db8:4::12")
    wiped = server.command("lease6-wipe", {"subnet-id": 2})
    assert wiped == {"result": 0, "text": "Deleted 1 IPv6 lease(s) from subnet(s) 2"}
    assert server.command("lease6-wipe")["text"] == "Deleted 1 IPv6 lease(s) from subnet(s) 1 2"


def test_bulk_apply(server: Server6) -> None:
    add(server, "2001:db8:3::170")
    expire = int(time.time()) + 4000
    lease = {"duid": DUID, "iaid": 3, "ip-address": "2001:db8:3::171", "preferred-lft": 3000,
             "valid-lft": 4000, "expire": expire, "subnet-id": 1, "type": "IA_NA", "state": 0,
             "fqdn-fwd": False, "fqdn-rev": False, "hostname": ""}  # fmt: skip
    prefix = {**lease, "ip-address": "2001:db8:8:200::", "type": "IA_PD", "prefix-len": 56}
    answer = server.command("lease6-bulk-apply", {
        "deleted-leases": [{"ip-address": "2001:db8:3::170", "type": "IA_NA"}],
        "leases": [lease, prefix],
    })  # fmt: skip
    assert answer == {"result": 0, "text": "Bulk apply of 3 IPv6 leases completed."}
    assert server.lease("2001:db8:3::170") is None
    stored = server.lease("2001:db8:3::171")
    assert stored is not None and stored["cltt"] == expire - 4000
    assert server.lease("2001:db8:8:200::", "IA_PD") is not None
    # Kea 2.2: a bad entry fails the whole command; a missing lease to delete is listed apart.
    refused = server.command("lease6-bulk-apply", {
        "deleted-leases": [{"ip-address": "2001:db8:3::171", "type": "IA_NA"}],
        "leases": [{**lease, "subnet-id": 42}],
    })  # fmt: skip
    assert refused["result"] == 1 and "subnet-id=42" in refused["text"], refused
    assert server.lease("2001:db8:3::171") is not None
    partly = server.command("lease6-bulk-apply", {
        "deleted-leases": [{"ip-address": "2001:db8:3::1ff", "type": "IA_NA"}],
    })  # fmt: skip
    assert partly["result"] == 3 and partly["text"] == "Bulk apply of 0 IPv6 leases completed."
    failed = partly["arguments"]["failed-deleted-leases"]
    assert [(f["ip-address"], f["result"]) for f in failed] == [("2001:db8:3::1ff", 3)]


def test_a_lease_added_by_command_is_served_to_its_client(server: Server6) -> None:
    assert server.port is not None
    duid = dc.duid_ll(0x701)
    add(server, "2001:db8:3::1e0", duid=duid.hex(":"), iaid=1)
    relay = dc.Relay6(("::1", server.port), link="2001:db8:3::1")
    try:
        advertise = relay.solicit(duid, dc.ia_na(1))
        assert advertise is not None and advertise.addresses() == ["2001:db8:3::1e0"]
    finally:
        relay.close()
