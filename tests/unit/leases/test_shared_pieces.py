"""The family-neutral pieces both lease families are built on: memory_base, csv_common, journal."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from hakea.leases import csv4, csv6, csv_common, memory_base
from hakea.leases.journal import MemfileJournal
from hakea.leases.memfile4 import LEASE4_FILE, MemfileLeaseStore4
from hakea.leases.memfile6 import LEASE6_FILE, MemfileLeaseStore6
from hakea.leases.memory4 import MemoryLeaseStore4
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType

from .conftest import NET, lease


def test_both_families_share_the_base_and_the_journal(tmp_path: Path) -> None:
    for memory, memfile, file_format in (
        (MemoryLeaseStore4, MemfileLeaseStore4, LEASE4_FILE),
        (MemoryLeaseStore6, MemfileLeaseStore6, LEASE6_FILE),
    ):
        assert issubclass(memory, memory_base.MemoryLeaseStoreBase)
        # The journal's hooks come before the memory store's no-ops.
        mro = memfile.__mro__
        assert mro.index(MemfileJournal) < mro.index(memory_base.MemoryLeaseStoreBase)
        assert memfile._persist is MemfileJournal._persist
        store = memfile(tmp_path / f"{memfile.__name__}.csv", persist=False)
        assert store.file_format is file_format and store._format is file_format
    assert LEASE4_FILE.header == csv4.HEADER and LEASE6_FILE.header == csv6.HEADER
    assert LEASE4_FILE.format_row is csv4.format_row and LEASE6_FILE.read_file is csv6.read_file


def test_recorded_keys_start_with_the_expiry_key() -> None:
    # memory_base reads keys[0] for the heap; each family records its own keys after it.
    v4 = MemoryLeaseStore4()
    v4.add(lease(1, cltt=100, valid=50, hostname="A"))
    v4.add(lease(2, state=LeaseState.EXPIRED_RECLAIMED))
    assert v4._keys[NET + 1][0] == 150 and v4._keys[NET + 2][0] == -1
    v6 = MemoryLeaseStore6()
    v6.add(Lease6(1, b"\x01", 1, 50, 40, 100, 1, LeaseType.NA))
    assert v6._keys[1][0] == 150
    assert [x.address for x in v4.expired(10**9, 5)] == [NET + 1] and len(v6.expired(10**9, 5)) == 1


def test_address_texts_per_family_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    texts4, remember4 = csv_common.address_texts(socket.AF_INET)
    texts6, remember6 = csv_common.address_texts(socket.AF_INET6)
    assert remember4(0xC0000201) == "192.0.2.1" and remember6(0x20010DB8 << 96) == "2001:db8::"
    assert texts4 == {0xC0000201: "192.0.2.1"} and texts6 == {0x20010DB8 << 96: "2001:db8::"}
    monkeypatch.setattr(csv_common, "_ADDRESS_CACHE_MAX", 2)
    small, remember = csv_common.address_texts(socket.AF_INET)
    assert [remember(a) for a in (1, 2, 3)] == ["0.0.0.1", "0.0.0.2", "0.0.0.3"]
    assert small == {3: "0.0.0.3"}  # the third cleared the full cache first


def test_rows_use_the_remembered_address_text() -> None:
    row = csv4.format_row(lease(7))
    assert row.startswith("192.0.3.7,") and csv4._address_texts[NET + 7] == "192.0.3.7"


def test_parse_header_columns_names_the_family() -> None:
    with pytest.raises(csv_common.LeaseFileError, match="lease4"):
        csv4.parse_header("address,duid")
    with pytest.raises(csv_common.LeaseFileError, match="lease6"):
        csv6.parse_header("address,hwaddr")
    assert csv4.LeaseFileError is csv6.LeaseFileError is csv_common.LeaseFileError
    assert csv4.parse_header(csv4.HEADER.strip() + ",pool_id") == (11, 12)


def test_parse_user_context_refuses_a_non_map() -> None:
    assert csv_common.parse_user_context(csv_common.escape('{"a":1,"b":"&"}')) == {"a": 1, "b": "&"}
    with pytest.raises(ValueError, match="not a JSON map"):
        csv_common.parse_user_context("[1]")
