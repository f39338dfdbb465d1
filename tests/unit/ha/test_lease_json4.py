"""Lease4 <-> Kea 2.2 lease JSON (hakea/leases/json4.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakea.leases.json4 import (
    LeaseJSONError,
    format_hex,
    lease4_from_json,
    lease4_to_json,
    lease4_to_update_args,
    parse_hex,
)
from hakea.leases.model import Lease4, LeaseState

KEA_PAGE_LEASE = {
    "client-id": "01:00:0c:01:02:03:04",
    "cltt": 1795558763,
    "fqdn-fwd": False,
    "fqdn-rev": False,
    "hostname": "",
    "hw-address": "00:0c:01:02:03:04",
    "ip-address": "10.0.0.1",
    "state": 0,
    "subnet-id": 2,
    "valid-lft": 4000,
}


def test_kea_sample_round_trip() -> None:
    lease = lease4_from_json(KEA_PAGE_LEASE)
    assert lease == Lease4(
        0x0A000001, bytes.fromhex("000c01020304"), bytes.fromhex("01000c01020304"), 4000, 1795558763, 2
    )
    out = lease4_to_json(lease)
    assert out == KEA_PAGE_LEASE and list(out) == list(KEA_PAGE_LEASE)


def test_update_args_carry_expire() -> None:
    args = lease4_to_update_args(lease4_from_json(KEA_PAGE_LEASE))
    assert "cltt" not in args and args["expire"] == 1795558763 + 4000
    assert list(args) == sorted(args)
    assert lease4_from_json(args) == lease4_from_json(KEA_PAGE_LEASE)  # expire - valid-lft = cltt


def test_optional_fields() -> None:
    lease = Lease4(
        0x0A000002, b"", b"", 60, 1000, 1, True, True, "host.example.", LeaseState.DECLINED, {"a": 1}
    )
    out = lease4_to_json(lease)
    assert "client-id" not in out and out["hw-address"] == ""
    assert out["user-context"] == {"a": 1} and out["state"] == 1
    assert lease4_from_json(out) == lease


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"ip-address": "10.0.0"}, "not a valid IPv4 address"),
        ({"ip-address": None}, "invalid type"),
        ({"subnet-id": "2"}, "invalid type"),
        ({"valid-lft": True}, "invalid type"),
        ({"hw-address": "zz:00"}, "invalid hexadecimal"),
        ({"state": 7}, "invalid lease state"),
        ({"cltt": None, "expire": None}, "'cltt' or 'expire' is mandatory"),
    ],
)
def test_errors(patch: dict[str, Any], message: str) -> None:
    obj = dict(KEA_PAGE_LEASE)
    for k, v in patch.items():
        if v is None and k in ("cltt", "expire"):
            obj.pop(k, None)
        else:
            obj[k] = v
    with pytest.raises(LeaseJSONError, match=message):
        lease4_from_json(obj)
    with pytest.raises(LeaseJSONError):
        lease4_from_json([obj])


def test_hex_forms() -> None:
    assert parse_hex("00:0C:01") == b"\x00\x0c\x01"
    assert parse_hex("0:c:1") == b"\x00\x0c\x01"
    assert parse_hex("00-0c-01") == b"\x00\x0c\x01"
    assert parse_hex("000c01") == b"\x00\x0c\x01"
    for bad in ("0c0", "00::01", "123:1"):
        with pytest.raises(LeaseJSONError):
            parse_hex(bad)


leases = st.builds(
    Lease4,
    address=st.integers(0, 2**32 - 1),
    hwaddr=st.binary(max_size=20),
    client_id=st.binary(max_size=40),
    valid_lft=st.integers(0, 2**32 - 1),
    cltt=st.integers(0, 2**40),
    subnet_id=st.integers(0, 2**32 - 1),
    fqdn_fwd=st.booleans(),
    fqdn_rev=st.booleans(),
    hostname=st.text(max_size=30),
    state=st.sampled_from(list(LeaseState)),
    user_context=st.one_of(st.none(), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)),
)


@given(leases)
def test_round_trip(lease: Lease4) -> None:
    assert lease4_from_json(lease4_to_json(lease)) == lease
    assert lease4_from_json(lease4_to_update_args(lease)) == lease


@given(st.binary(max_size=64))
def test_hex_round_trip(data: bytes) -> None:
    assert parse_hex(format_hex(data)) == data
