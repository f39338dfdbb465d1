"""The lease records shared by the allocation engine, the lease stores, the lease commands and HA."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class LeaseState(IntEnum):
    """Kea's lease states (the `state` column of the memfile and of lease JSON)."""

    DEFAULT = 0
    DECLINED = 1
    EXPIRED_RECLAIMED = 2


@dataclass(slots=True)
class Lease4:
    """One DHCPv4 lease, as Kea stores it.

    `cltt` is the client last transmission time (seconds since the epoch); Kea's memfile stores
    `expire` = cltt + valid_lft, lease JSON carries `cltt` (get) or `expire` (HA's lease4-update).
    `address` is the IPv4 address as an int (fast ordering for paging); `hwaddr` and `client_id`
    are raw bytes (b"" when unknown).
    """

    address: int
    hwaddr: bytes
    client_id: bytes
    valid_lft: int
    cltt: int
    subnet_id: int
    fqdn_fwd: bool = False
    fqdn_rev: bool = False
    hostname: str = ""
    state: LeaseState = LeaseState.DEFAULT
    user_context: dict[str, object] | None = None

    @property
    def expire(self) -> int:
        return self.cltt + self.valid_lft

    def is_expired(self, now: float) -> bool:
        return self.expire <= now
