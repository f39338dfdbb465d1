"""The lease6 commands' arguments, bulk apply and statistics (hakea.server.lease6_args,
lease_cmds6, lease_stats6), on real stores and statistics. Expected texts and orders are what
kea-dhcp6 2.2.0 answered (tests/e2e/test_control_commands6.py holds the end-to-end table)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from hakea.config.model6 import Pool6, Subnet6
from hakea.control.registry import CommandError
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType
from hakea.server import lease_stats6
from hakea.server.lease6_args import LeaseQuery, find, lease_from_args, parse_query
from hakea.server.lease_cmds6 import add_or_update, bulk_apply
from hakea.server.lease_cmds_common import page_size, subnet_ids, wiped_subnets
from hakea.server.stats import Statistics

NOW = 1_700_000_000.0


def ip6(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


SUBNETS = (
    Subnet6(
        1,
        ip6("2001:db8:1::"),
        64,
        pools=(Pool6(ip6("2001:db8:1::10"), ip6("2001:db8:1::ff")),),
        valid_lifetime=4000,
        preferred_lifetime=3000,
    ),
    Subnet6(2, ip6("2001:db8:2::"), 64, valid_lifetime=4000),
)
NEW = {"ip-address": "2001:db8:1::30", "duid": "0a:0b", "iaid": 7}


def refused(args: Any) -> str:
    with pytest.raises(CommandError) as caught:
        lease_from_args(args, SUBNETS, NOW)
    return str(caught.value)


def queried(args: Any, verb: str = "Query") -> str:
    with pytest.raises(CommandError) as caught:
        parse_query(args, verb)
    return str(caught.value)


# ---- a lease: Kea's Lease6Parser -------------------------------------------------------------------


def test_lease_fields_are_checked_in_keas_order() -> None:
    # Every field wrong; fixing the one each text names gives the next text (kea-dhcp6 2.2.0).
    args: dict[str, Any] = {
        "ip-address": "192.0.2.1",
        "duid": "zz",
        "type": "foo",
        "subnet-id": 7,
        "iaid": -1,
        "hw-address": "zz",
        "valid-lft": -1,
        "preferred-lft": -1,
        "expire": -5,
        "fqdn-fwd": True,
        "state": 7,
        "user-context": 5,
        "comment": "b",
        "force-create": "x",
    }
    steps = [
        ("ip-address", "2001:db8:1::77", "Non-IPv6 address specified: 192.0.2.1"),
        ("duid", "01:02", "'zz' is not a valid string of hexadecimal digits"),
        ("type", "IA_NA", "Incorrect lease type: foo, the only supported values are: na, ta and pd"),
        ("subnet-id", 1, "Invalid subnet-id: No IPv6 subnet with subnet-id=7 currently configured."),
        ("iaid", 1, "out of range value (-1) specified for parameter 'iaid'"),
        ("hw-address", "01:02", "'z' is not a valid hexadecimal digit in decoded string 'zz'"),
        ("valid-lft", 100, "out of range value (-1) specified for parameter 'valid-lft'"),
        ("preferred-lft", 50, "out of range value (-1) specified for parameter 'preferred-lft'"),
        ("expire", 2_000_000_000, "expiration time must be positive for address 2001:db8:1::77"),
        ("fqdn-fwd", False, "No hostname specified and either forward or reverse fqdn was set to true."),
        (
            "state",
            0,
            "Invalid state value: 7, supported values are: 0 (default), 1 (declined) and "
            "2 (expired-reclaimed)",
        ),
        ("user-context", {"comment": "a"}, "Invalid user context '5' is not a JSON map."),
        ("comment", None, 'Duplicated comment entry \'"b"\' in user context \'{ "comment": "a" }\''),
        ("force-create", True, "invalid type specified for parameter 'force-create'"),
    ]
    for key, good, text in steps:
        assert refused(args) == text, key
        if good is None:
            del args[key]
        else:
            args[key] = good
    lease = lease_from_args(args, SUBNETS, NOW)
    assert (lease.cltt, lease.hwaddr, lease.user_context) == (
        2_000_000_000 - 100,
        b"\x01\x02",
        {"comment": "a"},
    )


def test_lease_defaults_and_keas_normalisations() -> None:
    lease = lease_from_args({**NEW, "hostname": "Host-A.Example.org", "comment": None}, SUBNETS, NOW)
    # Kea 2.2: both lifetimes are the subnet's valid lifetime; cltt now; hostname lower-cased;
    # a "comment" (any value, null too) goes into the user context.
    assert (lease.valid_lft, lease.preferred_lft, lease.cltt) == (4000, 4000, int(NOW))
    assert (lease.hostname, lease.user_context, lease.subnet_id) == (
        "host-a.example.org",
        {"comment": None},
        1,
    )
    assert lease_from_args({**NEW, "cltt": 5}, SUBNETS, NOW).cltt == 5  # hakea's extension
    assert lease_from_args({**NEW, "valid-lft": 0}, SUBNETS, NOW).valid_lft == 0  # Kea takes 0
    assert lease_from_args({**NEW, "subnet-id": 0}, SUBNETS, NOW).subnet_id == 1  # 0: look it up
    assert (
        lease_from_args({**NEW, "preferred-lft": 9000, "valid-lft": 100}, SUBNETS, NOW).preferred_lft == 9000
    )
    ta = lease_from_args({**NEW, "type": "IA_TA", "subnet-id": 1}, SUBNETS, NOW)
    assert (ta.type, ta.prefix_len) == (LeaseType.TA, 128)
    pd = lease_from_args(
        {**NEW, "type": "IA_PD", "prefix-len": 56, "subnet-id": 2, "ip-address": "2001:db8:8:100::"},
        SUBNETS,
        NOW,
    )
    assert (pd.type, pd.prefix_len, pd.subnet_id) == (LeaseType.PD, 56, 2)  # a prefix is not checked
    assert lease_from_args({**NEW, "type": "IA_NA", "prefix-len": "x"}, SUBNETS, NOW).prefix_len == 128
    assert lease_from_args({**NEW, "origin": "ha-partner", "x": 1}, SUBNETS, NOW).iaid == 7  # ignored


@pytest.mark.parametrize(
    ("text", "data"),
    [("0x0102", b"\x01\x02"), ("102", b"\x01\x02"), ("1:2:3", b"\x01\x02\x03"), ("01", b"\x01")],
)
def test_duid_texts_kea_takes(text: str, data: bytes) -> None:
    assert lease_from_args({**NEW, "duid": text}, SUBNETS, NOW).duid == data


@pytest.mark.parametrize(
    ("spoil", "text"),
    [
        ({"ip-address": None}, "missing parameter 'ip-address'"),
        ({"ip-address": 5}, "invalid type specified for parameter 'ip-address'"),
        (
            {"ip-address": "bad"},
            "Failed to convert 'bad' to address: Failed to convert string to address 'bad': Invalid argument",
        ),
        ({"duid": None}, "missing parameter 'duid'"),
        ({"duid": ""}, "Empty DUIDs are not allowed"),
        ({"duid": "01-02"}, "'01-02' is not a valid string of hexadecimal digits"),
        ({"duid": "01::02"}, "two consecutive separators (':') specified in a decoded string '01::02'"),
        ({"duid": "001:02"}, "invalid format of the decoded string '001:02'"),
        ({"duid": ":".join(["01"] * 131)}, "DUID size is 131 bytes, exceeds maximum of 128"),
        ({"type": 5}, "invalid type specified for parameter 'type'"),
        ({"iaid": 2**32}, "out of range value (4294967296) specified for parameter 'iaid'"),
        ({"iaid": True}, "invalid type specified for parameter 'iaid'"),
        (
            {"subnet-id": 2},
            "The address 2001:db8:1::30 does not belong to subnet 2001:db8:2::/64, subnet-id=2",
        ),
        (
            {"ip-address": "2001:db8:9::1"},
            "subnet-id not specified and failed to find a subnet for address 2001:db8:9::1",
        ),
        (
            {"type": "IA_TA"},
            "Subnet-id is 0 or not specified. This is allowed for address leases only, not prefix leases.",
        ),
        (
            {"type": "IA_PD", "prefix-len": 200},
            "Subnet-id is 0 or not specified. This is allowed for address leases only, not prefix leases.",
        ),
        ({"type": "IA_PD", "subnet-id": 7}, "missing parameter 'prefix-len'"),  # before the subnet
        (
            {"type": "IA_PD", "subnet-id": 1, "prefix-len": 300},
            "out of range value (300) specified for parameter 'prefix-len'",
        ),
        # Kea stores 0..255; hakea's lease file (as Kea's) cannot hold a prefix length over 128
        (
            {"type": "IA_PD", "subnet-id": 1, "prefix-len": 129},
            "prefix length 129 of an IA_PD lease must be between 1 and 128",
        ),
        ({"hw-address": ":".join(["01"] * 21)}, "address vector size exceeds MAX_HWADDR_LEN"),
        (
            {"expire": 10, "valid-lft": 100},
            "expiration time must be greater than valid lifetime for address 2001:db8:1::30",
        ),
        ({"expire": 1.5}, "invalid type specified for parameter 'expire'"),
        ({"state": -1}, "out of range value (-1) specified for parameter 'state'"),
        (
            {"hostname": None, "fqdn-rev": True, "state": 2},
            "No hostname specified and either forward or reverse fqdn was set to true.",
        ),
        ({"user-context": None}, "Invalid user context 'null' is not a JSON map."),
    ],
)
def test_lease_refusals(spoil: dict[str, Any], text: str) -> None:
    args = {k: v for k, v in {**NEW, **spoil}.items() if v is not None or k == "user-context"}
    assert refused(args) == text


def test_a_lease_entry_must_be_a_map() -> None:
    assert refused(5) == "get(string) called on a non-map Element in"


# ---- a lease query: lease6-get / lease6-del arguments -----------------------------------------------


def test_query_by_address_and_by_duid() -> None:
    assert parse_query({"ip-address": "2001:db8:1::20"}, "Query") == LeaseQuery(
        LeaseType.NA, ip6("2001:db8:1::20")
    )
    # Kea's type names and numbers; "V4" is taken and matches nothing
    for name, kind in (("IA_PD", LeaseType.PD), ("2", LeaseType.PD), ("1", LeaseType.TA), ("V4", None)):
        assert parse_query({"ip-address": "::1", "type": name}, "Query").kind == kind
    by_duid = {"identifier-type": "duid", "identifier": "0x0102", "subnet-id": 2**32 + 1, "iaid": -1}
    # subnet-id and iaid are read as 32-bit values; no iaid is 0
    assert parse_query(by_duid, "Query") == LeaseQuery(LeaseType.NA, None, b"\x01\x02", 2**32 - 1, 1)
    without_iaid = {k: v for k, v in by_duid.items() if k != "iaid"}
    assert parse_query(without_iaid, "Query").iaid == 0
    # identifier-type "address" looks up "::"
    assert parse_query({**without_iaid, "identifier-type": "address"}, "Query") == LeaseQuery(LeaseType.NA, 0)


@pytest.mark.parametrize(
    ("args", "verb", "text"),
    [
        (None, "Query", "Parameters missing or are not a map."),
        ({}, "Query", "Mandatory 'subnet-id' parameter missing."),
        ({"ip-address": 5, "type": 5}, "Query", "stringValue() called on non-string Element in"),
        (
            {"ip-address": "::", "type": "foo"},
            "Delete",
            "Invalid lease type specified: foo, only supported values are: IA_NA, IA_TA, IA_PD and V4",
        ),
        ({"ip-address": None}, "Query", "'ip-address' is not a string."),
        ({"ip-address": "192.0.2.1"}, "Query", "Invalid IPv6 address specified: 192.0.2.1"),
        ({"ip-address": "bad"}, "Query", "Failed to convert string to address 'bad': Invalid argument"),
        ({"subnet-id": True}, "Query", "'subnet-id' parameter is not integer."),
        ({"subnet-id": 1, "iaid": "x"}, "Query", "intValue() called on non-integer Element in"),
        (
            {"subnet-id": 1, "identifier-type": 1},
            "Query",
            "No 'ip-address' provided and 'identifier-type' is either missing or not a string.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "foo"},
            "Query",
            "No 'ip-address' provided and 'identifier' is either missing or not a string.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "foo", "identifier": "01"},
            "Query",
            "Incorrect identifier type: foo, the only supported values are: address, hw-address, duid",
        ),
        (
            {"subnet-id": 1, "identifier-type": "hw-address", "identifier": "zz"},
            "Query",
            "'z' is not a valid hexadecimal digit in decoded string 'zz'",
        ),
        (
            {"subnet-id": 1, "identifier-type": "hw-address", "identifier": ""},
            "Query",
            "Query by hw-address is not allowed in v6.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "hw-address", "identifier": "01"},
            "Delete",
            "Delete by hw-address is not allowed in v6.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "client-id", "identifier": "01"},
            "Query",
            "client-id is too short (1), at least 2 is required",
        ),
        (
            {"subnet-id": 1, "identifier-type": "client-id", "identifier": "01:02"},
            "Query",
            "Query by client-id is not allowed in v6.",
        ),
        (
            {"subnet-id": 1, "identifier-type": "client-id", "identifier": "01:02"},
            "Delete",
            "Unknown query type: 3",
        ),
        (
            {"subnet-id": 1, "identifier-type": "duid", "identifier": ""},
            "Query",
            "Empty DUIDs are not allowed",
        ),
    ],
)
def test_query_refusals(args: Any, verb: str, text: str) -> None:
    assert queried(args, verb) == text


def test_find() -> None:
    store = MemoryLeaseStore6()
    lease = lease_from_args({**NEW, "iaid": 3}, SUBNETS, NOW)
    store.add(lease)
    assert find(store, LeaseQuery(LeaseType.NA, lease.address)) == lease
    assert find(store, LeaseQuery(LeaseType.PD, lease.address)) is None
    assert find(store, LeaseQuery(None, lease.address)) is None  # "V4"
    assert find(store, LeaseQuery(LeaseType.NA, None, lease.duid, 3, 1)) == lease
    assert find(store, LeaseQuery(LeaseType.NA, None, lease.duid, 0, 1)) is None


# ---- lease6-bulk-apply and the statistics -----------------------------------------------------------


def counters(stats: Statistics) -> dict[str, int]:
    values, _ = stats.counters()
    return {name: value for name, value in values.items() if value}


def test_bulk_apply_deletes_by_address_or_duid_and_keeps_keas_statistics() -> None:
    store, stats = MemoryLeaseStore6(), Statistics()
    for host, state in ((0x20, 0), (0x21, 1), (0x22, 2)):
        added = add_or_update(
            store,
            lease_from_args(
                {**NEW, "ip-address": f"2001:db8:1::{host:x}", "iaid": host, "state": state}, SUBNETS, NOW
            ),
            True,
            stats,
            NOW,
        )
        assert added == {"result": 0, "text": "IPv6 lease added."}
    assert counters(stats) == {
        "subnet[1].assigned-nas": 2,
        "declined-addresses": 1,
        "subnet[1].declined-addresses": 1,
    }
    answer = bulk_apply(
        store,
        SUBNETS,
        {
            "deleted-leases": [
                {"identifier-type": "duid", "identifier": "0a:0b", "iaid": 0x21, "subnet-id": 1},  # declined
                {
                    "identifier-type": "duid",
                    "identifier": "0a:0b",
                    "iaid": 9,
                    "subnet-id": 1,
                },  # none: skipped
                {"ip-address": "2001:db8:1::99", "type": "V4"},  # listed, with Kea's type name
            ],
            "leases": [{**NEW, "ip-address": "2001:db8:1::22", "iaid": 0x22}],  # reclaimed -> default
        },
        NOW,
        stats,
    )
    assert answer == {
        "arguments": {
            "failed-deleted-leases": [
                {
                    "error-message": "lease not found",
                    "ip-address": "2001:db8:1::99",
                    "result": 3,
                    "type": "V4",
                }
            ]
        },
        "result": 0,
        "text": "Bulk apply of 2 IPv6 leases completed.",
    }
    assert counters(stats) == {"subnet[1].assigned-nas": 2}
    assert [lease.address & 0xFF for lease in store.all()] == [0x20, 0x22]


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (None, "Command arguments missing or a not a map."),
        ({"x": 1}, "neither 'deleted-leases' nor 'leases' parameter specified"),
        ({"leases": "x", "deleted-leases": "y"}, "the 'deleted-leases' parameter must be a list"),
        ({"leases": None}, "the 'leases' parameter must be a list"),
        ({"leases": [5], "deleted-leases": [5]}, "Parameters missing or are not a map."),
        ({"leases": [5]}, "get(string) called on a non-map Element in"),
        (
            {"deleted-leases": [{"subnet-id": 1, "identifier-type": "hw-address", "identifier": "01"}]},
            "Delete by hw-address is not allowed in v6.",
        ),
        # every entry is parsed before any is applied: the valid deletion does not happen
        (
            {"deleted-leases": [{"ip-address": "2001:db8:1::30"}], "leases": [{**NEW, "duid": ""}]},
            "Empty DUIDs are not allowed",
        ),
    ],
)
def test_bulk_apply_refusals_apply_nothing(args: Any, text: str) -> None:
    store = MemoryLeaseStore6()
    store.add(lease_from_args(NEW, SUBNETS, NOW))
    with pytest.raises(CommandError) as caught:
        bulk_apply(store, SUBNETS, args, NOW)
    assert str(caught.value) == text
    assert store.count() == 1


def test_update_statistics_follow_keas_rules() -> None:
    # Seen on kea-dhcp6 2.2.0: default -> declined counts a decline; declined -> reclaimed drops it
    # but the lease stays counted as assigned; reclaimed -> default counts it again; a subnet
    # change moves it; IA_TA counts as a prefix.
    stats = Statistics()

    def lease(state: int, subnet: int = 1, kind: LeaseType = LeaseType.NA) -> Lease6:
        return Lease6(ip6("2001:db8:1::5"), b"\x01", 1, 100, 50, 0, subnet, kind, state=LeaseState(state))

    lease_stats6.added(stats, lease(0), NOW)
    lease_stats6.updated(stats, lease(0), lease(1), NOW)
    assert counters(stats) == {
        "subnet[1].assigned-nas": 1,
        "declined-addresses": 1,
        "subnet[1].declined-addresses": 1,
    }
    lease_stats6.updated(stats, lease(1), lease(2), NOW)
    assert counters(stats) == {"subnet[1].assigned-nas": 1}
    lease_stats6.updated(stats, lease(2), lease(0), NOW)
    lease_stats6.updated(stats, lease(0), lease(0, subnet=2), NOW)
    assert counters(stats) == {"subnet[1].assigned-nas": 1, "subnet[2].assigned-nas": 1}
    lease_stats6.deleted(stats, lease(0, subnet=2), NOW)
    lease_stats6.deleted(stats, lease(2), NOW)  # a reclaimed lease was not counted
    lease_stats6.added(stats, lease(1, kind=LeaseType.TA), NOW)
    assert counters(stats) == {
        "subnet[1].assigned-nas": 1,
        "subnet[1].assigned-pds": 1,
        "declined-addresses": 1,
        "subnet[1].declined-addresses": 1,
    }


def test_wipe_statistics_zero_the_subnet_only() -> None:
    stats = Statistics()
    stats.set("subnet[1].assigned-nas", 3)
    stats.set("subnet[2].declined-addresses", 2)
    stats.set("declined-addresses", 5)
    lease_stats6.wiped(stats, 2, NOW)
    assert counters(stats) == {"subnet[1].assigned-nas": 3, "declined-addresses": 3}
    lease_stats6.wiped(stats, 99, NOW)  # Kea creates an unknown subnet's counters
    assert stats.get("subnet[99].assigned-pds") == 0 and stats.get("declined-addresses") == 3


# ---- argument shapes shared with DHCPv4 -------------------------------------------------------------


def test_shared_argument_checks() -> None:
    assert subnet_ids(None) is None and subnet_ids({"subnets": [2, 1, 2]}) == [2, 1, 2]
    for args, text in (
        ({}, "'subnets' parameter not specified"),
        ({"subnets": None}, "'subnets' parameter must be a list"),
        ({"subnets": [True]}, "listed subnet identifiers must be numbers"),
    ):
        with pytest.raises(CommandError, match=text):
            subnet_ids(args)
    assert wiped_subnets(None, [1, 2]) == wiped_subnets({"subnet-id": 0}, [1, 2]) == [1, 2]
    assert wiped_subnets({"subnet-id": 9}, [1, 2]) == [9]
    with pytest.raises(CommandError, match="invalid type specified for parameter 'subnet-id'"):
        wiped_subnets({"subnet-id": None}, [1])
    assert page_size(2**32 - 1) == 2**32 - 1
    for limit, text in (
        (0, "must not be 0"),
        (-1, "greater than 4294967295"),
        (2**32, "greater than 4294967295"),
    ):
        with pytest.raises(CommandError, match=text):
            page_size(limit)
