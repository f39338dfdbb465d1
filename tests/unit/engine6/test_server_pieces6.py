"""The daemon's pure helpers: server DUID, statistics recount, lease6 command parsing and
lease6-bulk-apply, hardware address derivation and interface entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from hakea.config.model6 import PdPool6, Pool6, ServerId, Subnet6
from hakea.control.registry import CommandError
from hakea.dhcp6.hwaddr6 import (
    HWADDR_SOURCE_CLIENT_ADDR_RELAY_OPTION,
    HWADDR_SOURCE_DUID,
    HWADDR_SOURCE_IPV6_LINK_LOCAL,
    client_hwaddr,
)
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType
from hakea.server.duid6 import make_duid, server_duid
from hakea.server.lease_cmds6 import bulk_apply, lease_from_args
from hakea.server.sockets6 import parse_spec6
from hakea.server.stats import Statistics
from hakea.server.stats6 import recount6

from .builders import ip6

NOW = 1_700_000_000.0
MAC = bytes.fromhex("020000abcdef")
SUBNET = Subnet6(1, ip6("2001:db8:1::"), 64, pools=(Pool6(ip6("2001:db8:1::100"), ip6("2001:db8:1::1ff")),),
                 pd_pools=(PdPool6(ip6("2001:db8:8::"), 48, 56),), valid_lifetime=4000)  # fmt: skip


def test_duid_types() -> None:
    llt = make_duid(ServerId("LLT"), MAC, NOW)
    assert llt[:4] == bytes.fromhex("00010001") and llt[8:] == MAC
    assert int.from_bytes(llt[4:8], "big") == int(NOW) - 946684800  # seconds since 2000-01-01
    assert make_duid(ServerId("LL", htype=1), MAC, NOW) == bytes.fromhex("00030001") + MAC
    en = make_duid(ServerId("EN", identifier=b"\x01\x02", enterprise_id=2495), MAC, NOW)
    assert en == bytes.fromhex("0002000009bf0102")
    given = make_duid(ServerId("LL", identifier=b"\xaa\xbb"), MAC, NOW)
    assert given == bytes.fromhex("00030001aabb")


def test_server_duid_persists_and_is_reused(tmp_path: Path) -> None:
    path = str(tmp_path / "kea-dhcp6-serverid")
    first = server_duid(ServerId("LLT"), path, MAC, NOW)
    assert Path(path).read_text().strip() == first.hex(":")
    # a later start (another clock, another MAC) keeps the stored identity
    assert server_duid(ServerId("LLT"), path, bytes(6), NOW + 1000) == first
    # unless the configuration names the identifier, or asks for another type
    assert server_duid(ServerId("LL", identifier=MAC), path, b"", NOW) == bytes.fromhex("00030001") + MAC
    assert server_duid(ServerId("EN", identifier=b"\x01"), path, b"", NOW)[:2] == b"\x00\x02"
    unpersisted = server_duid(ServerId("LLT", persist=False), str(tmp_path / "none"), MAC, NOW)
    assert unpersisted[8:] == MAC and not (tmp_path / "none").exists()


def test_recount6() -> None:
    stats = Statistics()
    leases = [
        Lease6(ip6("2001:db8:1::100"), b"\x01", 1, 100, 50, 0, 1),
        Lease6(ip6("2001:db8:1::101"), b"\x00", 1, 100, 50, 0, 1, state=LeaseState.DECLINED),
        Lease6(ip6("2001:db8:1::102"), b"\x02", 1, 100, 50, 0, 1, state=LeaseState.EXPIRED_RECLAIMED),
        Lease6(ip6("2001:db8:8::"), b"\x01", 1, 100, 50, 0, 1, LeaseType.PD, 56),
    ]
    recount6(stats, [SUBNET], leases, NOW)
    assert stats.get("subnet[1].total-nas") == 256 and stats.get("subnet[1].total-pds") == 256
    assert stats.get("subnet[1].assigned-nas") == 2 and stats.get("subnet[1].assigned-pds") == 1
    assert stats.get("subnet[1].declined-addresses") == 1 and stats.get("declined-addresses") == 1
    huge = Subnet6(
        2,
        ip6("2001:db8:2::"),
        64,
        pools=(Pool6(ip6("2001:db8:2::"), ip6("2001:db8:2::ffff:ffff:ffff:ffff")),),
    )
    recount6(stats, [huge], [], NOW)
    assert stats.get("subnet[2].total-nas") == (1 << 63) - 1 and stats.get("subnet[1].total-nas") is None


def test_lease_from_args_defaults_and_checks() -> None:
    lease = lease_from_args({"ip-address": "2001:db8:1::5", "duid": "00:01", "iaid": 3}, (SUBNET,), NOW)
    assert (lease.subnet_id, lease.valid_lft, lease.preferred_lft, lease.cltt) == (1, 4000, 4000, int(NOW))
    prefix = lease_from_args({"ip-address": "2001:db8:8:100::", "type": "IA_PD", "prefix-len": 56,
                              "duid": "00:01", "iaid": 3, "subnet-id": 1}, (SUBNET,), NOW)  # fmt: skip
    assert prefix.type == LeaseType.PD and prefix.subnet_id == 1
    with pytest.raises(CommandError, match="missing parameter 'iaid'"):
        lease_from_args({"ip-address": "2001:db8:1::5", "duid": "00:01"}, (SUBNET,), NOW)
    with pytest.raises(CommandError, match="failed to find a subnet"):
        lease_from_args({"ip-address": "2001:db8:9::5", "duid": "00:01", "iaid": 1}, (SUBNET,), NOW)
    with pytest.raises(CommandError, match="Incorrect lease type"):
        lease_from_args(
            {"ip-address": "2001:db8:1::5", "duid": "00:01", "iaid": 1, "type": "na"}, (SUBNET,), NOW
        )


def test_bulk_apply_counts_and_failures() -> None:
    store = MemoryLeaseStore6()
    store.add(Lease6(ip6("2001:db8:1::100"), b"\x01", 1, 100, 50, 0, 1))
    entry = {"ip-address": "2001:db8:1::101", "duid": "00:01", "iaid": 1, "valid-lft": 100,
             "preferred-lft": 50, "expire": int(NOW) + 100, "subnet-id": 1}  # fmt: skip
    gone = {"ip-address": "2001:db8:1::100"}
    answer = bulk_apply(store, (SUBNET,), {"deleted-leases": [gone], "leases": [entry]}, NOW)
    assert answer == {"result": 0, "text": "Bulk apply of 2 IPv6 leases completed."}
    stored = store.get(LeaseType.NA, ip6("2001:db8:1::101"))
    assert stored is not None and stored.cltt == int(NOW)
    # Kea 2.2: one bad entry fails the whole command, nothing applied.
    other = {**entry, "ip-address": "2001:db8:1::102"}
    with pytest.raises(CommandError, match="subnet-id=7"):
        bulk_apply(store, (SUBNET,), {"leases": [other, {**entry, "subnet-id": 7}]}, NOW)
    assert store.get(LeaseType.NA, ip6("2001:db8:1::102")) is None
    # A missing lease to delete is listed (result 3); nothing applied -> result 3.
    again = bulk_apply(store, (SUBNET,), {"deleted-leases": [gone]}, NOW)
    assert again == {"arguments": {"failed-deleted-leases": [
        {"error-message": "lease not found", "ip-address": "2001:db8:1::100", "result": 3, "type": "IA_NA"}]},
        "result": 3, "text": "Bulk apply of 0 IPv6 leases completed."}  # fmt: skip
    with pytest.raises(CommandError, match="neither"):
        bulk_apply(store, (SUBNET,), {}, NOW)


def test_hardware_address_sources() -> None:
    assert client_hwaddr(bytes.fromhex("00030001") + MAC, 0, None).source == HWADDR_SOURCE_DUID
    llt = client_hwaddr(bytes.fromhex("0001000112345678") + MAC, 0, None)
    assert (llt.address, llt.htype) == (MAC, 1)
    # EUI-64 link-local: fe80::0000:abff:fecd:ef -> 02:00:00:ab:cd:ef with the U/L bit flipped back
    eui = client_hwaddr(bytes.fromhex("0002000009bf01"), ip6("fe80::ff:fe00:1") | (0x0200 << 48), None)
    assert eui.source == HWADDR_SOURCE_IPV6_LINK_LOCAL and eui.address == bytes.fromhex("000000000001")
    relay = client_hwaddr(bytes.fromhex("0002000009bf01"), 0, b"\x00\x01" + MAC)
    assert (relay.address, relay.source) == (MAC, HWADDR_SOURCE_CLIENT_ADDR_RELAY_OPTION)
    assert client_hwaddr(bytes.fromhex("0002000009bf01"), ip6("fe80::1"), None).address == b""


def test_interface_entries() -> None:
    assert parse_spec6("eth0") == ("eth0", None)
    assert parse_spec6("lo/::1") == ("lo", 1)
    assert parse_spec6("eth1/2001:db8::1") == ("eth1", ip6("2001:db8::1"))
    with pytest.raises(OSError):
        parse_spec6("eth1/not-an-address")
