"""MemfileLeaseStore4: MemoryLeaseStore4 plus Kea's lease4 CSV file as an append-only journal.

The journal, its durability, Kea's file names (LFC) and the crash-safe compaction are shared with
DHCPv6 and described in journal.py; this module only names the lease4 file format (csv4.py).
"""

from __future__ import annotations

from hakea.leases.csv4 import LEASE4_FILE, LeaseFileError
from hakea.leases.journal import MemfileJournal
from hakea.leases.memory4 import MemoryLeaseStore4
from hakea.leases.model import Lease4

__all__ = ["LEASE4_FILE", "LeaseFileError", "MemfileLeaseStore4"]


class MemfileLeaseStore4(MemfileJournal[Lease4], MemoryLeaseStore4):
    """Kea's memfile lease backend for DHCPv4: answers from memory, journals to a lease4 CSV
    file. MemfileLeaseStore4(path, persist=True, lfc_interval=3600, fsync=False): arguments,
    attributes and errors as MemfileJournal (LeaseFileError for a file that is not a lease4 CSV
    file).
    """

    file_format = LEASE4_FILE
