"""The DHCPv6 lease record (addresses and delegated prefixes), as Kea 2.2 stores it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from hakea.leases.model import LeaseState


class LeaseType(IntEnum):
    """Kea's lease_type column: 0 IA_NA, 1 IA_TA, 2 IA_PD."""

    NA = 0
    TA = 1
    PD = 2


@dataclass(slots=True)
class Lease6:
    """One DHCPv6 lease. `address` is the IPv6 address (or prefix) as an int; `prefix_len` is 128
    for addresses; `duid` raw bytes; `hwaddr` b"" when unknown. cltt/expire as for Lease4."""

    address: int
    duid: bytes
    iaid: int
    valid_lft: int
    preferred_lft: int
    cltt: int
    subnet_id: int
    type: LeaseType = LeaseType.NA
    prefix_len: int = 128
    fqdn_fwd: bool = False
    fqdn_rev: bool = False
    hostname: str = ""
    hwaddr: bytes = b""
    hwtype: int = 1
    hwaddr_source: int = 0
    state: LeaseState = LeaseState.DEFAULT
    user_context: dict[str, object] | None = None

    @property
    def expire(self) -> int:
        return self.cltt + self.valid_lft

    def is_expired(self, now: float) -> bool:
        return self.expire <= now
