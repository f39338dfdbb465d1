"""MemfileLeaseStore6: MemoryLeaseStore6 plus Kea's lease6 CSV file as an append-only journal.

The journal, its durability, Kea's file names (which Kea's own LFC uses for DHCPv6 too) and the
crash-safe compaction are shared with DHCPv4 and described in journal.py; this module only supplies
the lease6 row format (csv6.py: a valid_lifetime 0 row deletes the lease at its address).
"""

from __future__ import annotations

import os

from hakea.leases.csv6 import (
    HEADER,
    LeaseFileError,
    format_deletion,
    format_row,
    header_of,
    read_file,
)
from hakea.leases.journal import LeaseFileFormat, MemfileJournal
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model6 import Lease6

__all__ = ["LEASE6_FILE", "LeaseFileError", "MemfileLeaseStore6"]

LEASE6_FILE: LeaseFileFormat[Lease6] = LeaseFileFormat(
    header=HEADER,
    format_row=format_row,
    format_deletion=format_deletion,
    read_file=read_file,
    header_of=header_of,
)


class MemfileLeaseStore6(MemfileJournal[Lease6], MemoryLeaseStore6):
    """Kea's memfile lease backend for DHCPv6: answers from memory, journals to a lease6 CSV
    file. Arguments, attributes and errors: MemfileJournal (LeaseFileError for a file that is
    not a lease6 CSV file).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        persist: bool = True,
        lfc_interval: float = 3600,
        fsync: bool = False,
    ) -> None:
        super().__init__(LEASE6_FILE, path, persist, lfc_interval, fsync)
