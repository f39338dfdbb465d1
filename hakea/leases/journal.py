"""The memfile journal shared by MemfileLeaseStore4 and MemfileLeaseStore6: Kea's lease CSV file as
an append-only journal behind an in-memory store. Only the row format differs between the families
(csv4.py, csv6.py); it comes in as a LeaseFileFormat (csv_common.py).

Durability. Every add/update/upsert/delete/wipe/load writes its rows with os.write() on an O_APPEND
descriptor *before* the in-memory change and before returning. The daemon answers the client only
after the store call returns, so a `kill -9` loses no acknowledged lease: the bytes are in the
kernel once write() returns. A power loss can still lose the last rows; `fsync=True` adds an
fdatasync() per operation for that (measured in bench/bench_leases.py: it costs a disk flush per
DHCP exchange, so it is off by default, as in Kea, which never syncs its lease file).
If the write fails, the store raises LeaseStoreError and memory is unchanged.

Files (Kea's names, so Kea and hakea can take over each other's lease file; Kea's own LFC uses them
for DHCPv6 too: kea-dhcp6 2.2 runs
`kea-lfc -6 -x <name>.2 -i <name>.1 -o <name>.output -f <name>.completed -p <name>.pid`):
  <name>            the journal rows are appended to
  <name>.2          "previous": Kea's last lease file cleanup (LFC) result
  <name>.1          "input": the journal Kea moved aside for the LFC in progress
  <name>.output     the LFC's output while it is being written (never authoritative)
  <name>.completed  a finished LFC output not yet moved to <name>.2
  <name>.pid        kea-lfc's PID file while it runs
Loading follows Kea: with <name>.completed present, read it and then <name>; otherwise read
<name>.2, <name>.1, then <name>. Later rows win; a row with valid_lifetime 0 deletes.

Compaction (`compact()`, hakea's in-process LFC). Memory already holds the whole state, so:
  1. write a snapshot of every lease to <name>.output, fsync it;
  2. rename it to <name>.completed, fsync the directory
     -> from here a crash reloads .completed + <name>, exactly today's state (the journal is a
        complete history of the changes since its start and the snapshot is the state at its end);
  3. remove <name>.2 and <name>.1 (ignored while .completed exists);
  4. rename <name>.completed over <name>, fsync the directory; reopen the journal.
A crash at any point leaves files that load to the same leases (tests/unit/leases and
tests/unit/leases6 simulate each), and nothing deleted can come back: the tombstones of deleted
leases are only dropped together with every older row that could resurrect them. At open,
leftovers of an interrupted compaction or of a Kea LFC (or an older header, or a stale .output)
are folded in by compacting at once.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from hakea.leases.csv_common import LeaseFileFormat, LeaseRow, ReadStats
from hakea.leases.store import LeaseStoreError

__all__ = [
    "SUFFIX_FINISH",
    "SUFFIX_INPUT",
    "SUFFIX_OUTPUT",
    "SUFFIX_PID",
    "SUFFIX_PREVIOUS",
    "LeaseFileFormat",
    "MemfileJournal",
    "fsync_dir",
    "pid_alive",
]

SUFFIX_PREVIOUS = ".2"
SUFFIX_INPUT = ".1"
SUFFIX_OUTPUT = ".output"
SUFFIX_FINISH = ".completed"
SUFFIX_PID = ".pid"


def fsync_dir(path: str) -> None:
    """fsync the directory holding `path`, so a rename in it survives a power loss."""
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pid_alive(pid_file: str) -> bool:
    """Whether the PID in `pid_file` (kea-lfc's) names a live process other than this one."""
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip() or "0")
    except (OSError, ValueError):
        return False
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


L = TypeVar("L", bound=LeaseRow)


class MemfileJournal(Generic[L]):
    """Mixin: the lease file journal for an in-memory lease store. List it before the memory store
    among the bases, so its persistence hooks (_persist, _persist_deletes, _persist_many), flush()
    and close() override the memory store's no-ops, and name the family's file in the class
    attribute `file_format` (csv4.LEASE4_FILE, csv6.LEASE6_FILE).

    path: the lease file (Kea's `lease-database.name`); persist: False keeps leases in memory only
    (Kea's `"persist": false`; the file is neither read nor written); lfc_interval: seconds between
    compactions run by maybe_compact() (Kea's `lfc-interval`, default 3600; 0 disables); fsync:
    fdatasync() after every change (power-loss safety at the price of a disk flush per change).

    Raises LeaseFileError if a file is not a lease CSV file of the format, LeaseStoreError if it
    cannot be read or written or if kea-lfc is working on it.
    """

    file_format: LeaseFileFormat[L]  # set by the family's class
    # Whether a lease with valid lifetime 0 may be stored. Its row is the file's deletion marker,
    # so such a lease is gone after a restart: refused by default rather than silently lost;
    # DHCPv6 takes it, as kea-dhcp6 2.2's lease6-add / -update / -bulk-apply do (and lose it alike).
    stores_zero_lifetime = False

    if TYPE_CHECKING:  # provided by the memory store this is mixed into

        def all(self) -> Iterator[L]: ...

        def _store_many(self, leases: list[L]) -> None: ...

    def __init__(
        self,
        path: str | os.PathLike[str],
        persist: bool = True,
        lfc_interval: float = 3600,
        fsync: bool = False,
    ) -> None:
        super().__init__()
        self._format = self.file_format
        self.path = os.fspath(path)
        self.persist = persist
        self.lfc_interval = lfc_interval
        self.fsync = fsync
        self.load_stats: list[ReadStats] = []  # one per file read at open, for the daemon's log
        self.compactions = 0
        self._fd = -1
        self._rows_since_compaction = 0
        self._last_compaction: float | None = None
        self._needs_newline = False
        self._deferred: list[bytes] | None = None  # rows kept for write_deferred (group commit)
        if persist:
            self._open()

    # ---- opening -------------------------------------------------------------------------------

    def _open(self) -> None:
        path = self.path
        if pid_alive(path + SUFFIX_PID):
            raise LeaseStoreError(f"kea-lfc is running on {path} ({path}{SUFFIX_PID}); stop it first")
        if os.path.exists(path + SUFFIX_FINISH):
            sources = [path + SUFFIX_FINISH, path]
        else:
            sources = [path + SUFFIX_PREVIOUS, path + SUFFIX_INPUT, path]
        merged: dict[int, L | None] = {}
        # Loading allocates a few objects per lease and no reference cycles: the cyclic GC would
        # only rescan the growing heap again and again (measured: 2.7x slower load of 100,000).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for source in sources:
                if os.path.exists(source):
                    state, stats = self._format.read_file(source)
                    merged.update(state)
                    self.load_stats.append(stats)
            current_header = self._format.header_of(path) if os.path.exists(path) else None
            self._store_many([lease for lease in merged.values() if lease is not None])
        except OSError as exc:
            raise LeaseStoreError(f"cannot read lease file: {exc}") from exc
        finally:
            if gc_was_enabled:
                gc.enable()
        leftovers = any(
            os.path.exists(path + suffix)
            for suffix in (SUFFIX_PREVIOUS, SUFFIX_INPUT, SUFFIX_FINISH, SUFFIX_OUTPUT)
        )
        if leftovers or (current_header is not None and current_header + "\n" != self._format.header):
            # Fold everything into one current-format file now (also upgrades an old header, to
            # which rows of the current, longer column list must not be appended).
            self.compact()
            return
        self._open_journal()

    def _open_journal(self) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise LeaseStoreError(f"cannot open lease file {self.path}: {exc}") from exc
        self._fd = fd
        size = os.fstat(fd).st_size
        if size == 0:
            self._write(self._format.header.encode())
        else:
            # A last row cut short (crash or disk full mid-write) must not glue onto the next one.
            with open(self.path, "rb") as f:
                f.seek(size - 1)
                self._needs_newline = f.read(1) != b"\n"

    # ---- journal -------------------------------------------------------------------------------

    def defer_writes(self) -> None:
        """Keep the rows of the changes made from now on in memory until write_deferred().

        Group commit: the daemon defers around one batch of queries and writes their leases at
        once, before any of their answers leaves -- one write (and one fdatasync) per batch
        instead of one per lease."""
        if self._deferred is None:
            self._deferred = []

    def write_deferred(self) -> None:
        """Write the rows kept since defer_writes() in one go and write directly again. Raises
        LeaseStoreError as a direct write does; the rows are then not in the file, so the daemon
        withholds the answers that carry them (the changes stay in memory: their clients ask again
        and get the same leases, whose rows the next write then holds)."""
        rows, self._deferred = self._deferred, None
        if rows:
            self._write(b"".join(rows))

    def _write(self, data: bytes) -> None:
        if self._deferred is not None:
            self._deferred.append(data)
            return
        if self._fd < 0:
            raise LeaseStoreError(f"lease file {self.path} is closed")
        if self._needs_newline:
            data = b"\n" + data
        done = 0
        try:
            while done < len(data):  # a regular file takes it all at once unless the disk is full
                done += os.write(self._fd, data[done:] if done else data)
        except OSError as exc:
            if done:  # a partial row is on disk: terminate it before the next row
                self._needs_newline = data[done - 1 : done] != b"\n"
            raise LeaseStoreError(f"cannot write lease file {self.path}: {exc}") from exc
        self._needs_newline = False
        if self.fsync:
            try:
                os.fdatasync(self._fd)
            except OSError as exc:
                raise LeaseStoreError(f"cannot sync lease file {self.path}: {exc}") from exc

    def _check_storable(self, lease: L) -> None:
        if lease.valid_lft == 0 and not self.stores_zero_lifetime:
            # Kea's file reads a row with valid_lifetime 0 as a deletion: such a lease would
            # vanish at the next restart. Refuse instead of storing something the file cannot hold.
            raise ValueError("a lease with valid_lft 0 cannot be stored (the memfile's deletion marker)")

    def _persist(self, lease: L) -> None:
        self._check_storable(lease)
        if self.persist:
            self._write(self._format.format_row(lease).encode())
            self._rows_since_compaction += 1

    def _persist_deletes(self, leases: list[L]) -> None:
        if self.persist:
            self._write("".join(map(self._format.format_deletion, leases)).encode())
            self._rows_since_compaction += len(leases)

    def _persist_many(self, leases: list[L]) -> None:
        for lease in leases:
            self._check_storable(lease)
        if self.persist:
            self._write("".join(map(self._format.format_row, leases)).encode())
            self._rows_since_compaction += len(leases)

    # ---- compaction (hakea's lease file cleanup) ----------------------------------------------

    def compact(self) -> None:
        """Rewrite the lease file as one row per lease (crash-safe; see the module docstring)."""
        if not self.persist:
            return
        path = self.path
        output, finish = path + SUFFIX_OUTPUT, path + SUFFIX_FINISH
        format_row = self._format.format_row
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as f:
                f.write(self._format.header)
                batch: list[str] = []
                for lease in self.all():
                    batch.append(format_row(lease))
                    if len(batch) >= 4096:
                        f.write("".join(batch))
                        batch.clear()
                f.write("".join(batch))
                f.flush()
                os.fsync(f.fileno())
            os.replace(output, finish)
            fsync_dir(path)
            for suffix in (SUFFIX_PREVIOUS, SUFFIX_INPUT):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path + suffix)
            os.replace(finish, path)
            fsync_dir(path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(output)
            raise LeaseStoreError(f"lease file cleanup of {path} failed: {exc}") from exc
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._needs_newline = False
        self._open_journal()
        self._rows_since_compaction = 0
        self.compactions += 1

    def maybe_compact(self, now: float) -> bool:
        """Compact if lfc_interval seconds passed since the last compaction (or the first call)
        and rows were appended meanwhile. The daemon's timer calls it; returns whether it ran."""
        if not self.persist or self.lfc_interval <= 0:
            return False
        if self._last_compaction is None:
            self._last_compaction = now
            return False
        if now - self._last_compaction < self.lfc_interval:
            return False
        self._last_compaction = now
        if self._rows_since_compaction == 0:
            return False
        self.compact()
        return True

    # ---- lifecycle -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Force the journal to stable storage (rows already reached the kernel on every change)."""
        if self._fd >= 0:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                raise LeaseStoreError(f"cannot sync lease file {self.path}: {exc}") from exc

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)
