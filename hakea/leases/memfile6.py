"""MemfileLeaseStore6: MemoryLeaseStore6 plus Kea's lease6 CSV file as an append-only journal.

The journal, its durability and the compaction are memfile4's (read its docstring); only the row
format differs (csv6.py). In short:
- every add/update/upsert/delete/wipe/load os.write()s its rows on an O_APPEND descriptor before
  memory changes and before returning, so a `kill -9` loses no acknowledged lease (fsync=True adds
  an fdatasync per change against power loss); a failed write raises LeaseStoreError and leaves
  memory unchanged;
- Kea's file names, which Kea's own LFC uses for DHCPv6 too (checked: kea-dhcp6 2.2 runs
  `kea-lfc -6 -x <name>.2 -i <name>.1 -o <name>.output -f <name>.completed -p <name>.pid`):
  loading reads <name>.completed then <name> when .completed exists, else <name>.2, <name>.1 and
  <name>; later rows win, and a valid_lifetime 0 row deletes the lease at its address;
- compact() writes a snapshot to <name>.output, fsyncs it, renames it to <name>.completed, drops
  .2/.1 and renames .completed over <name>: a crash at any step reloads to the same leases, and
  leftovers of an interrupted compaction, of a Kea LFC or an older header are folded in at open.
"""

from __future__ import annotations

import contextlib
import gc
import os

from hakea.leases.csv6 import (
    HEADER,
    LeaseFileError,
    ReadStats,
    format_deletion,
    format_row,
    header_of,
    read_file,
)
from hakea.leases.memfile4 import (
    _SUFFIX_FINISH,
    _SUFFIX_INPUT,
    _SUFFIX_OUTPUT,
    _SUFFIX_PID,
    _SUFFIX_PREVIOUS,
    _fsync_dir,
    _pid_alive,
)
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model6 import Lease6
from hakea.leases.store import LeaseStoreError

__all__ = ["LeaseFileError", "MemfileLeaseStore6"]


class MemfileLeaseStore6(MemoryLeaseStore6):
    """Kea's memfile lease backend for DHCPv6: answers from memory, journals to a CSV file.

    path: the lease file (Kea's `lease-database.name`); persist: False keeps leases in memory only
    (Kea's `"persist": false`; the file is neither read nor written); lfc_interval: seconds between
    compactions run by maybe_compact() (Kea's `lfc-interval`, default 3600; 0 disables); fsync:
    fdatasync() after every change (power-loss safety at the price of a disk flush per change).

    Raises LeaseFileError if a file is not a lease6 CSV file, LeaseStoreError if it cannot be read
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
        merged: dict[int, Lease6 | None] = {}
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
            # which 17-column rows must not be appended).
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

    def _persist(self, lease: Lease6) -> None:
        if lease.valid_lft == 0:
            # Kea's file reads a row with valid_lifetime 0 as a deletion: such a lease would
            # vanish at the next restart. Refuse instead of storing something the file cannot hold.
            raise ValueError("a lease with valid_lft 0 cannot be stored (the memfile's deletion marker)")
        if self.persist:
            self._write(format_row(lease).encode())
            self._rows_since_compaction += 1

    def _persist_deletes(self, leases: list[Lease6]) -> None:
        if self.persist:
            self._write("".join(map(format_deletion, leases)).encode())
            self._rows_since_compaction += len(leases)

    def _persist_many(self, leases: list[Lease6]) -> None:
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
