"""MemfileLeaseStore6: the journal, restarts, Kea's LFC files and lease files, crash-safe compaction."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hakea.leases import csv6
from hakea.leases.csv6 import HEADER, LeaseFileError, format_deletion, format_row
from hakea.leases.memfile6 import MemfileLeaseStore6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType
from hakea.leases.store import LeaseStoreError

from .conftest import DATA, NA, NET, PD, PD_NET, lease

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "leases6.csv"


@pytest.fixture
def opened() -> Iterator[list[MemfileLeaseStore6]]:
    """Stores to close at the end of a test (so a failing test does not leak descriptors)."""
    stores: list[MemfileLeaseStore6] = []
    yield stores
    for store in stores:
        store.close()


def reopen(path: Path, opened: list[MemfileLeaseStore6], **kwargs: object) -> MemfileLeaseStore6:
    store = MemfileLeaseStore6(path, **kwargs)  # type: ignore[arg-type]
    opened.append(store)
    return store


def hosts(store: MemfileLeaseStore6) -> list[int]:
    return [x.address - NET if x.type == NA else 1000 + ((x.address - PD_NET) >> 72) for x in store.all()]


def write_journal(path: Path, *rows: str) -> None:
    path.write_text(HEADER + "".join(rows))


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_new_file_gets_the_header_and_one_row_per_change(
    path: Path, opened: list[MemfileLeaseStore6]
) -> None:
    store = reopen(path, opened)
    assert path.read_text() == HEADER
    store.add(lease(1))
    store.update(lease(1, cltt=2_000_000))
    store.delete(NA, NET + 1)
    store.upsert(lease(2, type=PD))
    assert not store.add(lease(2, type=PD))  # refused: nothing written
    assert not store.update(lease(3))
    assert not store.delete(NA, PD_NET + (2 << 72))  # wrong type: nothing written
    assert path.read_text() == HEADER + format_row(lease(1)) + format_row(lease(1, cltt=2_000_000)) + (
        format_deletion(lease(1, cltt=2_000_000)) + format_row(lease(2, type=PD))
    )


def test_restart_replays_and_deleted_leases_stay_deleted(
    path: Path, opened: list[MemfileLeaseStore6]
) -> None:
    store = reopen(path, opened)
    for host in range(10):
        store.add(lease(host, hostname=f"h{host}.example", type=PD if host % 3 == 0 else NA))
    store.update(lease(2, duid=99, cltt=5))
    store.delete(NA, NET + 4)
    store.load([lease(20), lease(4, duid=44)])  # bulk: one write, re-adds 4
    store.delete(NA, NET + 4)
    store.delete(PD, PD_NET + (6 << 72))
    again = reopen(path, opened)
    assert hosts(again) == [1, 2, 5, 7, 8, 20, 1000, 1003, 1009]
    assert list(again.all()) == list(store.all())
    assert again.get_by_duid(lease(99).duid)[0].address == NET + 2
    assert again.expired(5 + 3600, 10)[0].address == NET + 2
    assert again.load_stats[0].rows == 16 and again.load_stats[0].errors == 0
    assert again.wipe() == 9
    assert hosts(reopen(path, opened)) == []


def test_a_kea_written_lease_file_is_taken_over(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    # The file a real kea-dhcp6 2.2 wrote (lease_cmds, a restart, reclamations): hakea loads what
    # Kea's own LFC keeps (less the /129 prefix Kea 2.2 accepted), then journals on after it.
    shutil.copy(DATA / "kea22-lease-cmds.csv", path)
    store = reopen(path, opened)
    kea, _ = csv6.read_file(str(DATA / "kea22-lease-cmds.lfc.csv"))
    assert list(store.all()) == sorted((x for x in kea.values() if x is not None), key=lambda x: x.address)
    assert store.count() == 8 and store.load_stats[0].errors == 1  # the /129 row
    pd = store.get(PD, csv6.parse_address("2001:db8:3::100"))  # the last row for that address won
    assert pd is not None and pd.iaid == 9 and pd.prefix_len == 128
    assert store.get(NA, csv6.parse_address("2001:db8:3::100")) is None
    assert path.read_text().startswith(HEADER) and leftovers(path) == []
    store.add(lease(7))
    assert path.read_text().endswith(format_row(lease(7)))
    assert reopen(path, opened).count() == 9


def test_persist_false_touches_no_file(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    write_journal(path, format_row(lease(1)))
    store = reopen(path, opened, persist=False)
    assert store.count() == 0  # Kea's persist=false neither reads nor writes
    store.add(lease(2))
    store.compact()
    assert not store.maybe_compact(0) and not store.maybe_compact(10**9)
    assert path.read_text() == HEADER + format_row(lease(1)) and leftovers(path) == []


def test_valid_lifetime_zero_is_stored_and_gone_after_a_restart(
    path: Path, opened: list[MemfileLeaseStore6]
) -> None:
    # kea-dhcp6 2.2's lease6-add takes valid-lft 0 and journals the row its reload reads as a
    # deletion: the lease is held until then, and not after.
    store = reopen(path, opened)
    store.add(lease(1))
    assert store.update(lease(1, valid=0))
    store.load([lease(2), lease(4, valid=0)])
    assert hosts(store) == [1, 2, 4]
    assert path.read_text() == HEADER + "".join(
        map(format_row, [lease(1), lease(1, valid=0), lease(2), lease(4, valid=0)])
    )
    store.add(lease(3, preferred=0, valid=86400, state=LeaseState.DECLINED))  # preferred 0 is fine
    assert hosts(reopen(path, opened)) == [2, 3]


def test_truncated_last_row_is_skipped_and_not_glued_to_the_next(
    path: Path, opened: list[MemfileLeaseStore6]
) -> None:
    write_journal(path, format_row(lease(1)), format_row(lease(2))[:25])
    store = reopen(path, opened)
    assert hosts(store) == [1]
    assert store.load_stats[-1].truncated
    store.add(lease(3))
    again = reopen(path, opened)
    assert hosts(again) == [1, 3]
    assert again.load_stats[-1].errors == 1 and not again.load_stats[-1].truncated


def test_not_a_lease6_file_is_refused_untouched(path: Path) -> None:
    v4 = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state\n"
    path.write_text(v4)
    with pytest.raises(LeaseFileError):
        MemfileLeaseStore6(path)
    assert path.read_text() == v4


def test_running_kea_lfc_is_refused(path: Path) -> None:
    (path.parent / "leases6.csv.pid").write_text(f"{os.getppid()}\n")
    with pytest.raises(LeaseStoreError, match="kea-lfc"):
        MemfileLeaseStore6(path)


def test_old_header_is_upgraded_at_open(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    old = ",".join(csv6.COLUMNS[:12]) + "\n"
    path.write_text(old + "2001:db8:3::5,00:01:00:00:00:05,3600,1003600,1,1800,0,1,128,0,0,a&#x2cb\n")
    store = reopen(path, opened)
    assert path.read_text().startswith(HEADER)
    store.add(lease(6, hostname="x", state=LeaseState.DECLINED, hw=b"\x02\x00\x00\x00\x00\x06"))
    again = reopen(path, opened)
    got = again.get(NA, NET + 6)
    assert hosts(again) == [5, 6] and got is not None and got.state == LeaseState.DECLINED
    assert got.hwaddr == b"\x02\x00\x00\x00\x00\x06"
    assert [x.hostname for x in again.all()] == ["a,b", "x"]


def test_kea_lfc_files_load_in_keas_order(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    d = path.parent
    (d / "leases6.csv.2").write_text(HEADER + format_row(lease(20, duid=1)) + format_row(lease(25)))
    (d / "leases6.csv.1").write_text(HEADER + format_row(lease(20, duid=2)) + format_row(lease(21)))
    write_journal(path, format_row(lease(22)), format_deletion(lease(25)))
    store = reopen(path, opened)
    assert hosts(store) == [20, 21, 22]
    got = store.get(NA, NET + 20)
    assert got is not None and got.duid == lease(2).duid  # .1 is newer than .2
    assert leftovers(path) == []  # folded into one file at open
    assert hosts(reopen(path, opened)) == [20, 21, 22]


def test_kea_completed_file_wins_over_1_and_2(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    d = path.parent
    (d / "leases6.csv.2").write_text(HEADER + format_row(lease(20)))
    (d / "leases6.csv.1").write_text(HEADER + format_row(lease(21)))
    (d / "leases6.csv.completed").write_text(HEADER + format_row(lease(23)))
    (d / "leases6.csv.output").write_text(HEADER + format_row(lease(24)))  # never authoritative
    write_journal(path, format_row(lease(22)))
    assert hosts(reopen(path, opened)) == [22, 23]
    assert leftovers(path) == []
    assert hosts(reopen(path, opened)) == [22, 23]


def test_deletion_row_of_another_type_deletes(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    # Kea replays by address: checked with kea-lfc (kea22-lfc-edge.input.csv, 2001:db8:3::200).
    na = lease(1)
    pd_tombstone = lease(0, type=PD)
    pd_tombstone.address = na.address
    write_journal(path, format_row(na), format_deletion(pd_tombstone))
    assert reopen(path, opened).count() == 0


def test_compact_rewrites_one_row_per_lease(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    store = reopen(path, opened)
    for round_ in range(5):
        for host in (3, 1, 2):
            store.upsert(lease(host, cltt=round_))
        store.upsert(lease(1, cltt=round_, type=PD))
    store.delete(NA, NET + 2)
    store.compact()
    assert path.read_text() == HEADER + "".join(
        format_row(x) for x in (lease(1, cltt=4), lease(3, cltt=4), lease(1, cltt=4, type=PD))
    )
    assert leftovers(path) == [] and store.compactions == 1
    store.add(lease(9))  # the journal continues in the new file
    assert path.read_text().endswith(format_row(lease(9)))
    assert hosts(reopen(path, opened)) == [1, 3, 9, 1001]


def test_maybe_compact_follows_lfc_interval(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    store = reopen(path, opened, lfc_interval=100)
    assert not store.maybe_compact(1000.0)  # the first call sets the clock
    store.add(lease(1))
    assert not store.maybe_compact(1099.0)
    assert store.maybe_compact(1100.0)
    assert not store.maybe_compact(1250.0)  # nothing appended since: nothing to gain
    store.add(lease(2))
    assert store.maybe_compact(1350.5)
    assert store.compactions == 2
    never = reopen(path.parent / "other.csv", opened, lfc_interval=0)
    never.add(lease(1))
    assert not never.maybe_compact(0) and not never.maybe_compact(10**9)


def test_fsync_mode_and_flush(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    store = reopen(path, opened, fsync=True)
    store.add(lease(1))
    store.flush()
    assert hosts(reopen(path, opened)) == [1]


def test_write_failure_raises_and_leaves_memory_unchanged(
    path: Path, opened: list[MemfileLeaseStore6]
) -> None:
    store = reopen(path, opened)
    store.add(lease(1))
    good_fd = store._fd
    store._fd = os.open(path, os.O_RDONLY)  # writes now fail with EBADF
    try:
        with pytest.raises(LeaseStoreError):
            store.add(lease(2))
        with pytest.raises(LeaseStoreError):
            store.delete(NA, NET + 1)
        with pytest.raises(LeaseStoreError):
            store.load([lease(3)])
    finally:
        os.close(store._fd)
        store._fd = good_fd
    assert hosts(store) == [1]
    store.close()
    with pytest.raises(LeaseStoreError, match="closed"):
        store.add(lease(3))


class Crash(BaseException):
    """The process dies here: no cleanup handler runs (a BaseException skips `except OSError`)."""


# The compaction steps a crash can fall between (memfile4's docstring).
CRASH_POINTS = ["output-fsync", "rename-completed", "unlink-old", "rename-final", "reopen"]


def crash_at(monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    real_replace, real_unlink, real_fsync = os.replace, os.unlink, os.fsync
    replaces = 0

    def replace(src: str, dst: str) -> None:
        nonlocal replaces
        replaces += 1
        if (point == "rename-completed" and replaces == 1) or (point == "rename-final" and replaces == 2):
            raise Crash
        real_replace(src, dst)

    def unlink(p: str) -> None:
        if point == "unlink-old" and p.endswith(".1"):
            raise Crash  # after .2 went, before .1 goes
        real_unlink(p)

    def fsync(fd: int) -> None:
        if point == "output-fsync":
            raise Crash
        real_fsync(fd)

    def open_journal(self: MemfileLeaseStore6) -> None:
        raise Crash

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr(os, "fsync", fsync)
    if point == "reopen":
        monkeypatch.setattr(MemfileLeaseStore6, "_open_journal", open_journal)


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_crash_during_compaction_loses_nothing_and_resurrects_nothing(
    path: Path, opened: list[MemfileLeaseStore6], monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    store = reopen(path, opened)
    for host in range(1, 6):
        store.add(lease(host, type=PD if host == 5 else NA))
    store.compact()
    store.delete(NA, NET + 2)  # tombstone only in the journal
    store.update(lease(3, duid=33))
    store.add(lease(6))
    # Kea leftovers too: an old .2 and .1 that still hold the deleted lease.
    (path.parent / "leases6.csv.2").write_text(HEADER + format_row(lease(2)) + format_row(lease(7)))
    (path.parent / "leases6.csv.1").write_text(HEADER + format_row(lease(2)) + format_deletion(lease(7)))
    expected = list(store.all())
    with monkeypatch.context() as m:
        crash_at(m, point)
        with pytest.raises(Crash):
            store.compact()
    if store._fd >= 0:  # the dead process's descriptor
        os.close(store._fd)
        store._fd = -1
    after = reopen(path, opened)
    assert list(after.all()) == expected
    assert hosts(after) == [1, 3, 4, 6, 1005]
    assert leftovers(path) == []
    assert list(reopen(path, opened).all()) == expected


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_crash_while_folding_kea_leftovers_at_open(
    path: Path, opened: list[MemfileLeaseStore6], monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    (path.parent / "leases6.csv.2").write_text(HEADER + format_row(lease(1)) + format_row(lease(2)))
    (path.parent / "leases6.csv.1").write_text(HEADER + format_deletion(lease(1)) + format_row(lease(3)))
    write_journal(path, format_deletion(lease(2)), format_row(lease(4, type=PD)))
    with monkeypatch.context() as m:
        crash_at(m, point)
        with pytest.raises(Crash):
            MemfileLeaseStore6(path)
    assert hosts(reopen(path, opened)) == [3, 1004]
    assert hosts(reopen(path, opened)) == [3, 1004]


_CHILD = """
import sys
from hakea.leases.memfile6 import MemfileLeaseStore6
from hakea.leases.model6 import Lease6, LeaseType
store = MemfileLeaseStore6(sys.argv[1])
NET = 0x20010DB8000300000000000000000000
i = 0
while True:
    i += 1
    kind, plen = (LeaseType.PD, 64) if i % 5 == 0 else (LeaseType.NA, 128)
    store.upsert(Lease6(NET + i % 5000, i.to_bytes(6, "big"), i, 3600, 1800, i, 1, kind, plen))
    if i % 7 == 0:
        victim = NET + (i // 2) % 5000
        for t in (LeaseType.NA, LeaseType.PD):
            store.delete(t, victim)
    print(i, flush=True)  # the "ACK": sent only after the store calls returned
"""


def _child_model(k: int, last_delete: bool) -> list[Lease6]:
    model: dict[int, Lease6] = {}
    for i in range(1, k + 1):
        kind = LeaseType.PD if i % 5 == 0 else LeaseType.NA
        x = Lease6(NET + i % 5000, i.to_bytes(6, "big"), i, 3600, 1800, i, 1, kind, 64 if i % 5 == 0 else 128)
        model[x.address] = x
        if i % 7 == 0 and (i < k or last_delete):
            model.pop(NET + (i // 2) % 5000, None)
    return sorted(model.values(), key=lambda y: y.address)


def test_kill_9_loses_no_acknowledged_change(path: Path, opened: list[MemfileLeaseStore6]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    acked = 0
    try:
        for line in child.stdout:
            acked = int(line)
            if acked >= 3000:
                break
    finally:
        child.kill()  # SIGKILL, mid-stream
        child.wait()
        child.stdout.close()
    # The file holds every ACKed operation and maybe one more under way: exactly the state after
    # operation k >= acked (k: the newest upsert found; its delete may or may not be written).
    store = reopen(path, opened)
    assert store.load_stats[-1].errors == 0
    k = max(x.cltt for x in store.all())
    assert k >= acked >= 3000
    assert list(store.all()) in (_child_model(k, False), _child_model(k, True))


_ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "update", "upsert", "delete", "load", "wipe", "compact", "reopen"]),
        st.integers(0, 30),  # host
        st.sampled_from([NA, PD]),
        st.integers(1, 3),  # subnet
        st.sampled_from(["", "a,b", "x&#x2c", "Ü\n"]),  # hostnames that need escaping
    ),
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(_ops)
def test_journal_and_compaction_agree_with_a_model(ops: list[tuple[str, int, LeaseType, int, str]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "leases6.csv"
        store = MemfileLeaseStore6(path)
        model: dict[int, Lease6] = {}
        try:
            for step, (op, host, kind, subnet, hostname) in enumerate(ops):
                x = lease(host, subnet=subnet, cltt=step, hostname=hostname, hw=bytes([host]) * (host % 3))
                x.type = kind  # one address, either type
                x.prefix_len = 60 if kind == PD else 128
                x.user_context = {"step": step} if host % 4 == 0 else None
                if (op == "add" and store.add(x)) or (op == "update" and store.update(x)):
                    model[x.address] = x
                elif op in ("upsert", "load"):
                    store.upsert(x) if op == "upsert" else store.load([x])
                    model[x.address] = x
                elif op == "delete" and store.delete(kind, x.address):
                    del model[x.address]
                elif op == "wipe":
                    store.wipe(subnet)
                    model = {a: y for a, y in model.items() if y.subnet_id != subnet}
                elif op == "compact":
                    store.compact()
                elif op == "reopen":
                    store.close()
                    store = MemfileLeaseStore6(path)
                    assert store.load_stats[-1].errors == 0
                assert store.count() == len(model)
            store.close()
            store = MemfileLeaseStore6(path)
            assert list(store.all()) == sorted(model.values(), key=lambda y: y.address)
        finally:
            store.close()
