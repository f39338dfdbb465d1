"""MemfileLeaseStore4: MemoryLeaseStore4 plus Kea's lease4 CSV file as an append-only journal.

The journal, its durability, Kea's file names (LFC) and the crash-safe compaction are shared with
DHCPv6 and described in journal.py; this module only supplies the lease4 row format (csv4.py).
"""

from __future__ import annotations

import os

from hakea.leases.csv4 import (
    HEADER,
    LeaseFileError,
    format_deletion,
    format_row,
    header_of,
    read_file,
)
from hakea.leases.journal import LeaseFileFormat, MemfileJournal
from hakea.leases.memory4 import MemoryLeaseStore4
from hakea.leases.model import Lease4

__all__ = ["LEASE4_FILE", "LeaseFileError", "MemfileLeaseStore4"]

LEASE4_FILE: LeaseFileFormat[Lease4] = LeaseFileFormat(
    header=HEADER,
    format_row=format_row,
    format_deletion=format_deletion,
    read_file=read_file,
    header_of=header_of,
)


class MemfileLeaseStore4(MemfileJournal[Lease4], MemoryLeaseStore4):
    """Kea's memfile lease backend for DHCPv4: answers from memory, journals to a lease4 CSV
    file. Arguments, attributes and errors: MemfileJournal (LeaseFileError for a file that is
    not a lease4 CSV file).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        persist: bool = True,
        lfc_interval: float = 3600,
        fsync: bool = False,
    ) -> None:
        super().__init__(LEASE4_FILE, path, persist, lfc_interval, fsync)
