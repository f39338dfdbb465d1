"""MemfileLeaseStore4: MemoryLeaseStore4 plus Kea's lease4 CSV file as an append-only journal.

Durability. Every add/update/upsert/delete/wipe/load writes its rows with os.write() on an O_APPEND
descriptor *before* the in-memory change and before returning. The daemon answers the client only
after the store call returns, so a `kill -9` loses no acknowledged lease: the bytes are in the
kernel once write() returns. A power loss can still lose the last rows; `fsync=True` adds an
fdatasync() per operation for that (measured in bench/bench_leases.py: it costs a disk flush per
DHCP exchange, so it is off by default, as in Kea, which never syncs its lease file).
If the write fails, the store raises LeaseStoreError and memory is unchanged.

Files (Kea's names, so Kea and hakea can take over each other's lease file):
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
A crash at any point leaves files that load to the same leases (tests/unit/leases simulate each),
and nothing deleted can come back: the tombstones of deleted leases are only dropped together with
every older row that could resurrect them. At open, leftovers of an interrupted compaction or of a
Kea LFC (or an older header, or a stale .output) are folded in by compacting at once.
"""

from __future__ import annotations

import contextlib
import gc
import os

from hakea.leases.csv4 import (
    HEADER,
    LeaseFileError,
    ReadStats,
    format_deletion,
    format_row,
    header_of,
    read_file,
)
from hakea.leases.memory4 import MemoryLeaseStore4
from hakea.leases.model import Lease4
from hakea.leases.store import LeaseStoreError

__all__ = ["LeaseFileError", "MemfileLeaseStore4"]

_SUFFIX_PREVIOUS = ".2"
_SUFFIX_INPUT = ".1"
_SUFFIX_OUTPUT = ".output"
_SUFFIX_FINISH = ".completed"
_SUFFIX_PID = ".pid"


def _fsync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid_file: str) -> bool:
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


class MemfileLeaseStore4(MemoryLeaseStore4):
    """Kea's memfile lease backend for DHCPv4: answers from memory, journals to a CSV file.

    path: the lease file (Kea's `lease-database.name`); persist: False keeps leases in memory only
    (Kea's `"persist": false`; the file is neither read nor written); lfc_interval: seconds between
    compactions run by maybe_compact() (Kea's `lfc-interval`, default 3600; 0 disables); fsync:
    fdatasync() after every change (power-loss safety at the price of a disk flush per change).

    Raises LeaseFileError if a file is not a lease4 CSV file, LeaseStoreError if it cannot be read
    or written or if kea-lfc is working on it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        persist: bool = True,
        lfc_interval: float = 3600,
        fsync: bool = False,
    ) -> None:
        super().__init__()
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
        if persist:
            self._open()

    # ---- opening -------------------------------------------------------------------------------

    def _open(self) -> None:
        path = self.path
        if _pid_alive(path + _SUFFIX_PID):
            raise LeaseStoreError(f"kea-lfc is running on {path} ({path}{_SUFFIX_PID}); stop it first")
        if os.path.exists(path + _SUFFIX_FINISH):
            sources = [path + _SUFFIX_FINISH, path]
        else:
            sources = [path + _SUFFIX_PREVIOUS, path + _SUFFIX_INPUT, path]
        merged: dict[int, Lease4 | None] = {}
        # Loading allocates a few objects per lease and no reference cycles: the cyclic GC would
        # only rescan the growing heap again and again (measured: 2.7x slower load of 100,000).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for source in sources:
                if os.path.exists(source):
                    state, stats = read_file(source)
                    merged.update(state)
                    self.load_stats.append(stats)
            current_header = header_of(path) if os.path.exists(path) else None
            self._store_many([lease for lease in merged.values() if lease is not None])
        except OSError as exc:
            raise LeaseStoreError(f"cannot read lease file: {exc}") from exc
        finally:
            if gc_was_enabled:
                gc.enable()
        leftovers = any(
            os.path.exists(path + suffix)
            for suffix in (_SUFFIX_PREVIOUS, _SUFFIX_INPUT, _SUFFIX_FINISH, _SUFFIX_OUTPUT)
        )
        if leftovers or (current_header is not None and current_header + "\n" != HEADER):
            # Fold everything into one current-format file now (also upgrades an old header, to
            # which 11-column rows must not be appended).
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
            self._write(HEADER.encode())
        else:
            # A last row cut short (crash or disk full mid-write) must not glue onto the next one.
            with open(self.path, "rb") as f:
                f.seek(size - 1)
                self._needs_newline = f.read(1) != b"\n"

    # ---- journal -------------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
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

    def _persist(self, lease: Lease4) -> None:
        if lease.valid_lft == 0:
            # Kea's file reads a row with valid_lifetime 0 as a deletion: such a lease would
            # vanish at the next restart. Refuse instead of storing something the file cannot hold.
            raise ValueError("a lease with valid_lft 0 cannot be stored (the memfile's deletion marker)")
        if self.persist:
            self._write(format_row(lease).encode())
            self._rows_since_compaction += 1

    def _persist_deletes(self, leases: list[Lease4]) -> None:
        if self.persist:
            self._write("".join(map(format_deletion, leases)).encode())
            self._rows_since_compaction += len(leases)

    def _persist_many(self, leases: list[Lease4]) -> None:
        for lease in leases:
            if lease.valid_lft == 0:
                raise ValueError("a lease with valid_lft 0 cannot be stored (the memfile's deletion marker)")
        if self.persist:
            self._write("".join(map(format_row, leases)).encode())
            self._rows_since_compaction += len(leases)

    # ---- compaction (hakea's lease file cleanup) ----------------------------------------------

    def compact(self) -> None:
        """Rewrite the lease file as one row per lease (crash-safe; see the module docstring)."""
        if not self.persist:
            return
        path = self.path
        output, finish = path + _SUFFIX_OUTPUT, path + _SUFFIX_FINISH
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as f:
                f.write(HEADER)
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
            _fsync_dir(path)
            for suffix in (_SUFFIX_PREVIOUS, _SUFFIX_INPUT):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path + suffix)
            os.replace(finish, path)
            _fsync_dir(path)
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
