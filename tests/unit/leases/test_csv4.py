"""Kea 2.2 lease4 CSV rows: exact format, Kea's escaping, tolerant reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakea.leases import csv4
from hakea.leases.model import Lease4, LeaseState

HEADER = (
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"
)

# Written by Debian's kea-dhcp4 2.2.0 (lease_cmds: lease4-add x4, lease4-update, lease4-del), verbatim.
# The row for 192.0.3.13 had "tab\there\nnl" as hostname: Kea 2.2 writes the newline raw and so
# splits the row in two, both unreadable (Kea itself discards them on reload).
KEA_22_FILE = (
    HEADER + "\n"
    "192.0.3.10,02:00:00:00:00:00,,7200,1795737321,1,0,0,,0,\n"
    "192.0.3.11,02:00:00:00:00:01,01:02:00:00:00:00:01,7200,1795737321,1,1,1,"
    'host&#x2cwith&#x26comma.example.,0,{ "a": "x&#x2cy"&#x2c "b": [ 1&#x2c 2 ]&#x2c "c": "&#x26#x2c" }\n'
    "192.0.3.12,,,7200,1795737321,1,0,0,,1,\n"
    "192.0.3.13,02:00:00:00:00:03,,7200,1795737321,1,0,0,tab\there\n"
    "nl,2,\n"
    "192.0.3.10,02:00:00:00:00:00,,100,1795730221,1,0,0,,0,\n"
    "192.0.3.10,02:00:00:00:00:00,,0,1795730121,1,0,0,,0,\n"
)


def ip(text: str) -> int:
    return csv4.parse_address(text)


def test_header_is_keas() -> None:
    assert csv4.HEADER == HEADER + "\n"


def test_format_matches_keas_sample_row() -> None:
    lease = Lease4(ip("192.0.3.10"), bytes.fromhex("020000000000"), b"", 3600, 1795564181 - 3600, 1)
    assert csv4.format_row(lease) == "192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,0,0,,0,\n"


def test_format_matches_keas_rows_with_client_id_flags_and_escapes() -> None:
    lease = Lease4(
        ip("192.0.3.11"),
        bytes.fromhex("020000000001"),
        bytes.fromhex("01020000000001"),
        7200,
        1795730121,
        1,
        fqdn_fwd=True,
        fqdn_rev=True,
        hostname="host,with&comma.example.",
    )
    assert csv4.format_row(lease) == (
        "192.0.3.11,02:00:00:00:00:01,01:02:00:00:00:00:01,7200,1795737321,1,1,1,"
        "host&#x2cwith&#x26comma.example.,0,\n"
    )
    declined = Lease4(ip("192.0.3.12"), b"", b"", 7200, 1795730121, 1, state=LeaseState.DECLINED)
    assert csv4.format_row(declined) == "192.0.3.12,,,7200,1795737321,1,0,0,,1,\n"


def test_deletion_row_is_keas() -> None:
    # Kea's lease4-del appended exactly this for a lease with cltt 1795730121.
    lease = Lease4(ip("192.0.3.10"), bytes.fromhex("020000000000"), b"", 100, 1795730121, 1)
    row = csv4.format_deletion(lease)
    assert row == "192.0.3.10,02:00:00:00:00:00,,0,1795730121,1,0,0,,0,\n"
    back = csv4.parse_row(row.rstrip("\n"))
    assert csv4.is_deletion(back) and back.cltt == 1795730121


def test_reading_a_kea_22_file(tmp_path: Path) -> None:
    path = tmp_path / "leases4.csv"
    path.write_text(KEA_22_FILE)
    state, stats = csv4.read_file(str(path))
    assert state[ip("192.0.3.10")] is None  # deleted by its last row
    host = state[ip("192.0.3.11")]
    assert host is not None
    assert host.hostname == "host,with&comma.example."
    assert host.user_context == {"a": "x,y", "b": [1, 2], "c": "&#x2c"}
    assert host.client_id == bytes.fromhex("01020000000001")
    assert (host.valid_lft, host.cltt, host.fqdn_fwd, host.fqdn_rev) == (7200, 1795730121, True, True)
    declined = state[ip("192.0.3.12")]
    assert declined is not None and declined.hwaddr == b"" and declined.state == LeaseState.DECLINED
    assert ip("192.0.3.13") not in state
    assert (stats.rows, stats.errors, stats.truncated) == (5, 2, False)
    assert len(stats.messages) == 2 and str(path) in stats.messages[0]


@pytest.mark.parametrize(
    ("header", "row", "state"),
    [
        # Kea schema 1.0 (before `state`) and 2.0 (before `user_context`).
        (",".join(csv4.COLUMNS[:9]), "192.0.3.20,01:00:00:00:00:01,,3600,4000,7,1,0,old&#x2cstyle", 0),
        (",".join(csv4.COLUMNS[:10]), "192.0.3.20,01:00:00:00:00:01,,3600,4000,7,1,0,old&#x2cstyle,1", 1),
        # A newer Kea's extra column (2.4+: pool_id) is ignored.
        (HEADER + ",pool_id", "192.0.3.20,01:00:00:00:00:01,,3600,4000,7,1,0,old&#x2cstyle,1,,3", 1),
    ],
)
def test_older_and_newer_headers(header: str, row: str, state: int) -> None:
    stats = csv4.ReadStats()
    (lease,) = csv4.iter_rows(f"{header}\n{row}\n", stats)
    assert lease.hostname == "old,style" and lease.cltt == 400 and lease.subnet_id == 7
    assert lease.state == state and lease.user_context is None and lease.fqdn_fwd and not lease.fqdn_rev
    assert stats.errors == 0


@pytest.mark.parametrize(
    "first_line",
    ["", "garbage", "address,hwaddr,client_id", "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime"],
)
def test_a_file_without_a_lease4_header_is_refused(first_line: str) -> None:
    with pytest.raises(csv4.LeaseFileError):
        list(
            csv4.iter_rows(
                f"{first_line}\n192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,0,0,,0,\n", csv4.ReadStats()
            )
        )


def test_truncated_last_line_is_skipped_and_counted() -> None:
    stats = csv4.ReadStats()
    text = (
        HEADER + "\n192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,0,0,,0,\n192.0.3.11,02:00:00:00:00:01,,36"
    )
    leases = list(csv4.iter_rows(text, stats))
    assert [x.address for x in leases] == [ip("192.0.3.10")]
    assert stats.truncated and stats.errors == 0
    # Even a last row that would parse is not trusted without its newline (expire may be cut).
    stats = csv4.ReadStats()
    assert list(csv4.iter_rows(HEADER + "\n192.0.3.10,02:00:00:00:00:00,,3600,17955,1,0,0,,0,", stats)) == []
    assert stats.truncated
    assert list(csv4.iter_rows("", csv4.ReadStats())) == []
    assert list(csv4.iter_rows(HEADER, csv4.ReadStats())) == []  # a header cut short: nothing


@pytest.mark.parametrize(
    "bad_row",
    [
        "192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,0,0,a,b,0,",  # unescaped comma: 12 columns
        "192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,0,0,,0",  # 10 columns
        "192.0.3.256,02:00:00:00:00:00,,3600,1795564181,1,0,0,,0,",
        "10.1,02:00:00:00:00:00,,3600,1795564181,1,0,0,,0,",
        "192.0.3.10,02:zz:00:00:00:00,,3600,1795564181,1,0,0,,0,",
        "192.0.3.10,02:00:00:00:00:00,,x,1795564181,1,0,0,,0,",
        "192.0.3.10,02:00:00:00:00:00,,3600,100,1,0,0,,0,",  # expire before valid: negative cltt
        "192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,2,0,,0,",
        "192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,0,0,,9,",  # unknown state
        "192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,0,0,,0,{nope",
        "192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,0,0,,0,[1]",  # context must be a map
    ],
)
def test_malformed_rows_are_skipped_others_kept(bad_row: str) -> None:
    good = "192.0.3.11,02:00:00:00:00:01,,3600,1795564181,1,0,0,,0,"
    stats = csv4.ReadStats(path="f")
    leases = list(csv4.iter_rows(f"{HEADER}\n{good}\n{bad_row}\n{good}\n", stats))
    assert len(leases) == 2 and stats.errors == 1 and stats.messages[0].startswith("f:3: ")


def test_empty_hwaddr_is_read_whatever_the_state() -> None:
    # Kea 2.2 discards a non-declined row without hwaddr; hakea keeps every lease it could write.
    lease = csv4.parse_row("192.0.3.10,,01:aa,3600,1795564181,1,0,0,,0,")
    assert lease.hwaddr == b"" and lease.client_id == b"\x01\xaa" and lease.state == LeaseState.DEFAULT


def test_crlf_and_blank_lines_tolerated() -> None:
    text = HEADER + "\r\n\r\n192.0.3.10,02:00:00:00:00:00,,3600,1795564181,1,0,0,,0,\r\n\n"
    stats = csv4.ReadStats()
    assert len(list(csv4.iter_rows(text, stats))) == 1 and stats.errors == 0


def test_escape_and_unescape() -> None:
    assert csv4.escape("a,b&c") == "a&#x2cb&#x26c"
    assert csv4.escape("&#x2c") == "&#x26#x2c"  # a literal escape sequence survives (Kea does the same)
    assert csv4.escape("l1\nl2\r\x7f") == "l1&#x0al2&#x0d&#x7f"  # Kea 2.2 would break the row here
    assert csv4.escape("plain.example") == "plain.example"
    assert csv4.escape("é") == "é"  # written raw as UTF-8, as Kea 2.2 does
    assert csv4.unescape("a&#x2cb&#X26c&#x2C") == "a,b&#X26c,"  # the tag is "&#x" only; digits any case
    assert csv4.unescape("&#xc3&#xa9") == "é"  # newer Kea escapes each byte of UTF-8
    assert csv4.unescape("&#xzz &#x2") == "&#xzz &#x2"  # not an escape: kept literally


def test_hex_forms() -> None:
    assert csv4.parse_hex("02:00:0a") == b"\x02\x00\x0a"
    assert csv4.parse_hex("2:0:a") == b"\x02\x00\x0a"
    assert csv4.parse_hex("02000a") == b"\x02\x00\x0a"
    assert csv4.parse_hex("") == b""


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)

_leases = st.builds(
    Lease4,
    address=st.integers(0, 2**32 - 1),
    hwaddr=st.binary(max_size=20),
    client_id=st.binary(max_size=40),
    valid_lft=st.integers(1, 2**32 - 1),
    cltt=st.integers(0, 2**33),
    subnet_id=st.integers(0, 2**32 - 1),
    fqdn_fwd=st.booleans(),
    fqdn_rev=st.booleans(),
    hostname=st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    state=st.sampled_from(list(LeaseState)),
    user_context=st.none() | st.dictionaries(st.text(max_size=6), _json, max_size=4),
)


@given(_leases)
def test_round_trip(lease: Lease4) -> None:
    row = csv4.format_row(lease)
    assert row.endswith("\n") and row.count("\n") == 1 and row.count(",") == 10
    assert csv4.parse_row(row[:-1]) == lease
    deletion = csv4.parse_row(csv4.format_deletion(lease)[:-1])
    assert csv4.is_deletion(deletion) and deletion.cltt == lease.cltt and deletion.address == lease.address


@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_escape_round_trip_and_no_separators(text: str) -> None:
    escaped = csv4.escape(text)
    assert "," not in escaped and "\n" not in escaped
    assert csv4.unescape(escaped) == text
