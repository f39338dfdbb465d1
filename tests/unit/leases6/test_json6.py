"""Lease6 <-> Kea 2.2 lease6 JSON: what lease6-get* answer and what HA's lease6-bulk-apply carries."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakea.leases import csv6
from hakea.leases.json6 import (
    LeaseJSONError,
    format_ipv6,
    lease6_from_json,
    lease6_to_json,
    lease6_to_update_args,
    parse_ipv6,
    parse_lease_type,
)
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType

from .conftest import DATA


def kea_file(name: str) -> list[Lease6]:
    """The leases of a Kea-written journal after replay, in address order."""
    state, _ = csv6.read_file(str(DATA / name))
    return sorted((x for x in state.values() if x is not None), key=lambda x: x.address)


def journal_rows(name: str) -> list[Lease6]:
    return [csv6.parse_row(row) for row in (DATA / name).read_text().splitlines()[1:]]


def test_lease6_to_json_matches_keas_lease6_get_all() -> None:
    # kea-dhcp6 2.2 restarted on kea22-lease-cmds.csv answered lease6-get-all with this.
    answer = json.loads((DATA / "kea22-lease-cmds.get-all.json").read_text())
    kea = [x for x in answer["arguments"]["leases"] if x["ip-address"] != "2001:db8:8:400::"]  # /129
    ours = [lease6_to_json(x) for x in kea_file("kea22-lease-cmds.csv")]
    assert ours == kea
    assert [list(x) for x in ours] == [list(x) for x in kea]  # Kea's key order too
    assert [lease6_from_json(x) for x in kea] == kea_file("kea22-lease-cmds.csv")


def test_update_args_match_what_kea_ha_sent_in_lease6_bulk_apply() -> None:
    # kea22-exchange.csv rows and the lease6-bulk-apply each change produced, in order:
    # allocation (NA + PD), release (both deleted), allocation, decline.
    sent = [json.loads(line) for line in (DATA / "kea22-ha-bulk-apply.jsonl").read_text().splitlines()]
    rows = journal_rows("kea22-exchange.csv")
    expected = [
        {"leases": [rows[0], rows[1]], "deleted-leases": []},
        {"leases": [], "deleted-leases": [rows[0], rows[1]]},
        {"leases": [rows[4], rows[5]], "deleted-leases": []},
        {"leases": [rows[6]], "deleted-leases": []},
    ]
    for command, want in zip(sent, expected, strict=True):
        assert list(command) == ["arguments", "command", "service"]
        assert command["command"] == "lease6-bulk-apply" and command["service"] == ["dhcp6"]
        args = command["arguments"]
        assert list(args) == ["deleted-leases", "leases"]  # no "origin", no "force-create"
        for key in ("leases", "deleted-leases"):
            ours = [lease6_to_update_args(x) for x in want[key]]
            assert ours == args[key]
            assert [list(x) for x in ours] == [list(x) for x in args[key]]
            # Back from JSON: everything but the hardware address source (not in Kea's JSON).
            assert [lease6_from_json(x) for x in args[key]] == [
                dataclasses.replace(x, hwaddr_source=0) for x in want[key]
            ]


def test_json_shapes_by_type() -> None:
    lease = Lease6(parse_ipv6("2001:db8:8:100::"), b"\x01\x02", 9, 4000, 3000, 1000, 1, LeaseType.PD, 56)
    assert lease6_to_json(lease) == {
        "cltt": 1000,
        "duid": "01:02",
        "fqdn-fwd": False,
        "fqdn-rev": False,
        "hostname": "",
        "iaid": 9,
        "ip-address": "2001:db8:8:100::",
        "preferred-lft": 3000,
        "prefix-len": 56,
        "state": 0,
        "subnet-id": 1,
        "type": "IA_PD",
        "valid-lft": 4000,
    }
    lease.type, lease.prefix_len, lease.hwaddr = LeaseType.TA, 128, b"\xaa"
    lease.user_context = {"x": 1}
    out = lease6_to_json(lease)
    assert "prefix-len" not in out and out["type"] == "IA_TA" and out["hw-address"] == "aa"
    assert list(out)[-3:] == ["type", "user-context", "valid-lft"]
    assert lease6_to_update_args(lease)["expire"] == 5000 and "cltt" not in lease6_to_update_args(lease)


_BASE: dict[str, Any] = {
    "ip-address": "2001:db8:3::100",
    "duid": "00:03:00:01:02:01:00:00:00:00",
    "iaid": 1,
    "subnet-id": 1,
    "valid-lft": 4000,
    "preferred-lft": 3000,
    "cltt": 1000,
}


def test_parse_defaults_and_variants() -> None:
    lease = lease6_from_json(_BASE)
    assert lease.type == LeaseType.NA and lease.prefix_len == 128 and lease.hwaddr == b""
    assert (lease.hostname, lease.fqdn_fwd, lease.state, lease.user_context) == ("", False, 0, None)
    # prefix-len of an address is ignored: Kea 2.2 stored 128 for an IA_NA added with 64.
    assert lease6_from_json({**_BASE, "prefix-len": 64}).prefix_len == 128
    with_expire = {k: v for k, v in _BASE.items() if k != "cltt"} | {"expire": 5000}
    assert lease6_from_json(with_expire).cltt == 1000
    assert lease6_from_json({**_BASE, "expire": 9}).cltt == 1000  # cltt wins
    pd = lease6_from_json({**_BASE, "type": "IA_PD", "prefix-len": 56, "ip-address": "2001:db8:8::"})
    assert pd.type == LeaseType.PD and pd.prefix_len == 56
    assert lease6_from_json({**_BASE, "duid": "0102"}).duid == b"\x01\x02"  # Kea takes bare hex
    assert lease6_from_json({**_BASE, "preferred-lft": 5000, "valid-lft": 100}).preferred_lft == 5000
    extras = {"hw-address": "02:01", "hostname": "h.example.", "fqdn-fwd": True, "fqdn-rev": True}
    full = lease6_from_json({**_BASE, **extras, "state": 1, "user-context": {"a": [1]}, "iaid": 2**32 - 1})
    assert (full.hwaddr, full.hwtype, full.hwaddr_source) == (b"\x02\x01", 1, 0)
    assert (full.hostname, full.fqdn_fwd, full.fqdn_rev, full.state) == ("h.example.", True, True, 1)
    assert full.user_context == {"a": [1]} and full.iaid == 2**32 - 1


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in _BASE.items() if k != key}


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "a lease must be a map"),
        (_without("ip-address"), "'ip-address' is mandatory"),
        ({**_BASE, "ip-address": "192.0.2.1"}, "Non-IPv6 address specified: 192.0.2.1"),
        ({**_BASE, "ip-address": "2001:db8::g"}, "'2001:db8::g' is not a valid IPv6 address"),
        ({**_BASE, "ip-address": 5}, "'ip-address' has an invalid type"),
        ({**_BASE, "ip-address": "fe80::1%eth0"}, "'fe80::1%eth0' is not a valid IPv6 address"),
        ({**_BASE, "ip-address": "::1\x00"}, "'::1\x00' is not a valid IPv6 address"),
        (
            {**_BASE, "type": "na"},
            "Incorrect lease type: na, the only supported values are: IA_NA, IA_TA and IA_PD",
        ),
        ({**_BASE, "type": 0}, "'type' has an invalid type"),
        (_without("duid"), "'duid' is mandatory"),
        ({**_BASE, "duid": ""}, "Empty DUIDs are not allowed"),
        ({**_BASE, "duid": "zz"}, "invalid hexadecimal string 'zz'"),
        ({**_BASE, "duid": ":".join(["01"] * 130)}, "DUID size is 130 bytes, exceeds maximum of 128"),
        (_without("iaid"), "'iaid' is mandatory"),
        ({**_BASE, "iaid": "1"}, "'iaid' has an invalid type"),
        ({**_BASE, "iaid": True}, "'iaid' has an invalid type"),
        ({**_BASE, "iaid": 2**32}, "'iaid' must be between 0 and 4294967295"),
        ({**_BASE, "iaid": -1}, "'iaid' must be between 0 and 4294967295"),
        (_without("subnet-id"), "'subnet-id' is mandatory"),
        ({**_BASE, "subnet-id": -1}, "'subnet-id' must be between 0 and 4294967295"),
        (_without("valid-lft"), "'valid-lft' is mandatory"),
        ({**_BASE, "valid-lft": 2**32}, "'valid-lft' must be between 0 and 4294967295"),
        (_without("preferred-lft"), "'preferred-lft' is mandatory"),
        ({**_BASE, "preferred-lft": -5}, "'preferred-lft' must be between 0 and 4294967295"),
        ({**_BASE, "type": "IA_PD"}, "'prefix-len' is mandatory for an IA_PD lease"),
        ({**_BASE, "type": "IA_PD", "prefix-len": 129}, "'prefix-len' must be between 1 and 128"),
        ({**_BASE, "type": "IA_PD", "prefix-len": 0}, "'prefix-len' must be between 1 and 128"),
        ({**_BASE, "type": "IA_PD", "prefix-len": "56"}, "'prefix-len' has an invalid type"),
        (_without("cltt"), "'cltt' or 'expire' is mandatory"),
        ({**_BASE, "cltt": -1}, "'cltt' must not be negative"),
        (_without("cltt") | {"expire": 3999}, "'expire' must not be less than 'valid-lft'"),
        ({**_BASE, "cltt": "now"}, "'cltt' has an invalid type"),
        ({**_BASE, "hw-address": "02:zz"}, "invalid hexadecimal string '02:zz'"),
        ({**_BASE, "state": 3}, "Invalid state value: 3, supported values are: 0 (default), 1 (declined)"),
        ({**_BASE, "fqdn-fwd": 1}, "'fqdn-fwd' has an invalid type"),
        ({**_BASE, "hostname": None}, "'hostname' has an invalid type"),
        ({**_BASE, "user-context": [1]}, "'user-context' has an invalid type"),
    ],
)
def test_parse_errors_name_the_problem(obj: Any, message: str) -> None:
    with pytest.raises(LeaseJSONError) as err:
        lease6_from_json(obj)
    assert str(err.value).startswith(message)


def test_type_and_address_helpers() -> None:
    assert parse_lease_type("IA_PD") == LeaseType.PD
    assert format_ipv6(parse_ipv6("2001:DB8:0:0::1")) == "2001:db8::1"
    # As Kea and the memfile print it (Python 3.11's ipaddress says "::ffff:c000:201").
    assert format_ipv6(parse_ipv6("::ffff:c000:201")) == "::ffff:192.0.2.1"
    assert csv6.address_text(parse_ipv6("::ffff:192.0.2.1")) == "::ffff:192.0.2.1"


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


def _context(draw: st.DrawFn) -> dict[str, object] | None:
    ctx = draw(st.none() | st.dictionaries(st.text(max_size=6), _json, max_size=4))
    return None if ctx is None else dict[str, object](ctx)


@st.composite
def _leases(draw: st.DrawFn) -> Lease6:
    kind = draw(st.sampled_from(list(LeaseType)))
    valid = draw(st.integers(0, 2**32 - 1))
    return Lease6(
        address=draw(st.integers(0, 2**128 - 1)),
        duid=draw(st.binary(min_size=1, max_size=128)),
        iaid=draw(st.integers(0, 2**32 - 1)),
        valid_lft=valid,
        preferred_lft=draw(st.integers(0, 2**32 - 1)),
        cltt=draw(st.integers(0, 2**33)),
        subnet_id=draw(st.integers(0, 2**32 - 1)),
        type=kind,
        prefix_len=draw(st.integers(1, 128)) if kind == LeaseType.PD else 128,
        fqdn_fwd=draw(st.booleans()),
        fqdn_rev=draw(st.booleans()),
        hostname=draw(st.text(max_size=20)),
        hwaddr=draw(st.binary(max_size=20)),
        state=draw(st.sampled_from(list(LeaseState))),
        user_context=_context(draw),
    )


@given(_leases())
def test_round_trip(lease: Lease6) -> None:
    assert lease6_from_json(lease6_to_json(lease)) == lease
    assert lease6_from_json(lease6_to_update_args(lease)) == lease
    # And through real JSON text.
    assert lease6_from_json(json.loads(json.dumps(lease6_to_json(lease)))) == lease
