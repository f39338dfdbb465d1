"""MemfileLeaseStore4: the journal, restarts, Kea's LFC files, crash-safe compaction."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hakea.leases.csv4 import HEADER, LeaseFileError, format_deletion, format_row
from hakea.leases.memfile4 import MemfileLeaseStore4
from hakea.leases.model import Lease4, LeaseState
from hakea.leases.store import LeaseStoreError

from .conftest import NET, lease

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "leases4.csv"


@pytest.fixture
def opened() -> Iterator[list[MemfileLeaseStore4]]:
    """Stores to close at the end of a test (so a failing test does not leak descriptors)."""
    stores: list[MemfileLeaseStore4] = []
    yield stores
    for store in stores:
        store.close()


def reopen(path: Path, opened: list[MemfileLeaseStore4], **kwargs: object) -> MemfileLeaseStore4:
    store = MemfileLeaseStore4(path, **kwargs)  # type: ignore[arg-type]
    opened.append(store)
    return store


def hosts(store: MemfileLeaseStore4) -> list[int]:
    return [x.address - NET for x in store.all()]


def write_journal(path: Path, *rows: str) -> None:
    path.write_text(HEADER + "".join(rows))


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_new_file_gets_the_header_and_one_row_per_change(
    path: Path, opened: list[MemfileLeaseStore4]
) -> None:
    store = reopen(path, opened)
    assert path.read_text() == HEADER
    store.add(lease(1))
    store.update(lease(1, cltt=2_000_000))
    store.delete(NET + 1)
    store.upsert(lease(2))
    assert not store.add(lease(2))  # refused: nothing written
    assert not store.update(lease(3))
    assert not store.delete(NET + 3)
    assert path.read_text() == HEADER + format_row(lease(1)) + format_row(lease(1, cltt=2_000_000)) + (
        format_deletion(lease(1, cltt=2_000_000)) + format_row(lease(2))
    )


def test_restart_replays_and_deleted_leases_stay_deleted(
    path: Path, opened: list[MemfileLeaseStore4]
) -> None:
    store = reopen(path, opened)
    for host in range(10):
        store.add(lease(host, hostname=f"h{host}.example"))
    store.update(lease(3, hw=99, cltt=5))
    store.delete(NET + 4)
    store.load([lease(20), lease(4, hw=44)])  # bulk: one write, re-adds 4
    store.delete(NET + 4)
    store.delete(NET + 7)
    again = reopen(path, opened)
    assert hosts(again) == [0, 1, 2, 3, 5, 6, 8, 9, 20]
    assert list(again.all()) == list(store.all())
    assert again.get_by_hwaddr(lease(99).hwaddr)[0].address == NET + 3
    assert again.expired(5 + 3600, 10)[0].address == NET + 3
    assert again.load_stats[0].rows == 16 and again.load_stats[0].errors == 0
    # And a third generation after more changes on the reopened store.
    assert again.wipe() == 9
    assert hosts(reopen(path, opened)) == []


def test_persist_false_touches_no_file(path: Path, opened: list[MemfileLeaseStore4]) -> None:
    write_journal(path, format_row(lease(1)))
    store = reopen(path, opened, persist=False)
    assert store.count() == 0  # Kea's persist=false neither reads nor writes
    store.add(lease(2))
    store.compact()
    assert not store.maybe_compact(0) and not store.maybe_compact(10**9)
    assert path.read_text() == HEADER + format_row(lease(1)) and leftovers(path) == []


def test_valid_lifetime_zero_is_refused(path: Path, opened: list[MemfileLeaseStore4]) -> None:
    store = reopen(path, opened)
    with pytest.raises(ValueError, match="valid_lft 0"):
        store.add(lease(1, valid=0))
    with pytest.raises(ValueError, match="valid_lft 0"):
        store.load([lease(2), lease(1, valid=0)])
    assert store.count() == 0 and path.read_text() == HEADER


def test_truncated_last_row_is_skipped_and_not_glued_to_the_next(
    path: Path, opened: list[MemfileLeaseStore4]
) -> None:
    write_journal(path, format_row(lease(1)), format_row(lease(2))[:25])
    store = reopen(path, opened)
    assert hosts(store) == [1]
    assert store.load_stats[-1].truncated
    store.add(lease(3))
    again = reopen(path, opened)
    assert hosts(again) == [1, 3]
    assert again.load_stats[-1].errors == 1 and not again.load_stats[-1].truncated


def test_not_a_lease_file_is_refused_untouched(path: Path) -> None:
    path.write_text("hello,world\n1,2\n")
    with pytest.raises(LeaseFileError):
        MemfileLeaseStore4(path)
    assert path.read_text() == "hello,world\n1,2\n"


def test_running_kea_lfc_is_refused(path: Path) -> None:
    (path.parent / "leases4.csv.pid").write_text(f"{os.getppid()}\n")
    with pytest.raises(LeaseStoreError, match="kea-lfc"):
        MemfileLeaseStore4(path)


def test_stale_kea_lfc_pid_file_is_ignored(path: Path, opened: list[MemfileLeaseStore4]) -> None:
    (path.parent / "leases4.csv.pid").write_text("999999999\n")
    assert reopen(path, opened).count() == 0


def test_old_header_is_upgraded_at_open(path: Path, opened: list[MemfileLeaseStore4]) -> None:
    old = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname\n"
    path.write_text(old + "192.0.3.5,02:00:00:00:00:05,,3600,1003600,1,0,0,a&#x2cb\n")
    store = reopen(path, opened)
    assert path.read_text().startswith(HEADER)
    store.add(lease(6, hostname="x", state=LeaseState.DECLINED))
    again = reopen(path, opened)
    got = again.get(NET + 6)
    assert hosts(again) == [5, 6] and got is not None and got.state == LeaseState.DECLINED
    assert [x.hostname for x in again.all()] == ["a,b", "x"]


def test_kea_lfc_files_load_in_keas_order(path: Path, opened: list[MemfileLeaseStore4]) -> None:
    d = path.parent
    (d / "leases4.csv.2").write_text(HEADER + format_row(lease(20, hw=1)) + format_row(lease(25)))
    (d / "leases4.csv.1").write_text(HEADER + format_row(lease(20, hw=2)) + format_row(lease(21)))
    write_journal(path, format_row(lease(22)), format_deletion(lease(25)))
    store = reopen(path, opened)
    assert hosts(store) == [20, 21, 22]
    got = store.get(NET + 20)
    assert got is not None and got.hwaddr == lease(2).hwaddr  # .1 is newer than .2
    assert leftovers(path) == []  # folded into one file at open
    assert hosts(reopen(path, opened)) == [20, 21, 22]


def test_kea_completed_file_wins_over_1_and_2(path: Path, opened: list[MemfileLeaseStore4]) -> None:
    # Seen with Kea 2.2: with leases4.csv.completed present it reads only .completed + leases4.csv.
    d = path.parent
    (d / "leases4.csv.2").write_text(HEADER + format_row(lease(20)))
    (d / "leases4.csv.1").write_text(HEADER + format_row(lease(21)))
    (d / "leases4.csv.completed").write_text(HEADER + format_row(lease(23)))
    (d / "leases4.csv.output").write_text(HEADER + format_row(lease(24)))  # never authoritative
    write_journal(path, format_row(lease(22)))
    assert hosts(reopen(path, opened)) == [22, 23]
    assert leftovers(path) == []
    assert hosts(reopen(path, opened)) == [22, 23]


def test_compact_rewrites_one_row_per_lease(path: Path, opened: list[MemfileLeaseStore4]) -> None:
    store = reopen(path, opened)
    for round_ in range(5):
        for host in (3, 1, 2):
            store.upsert(lease(host, cltt=round_))
    store.delete(NET + 2)
    store.compact()
    assert path.read_text() == HEADER + format_row(lease(1, cltt=4)) + format_row(lease(3, cltt=4))
    assert leftovers(path) == [] and store.compactions == 1
    store.add(lease(9))  # the journal continues in the new file
    assert path.read_text().endswith(format_row(lease(9)))
    assert hosts(reopen(path, opened)) == [1, 3, 9]


def test_maybe_compact_follows_lfc_interval(path: Path, opened: list[MemfileLeaseStore4]) -> None:
    store = reopen(path, opened, lfc_interval=100)
    assert not store.maybe_compact(1000.0)  # the first call sets the clock
    store.add(lease(1))
    assert not store.maybe_compact(1099.0)
    assert store.maybe_compact(1100.0)
    assert not store.maybe_compact(1250.0)  # nothing appended since: nothing to gain
    store.add(lease(2))
    assert not store.maybe_compact(1299.0)
    assert store.maybe_compact(1350.5)
    assert store.compactions == 2
    never = reopen(path.parent / "other.csv", opened, lfc_interval=0)
    never.add(lease(1))
    assert not never.maybe_compact(0) and not never.maybe_compact(10**9)


def test_fsync_mode_and_flush(path: Path, opened: list[MemfileLeaseStore4]) -> None:
    store = reopen(path, opened, fsync=True)
    store.add(lease(1))
    store.flush()
    assert hosts(reopen(path, opened)) == [1]


def test_write_failure_raises_and_leaves_memory_unchanged(
    path: Path, opened: list[MemfileLeaseStore4]
) -> None:
    store = reopen(path, opened)
    store.add(lease(1))
    good_fd = store._fd
    store._fd = os.open(path, os.O_RDONLY)  # writes now fail with EBADF
    try:
        with pytest.raises(LeaseStoreError):
            store.add(lease(2))
        with pytest.raises(LeaseStoreError):
            store.delete(NET + 1)
    finally:
        os.close(store._fd)
        store._fd = good_fd
    assert hosts(store) == [1]
    store.close()
    with pytest.raises(LeaseStoreError, match="closed"):
        store.add(lease(3))


class Crash(BaseException):
    """The process dies here: no cleanup handler runs (a BaseException skips `except OSError`)."""


# The compaction steps a crash can fall between (module docstring of memfile4).
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

    def open_journal(self: MemfileLeaseStore4) -> None:
        raise Crash

    # memfile4 calls os.replace/os.unlink/os.fsync through the os module: patch them there.
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr(os, "fsync", fsync)
    if point == "reopen":
        monkeypatch.setattr(MemfileLeaseStore4, "_open_journal", open_journal)


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_crash_during_compaction_loses_nothing_and_resurrects_nothing(
    path: Path, opened: list[MemfileLeaseStore4], monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    store = reopen(path, opened)
    for host in range(1, 6):
        store.add(lease(host))
    store.compact()
    store.delete(NET + 2)  # tombstone only in the journal
    store.update(lease(3, hw=33))
    store.add(lease(6))
    # Kea leftovers too: an old .2 and .1 that still hold the deleted lease.
    (path.parent / "leases4.csv.2").write_text(HEADER + format_row(lease(2)) + format_row(lease(7)))
    (path.parent / "leases4.csv.1").write_text(HEADER + format_row(lease(2)) + format_deletion(lease(7)))
    expected = list(store.all())
    with monkeypatch.context() as m:
        crash_at(m, point)
        with pytest.raises(Crash):
            store.compact()
    if store._fd >= 0:  # the dead process's descriptor
        os.close(store._fd)
        store._fd = -1
    # What a restart finds, whatever the step: the state at the crash.
    after = reopen(path, opened)
    assert list(after.all()) == expected
    assert hosts(after) == [1, 3, 4, 5, 6]
    assert leftovers(path) == []
    assert list(reopen(path, opened).all()) == expected


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_crash_while_folding_kea_leftovers_at_open(
    path: Path, opened: list[MemfileLeaseStore4], monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    (path.parent / "leases4.csv.2").write_text(HEADER + format_row(lease(1)) + format_row(lease(2)))
    (path.parent / "leases4.csv.1").write_text(HEADER + format_deletion(lease(1)) + format_row(lease(3)))
    write_journal(path, format_deletion(lease(2)), format_row(lease(4)))
    with monkeypatch.context() as m:
        crash_at(m, point)
        with pytest.raises(Crash):
            MemfileLeaseStore4(path)
    assert hosts(reopen(path, opened)) == [3, 4]
    assert hosts(reopen(path, opened)) == [3, 4]


_CHILD = """
import sys
from hakea.leases.memfile4 import MemfileLeaseStore4
from hakea.leases.model import Lease4
store = MemfileLeaseStore4(sys.argv[1])
i = 0
while True:
    i += 1
    store.upsert(Lease4(0x0A000000 + i % 5000, i.to_bytes(6, "big"), b"", 3600, i, 1))
    if i % 7 == 0:
        store.delete(0x0A000000 + (i // 2) % 5000)
    print(i, flush=True)  # the "ACK": sent only after the store call returned
"""


def test_kill_9_loses_no_acknowledged_change(path: Path, opened: list[MemfileLeaseStore4]) -> None:
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
    # The file holds every ACKed operation and maybe a few more that were under way: it must be
    # exactly the state after operation k >= acked (k: the newest upsert found; its delete, if it
    # has one, may or may not have been written).
    store = reopen(path, opened)
    assert store.load_stats[-1].errors == 0
    k = max(x.cltt for x in store.all())
    assert k >= acked >= 3000
    model: dict[int, Lease4] = {}
    for i in range(1, k + 1):
        x = Lease4(0x0A000000 + i % 5000, i.to_bytes(6, "big"), b"", 3600, i, 1)
        model[x.address] = x
        if i % 7 == 0 and i < k:
            model.pop(0x0A000000 + (i // 2) % 5000, None)
    without_last_delete = sorted(model.values(), key=lambda y: y.address)
    if k % 7 == 0:
        model.pop(0x0A000000 + (k // 2) % 5000, None)
    with_last_delete = sorted(model.values(), key=lambda y: y.address)
    assert list(store.all()) in (without_last_delete, with_last_delete)


_ops = st.lists(
    st.tuples(
        st.sampled_from(["add", "update", "upsert", "delete", "load", "wipe", "compact", "reopen"]),
        st.integers(0, 30),  # host
        st.integers(0, 3),  # hw
        st.integers(1, 3),  # subnet
        st.sampled_from(["", "a,b", "x&#x2c", "Ü\n"]),  # hostnames that need escaping
    ),
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(_ops)
def test_journal_and_compaction_agree_with_a_model(ops: list[tuple[str, int, int, int, str]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "leases4.csv"
        store = MemfileLeaseStore4(path)
        model: dict[int, Lease4] = {}
        try:
            for step, (op, host, hw, subnet, hostname) in enumerate(ops):
                x = lease(host, hw=hw, subnet=subnet, cltt=step, hostname=hostname)
                x.user_context = {"step": step} if hw == 3 else None
                if (op == "add" and store.add(x)) or (op == "update" and store.update(x)):
                    model[x.address] = x
                elif op in ("upsert", "load"):
                    store.upsert(x) if op == "upsert" else store.load([x])
                    model[x.address] = x
                elif op == "delete" and store.delete(x.address):
                    del model[x.address]
                elif op == "wipe":
                    store.wipe(subnet)
                    model = {a: y for a, y in model.items() if y.subnet_id != subnet}
                elif op == "compact":
                    store.compact()
                elif op == "reopen":
                    store.close()
                    store = MemfileLeaseStore4(path)
                    assert store.load_stats[-1].errors == 0
                assert store.count() == len(model)
            store.close()
            store = MemfileLeaseStore4(path)
            assert list(store.all()) == sorted(model.values(), key=lambda y: y.address)
        finally:
            store.close()
