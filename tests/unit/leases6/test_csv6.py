"""Kea 2.2 lease6 CSV rows: exact format, files written by a real Kea, tolerant reading."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakea.leases import csv6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType

from .conftest import DATA

HEADER = (
    "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,"
    "fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source"
)


def ip(text: str) -> int:
    return csv6.parse_address(text)


def data_rows(name: str) -> list[str]:
    lines = (DATA / name).read_text().splitlines()
    assert lines[0] == HEADER
    return lines[1:]


def test_header_is_keas() -> None:
    assert csv6.HEADER == HEADER + "\n"


def test_format_matches_rows_kea_wrote_for_an_exchange() -> None:
    # kea22-exchange.csv: an allocation (hwaddr from the DUID: source 2), its release, a decline.
    rows = data_rows("kea22-exchange.csv")
    duid = bytes.fromhex("00030001020100000007")
    hw = bytes.fromhex("020100000007")
    cltt = 1795735623 - 4000
    na = Lease6(ip("2001:db8:3::100"), duid, 1, 4000, 3000, cltt, 1, hostname="client7.example.com.",
                hwaddr=hw, hwtype=1, hwaddr_source=2)  # fmt: skip
    pd = Lease6(ip("2001:db8:8::"), duid, 2, 4000, 3000, cltt, 1, LeaseType.PD, 56,
                hostname="client7.example.com.", hwaddr=hw, hwtype=1, hwaddr_source=2)  # fmt: skip
    assert csv6.format_row(na) == rows[0] + "\n"
    assert csv6.format_row(pd) == rows[1] + "\n"
    assert csv6.format_deletion(na) == rows[2] + "\n"  # valid and preferred 0, expire = cltt
    assert csv6.format_deletion(pd) == rows[3] + "\n"
    declined = Lease6(ip("2001:db8:3::101"), b"\x00", 1, 86400, 0, 1795818040 - 86400, 1,
                      state=LeaseState.DECLINED)  # fmt: skip
    assert csv6.format_row(declined) == rows[6] + "\n"
    for row in rows:
        assert csv6.format_row(csv6.parse_row(row)) == row + "\n"


def test_format_matches_rows_kea_wrote_for_lease_cmds() -> None:
    rows = data_rows("kea22-lease-cmds.csv")
    na = Lease6(ip("2001:db8:3::100"), bytes.fromhex("00030001020100000000"), 1, 4000, 4000,
                1795735543 - 4000, 1, hwaddr=bytes.fromhex("020100000000"))  # fmt: skip
    assert csv6.format_row(na) == rows[0] + "\n"
    declined_max_iaid = Lease6(ip("2001:db8:4::150"), b"\x0a\x0b\x0c", 2**32 - 1, 4000, 4000,
                               1795731543, 2, state=LeaseState.DECLINED)  # fmt: skip
    assert csv6.format_row(declined_max_iaid) == rows[3] + "\n"
    assert csv6.format_deletion(declined_max_iaid) == rows[9] + "\n"  # the state stays in the tombstone
    ta = Lease6(ip("2001:db8:3::1a0"), b"\x01\x02", 9, 4000, 4000, 1795731656, 1, LeaseType.TA)
    assert csv6.format_row(ta) == rows[12] + "\n"
    # Kea's JSON layout of a user context differs from msgspec's; both read back the same.
    escaped = csv6.parse_row(rows[1])
    assert escaped.hostname == "host,with&comma.example."
    assert escaped.user_context == {"a": "x,y", "b": [1, 2]}
    assert (escaped.fqdn_fwd, escaped.fqdn_rev, escaped.cltt, escaped.preferred_lft) == (
        True,
        True,
        1900000000 - 7200,
        3600,
    )
    assert csv6.parse_row(csv6.format_row(escaped)[:-1]) == escaped


@pytest.mark.parametrize(
    ("journal", "replayed_by_kea", "kea_only"),
    [
        # Kea 2.2 also keeps an IA_PD /129 (lease6-add accepted it); hakea refuses the row.
        ("kea22-lease-cmds.csv", "kea22-lease-cmds.lfc.csv", {"2001:db8:8:400::"}),
        ("kea22-exchange.csv", "kea22-exchange.lfc.csv", set()),
        ("kea22-lfc-edge.input.csv", "kea22-lfc-edge.output.csv", set()),
    ],
)
def test_replay_of_kea_files_matches_keas_own_lease_file_cleanup(
    journal: str, replayed_by_kea: str, kea_only: set[str]
) -> None:
    state, stats = csv6.read_file(str(DATA / journal))
    ours = {a: x for a, x in state.items() if x is not None}
    kea = {ip(row.split(",")[0]): row for row in data_rows(replayed_by_kea)}
    assert {csv6.address_text(a) for a in set(kea) - set(ours)} == kea_only
    assert set(ours) <= set(kea)
    assert not stats.truncated
    for address, lease in ours.items():
        row = kea[address]
        if ',"' not in row and "{" not in row:  # Kea's user-context layout is its own
            # prefix_len 0 on an IA_NA row is read as 128 (what Kea writes for an address).
            row = row.replace(",0,1,0,0,0,,02:01:00:00:00:00,", ",0,1,128,0,0,,02:01:00:00:00:00,")
            assert csv6.format_row(lease) == row + "\n", address
        assert csv6.parse_row(kea[address]) == lease


def test_reading_keas_edge_cases() -> None:
    state, stats = csv6.read_file(str(DATA / "kea22-lfc-edge.input.csv"))
    assert stats.errors == 2  # empty duid, iaid 2^32: Kea drops both too
    assert state[ip("2001:db8:3::200")] is None  # an IA_PD-typed deletion row erases an IA_NA lease
    na_len0 = state[ip("2001:db8:3::100")]
    assert na_len0 is not None and na_len0.prefix_len == 128 and na_len0.hwaddr_source == 0
    link_local = state[ip("2001:db8:3::301")]
    assert link_local is not None and (link_local.hwtype, link_local.hwaddr_source) == (0, 4)
    no_hw = state[ip("2001:db8:3::30c")]
    assert no_hw is not None and no_hw.hwaddr == b"" and (no_hw.hwtype, no_hw.hwaddr_source) == (1, 0)
    hw_no_type = state[ip("2001:db8:3::30d")]
    assert hw_no_type is not None and (hw_no_type.hwtype, hw_no_type.hwaddr_source) == (1, 0)
    pd = state[ip("2001:db8:3::30f")]
    assert pd is not None and pd.type == LeaseType.PD and pd.prefix_len == 48
    assert pd.hostname == "a,b" and pd.user_context == {"k": 1}
    ta = state[ip("2001:db8:3::300")]
    assert ta is not None and ta.type == LeaseType.TA
    more_preferred = state[ip("2001:db8:3::302")]
    assert more_preferred is not None and more_preferred.preferred_lft > more_preferred.valid_lft
    declined = state[ip("2001:db8:3::304")]
    assert declined is not None and declined.duid == b"\x00" and declined.state == LeaseState.DECLINED


_ROW = "2001:db8:3::100,00:03:00:01:02:01:00:00:00:00,4000,1795564531,1,3000,0,1,128,0,0,h,02:01,1,{},7,2"


@pytest.mark.parametrize(
    ("columns", "hwaddr", "state", "ctx", "hwtype"),
    [
        # What kea-lfc 2.2 made of the same row cut to each older schema (checked).
        (12, b"", 0, None, 1),
        (13, b"\x02\x01", 0, None, 1),
        (14, b"\x02\x01", 1, None, 1),
        (15, b"\x02\x01", 1, {}, 1),
        (16, b"\x02\x01", 1, {}, 7),
    ],
)
def test_older_headers(columns: int, hwaddr: bytes, state: int, ctx: object, hwtype: int) -> None:
    header = ",".join(csv6.COLUMNS[:columns])
    row = ",".join(_ROW.split(",")[:columns])
    stats = csv6.ReadStats()
    (lease,) = csv6.iter_rows(f"{header}\n{row}\n", stats)
    assert (lease.hwaddr, lease.state, lease.user_context, lease.hwtype) == (hwaddr, state, ctx, hwtype)
    assert lease.hwaddr_source == 0 and lease.hostname == "h" and lease.cltt == 1795564531 - 4000
    assert stats.errors == 0


def test_newer_header_extra_column_is_ignored() -> None:
    stats = csv6.ReadStats()
    (lease,) = csv6.iter_rows(f"{HEADER},pool_id\n{_ROW},3\n", stats)
    assert lease.hwaddr_source == 2 and stats.errors == 0


@pytest.mark.parametrize(
    "first_line",
    [
        "",
        "garbage",
        ",".join(csv6.COLUMNS[:11]),  # Kea 2.2 loads nothing from such a file
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context",
        ",".join(csv6.COLUMNS[:13]) + ",extra",
    ],
)
def test_a_file_without_a_lease6_header_is_refused(first_line: str) -> None:
    with pytest.raises(csv6.LeaseFileError, match="lease6"):
        list(csv6.iter_rows(f"{first_line}\n{_ROW}\n", csv6.ReadStats()))


def test_truncated_last_line_is_skipped_and_counted() -> None:
    stats = csv6.ReadStats()
    leases = list(csv6.iter_rows(f"{HEADER}\n{_ROW}\n{_ROW[:40]}", stats))
    assert len(leases) == 1 and stats.truncated and stats.errors == 0
    stats = csv6.ReadStats()
    assert list(csv6.iter_rows(f"{HEADER}\n{_ROW}", stats)) == []  # complete-looking, no newline
    assert stats.truncated
    assert list(csv6.iter_rows("", csv6.ReadStats())) == []
    assert list(csv6.iter_rows(HEADER, csv6.ReadStats())) == []


def _with(column: str, value: str) -> str:
    fields = _ROW.split(",")
    fields[csv6.COLUMNS.index(column)] = value
    return ",".join(fields)


@pytest.mark.parametrize(
    "bad_row",
    [
        _ROW + ",x",  # an unescaped comma: 18 columns
        _ROW.rsplit(",", 1)[0],  # 16 columns
        _with("address", "10.0.0.1"),  # kea-lfc 2.2 keeps it; not an IPv6 lease
        _with("address", "2001:db8::g"),
        _with("duid", ""),
        _with("duid", "zz:01"),
        _with("valid_lifetime", "x"),
        _with("valid_lifetime", "-1"),
        _with("valid_lifetime", "4294967296"),
        _with("expire", "100"),  # before valid_lifetime: negative cltt
        _with("subnet_id", "-1"),
        _with("pref_lifetime", "4294967296"),
        _with("lease_type", "3"),
        _with("iaid", "4294967296"),  # Kea drops it too
        _with("iaid", "-1"),
        _with("prefix_len", "129"),
        _with("prefix_len", "-1"),
        _with("fqdn_fwd", "2"),
        _with("hwaddr", "02:zz"),
        _with("state", "3"),  # "released" is Kea 2.7+
        _with("user_context", "{nope"),
        _with("user_context", "[1]"),
        _with("hwtype", "x"),
    ],
)
def test_malformed_rows_are_skipped_others_kept(bad_row: str) -> None:
    stats = csv6.ReadStats(path="f")
    leases = list(csv6.iter_rows(f"{HEADER}\n{_ROW}\n{bad_row}\n{_ROW}\n", stats))
    assert len(leases) == 2 and stats.errors == 1 and stats.messages[0].startswith("f:3: ")


def test_hwtype_and_source_are_kept_only_with_a_hardware_address() -> None:
    lease = csv6.parse_row(_with("hwaddr", ""))
    assert (lease.hwaddr, lease.hwtype, lease.hwaddr_source) == (b"", 1, 0)
    assert csv6.format_row(lease).endswith(",1,{},,\n")


def test_crlf_and_blank_lines_tolerated() -> None:
    stats = csv6.ReadStats()
    assert len(list(csv6.iter_rows(f"{HEADER}\r\n\r\n{_ROW}\r\n\n", stats))) == 1 and stats.errors == 0


def test_read_file_keeps_deletions_for_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "leases6.csv"
    lease = csv6.parse_row(_ROW)
    path.write_text(HEADER + "\n" + csv6.format_row(lease) + csv6.format_deletion(lease))
    state, stats = csv6.read_file(str(path))
    assert state == {lease.address: None} and stats.rows == 2
    deletion = csv6.parse_row(csv6.format_deletion(lease)[:-1])
    assert csv6.is_deletion(deletion) and deletion.cltt == lease.cltt and deletion.preferred_lft == 0


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
    hwaddr = draw(st.binary(max_size=20))
    return Lease6(
        address=draw(st.integers(0, 2**128 - 1)),
        duid=draw(st.binary(min_size=1, max_size=128)),
        iaid=draw(st.integers(0, 2**32 - 1)),
        valid_lft=draw(st.integers(1, 2**32 - 1)),
        preferred_lft=draw(st.integers(0, 2**32 - 1)),
        cltt=draw(st.integers(0, 2**33)),
        subnet_id=draw(st.integers(0, 2**32 - 1)),
        type=kind,
        prefix_len=draw(st.integers(0, 128)) if kind == LeaseType.PD else 128,
        fqdn_fwd=draw(st.booleans()),
        fqdn_rev=draw(st.booleans()),
        hostname=draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=30)),
        hwaddr=hwaddr,
        hwtype=draw(st.integers(0, 65535)) if hwaddr else 1,
        hwaddr_source=draw(st.integers(0, 2**32 - 1)) if hwaddr else 0,
        state=draw(st.sampled_from(list(LeaseState))),
        user_context=_context(draw),
    )


@given(_leases())
def test_round_trip(lease: Lease6) -> None:
    row = csv6.format_row(lease)
    assert row.endswith("\n") and row.count("\n") == 1 and row.count(",") == 16
    assert csv6.parse_row(row[:-1]) == lease
    deletion = csv6.parse_row(csv6.format_deletion(lease)[:-1])
    assert csv6.is_deletion(deletion) and deletion.cltt == lease.cltt and deletion.address == lease.address
