"""MemfileLeaseStore6: MemoryLeaseStore6 plus Kea's lease6 CSV file as an append-only journal.

The journal, its durability, Kea's file names (which Kea's own LFC uses for DHCPv6 too) and the
crash-safe compaction are shared with DHCPv4 and described in journal.py; this module only names
the lease6 file format (csv6.py: a valid_lifetime 0 row deletes the lease at its address) and, as
kea-dhcp6 2.2 does, stores a lease with valid lifetime 0 (lease6-add takes one) although its row
reads back as a deletion.
"""

from __future__ import annotations

from hakea.leases.csv6 import LEASE6_FILE, LeaseFileError
from hakea.leases.journal import MemfileJournal
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model6 import Lease6

__all__ = ["LEASE6_FILE", "LeaseFileError", "MemfileLeaseStore6"]


class MemfileLeaseStore6(MemfileJournal[Lease6], MemoryLeaseStore6):
    """Kea's memfile lease backend for DHCPv6: answers from memory, journals to a lease6 CSV
    file. MemfileLeaseStore6(path, persist=True, lfc_interval=3600, fsync=False): arguments,
    attributes and errors as MemfileJournal (LeaseFileError for a file that is not a lease6 CSV
    file).
    """

    file_format = LEASE6_FILE
    stores_zero_lifetime = True  # kea-dhcp6 2.2's lease commands take valid-lft 0 (MemfileJournal)
