"""What differs between DHCPv4 and DHCPv6 HA: command names, lease JSON, how updates are grouped.

The core is written against `LeaseFamily`; `V4` is the DHCPv4 implementation. A DHCPv6 family
plugs in with lease6-get-page, one lease6-bulk-apply per transaction (and for the whole backlog),
and Lease6 JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any, Protocol

from hakea.ha import commands
from hakea.leases.json4 import format_ipv4, lease4_from_json
from hakea.leases.model import Lease4


class BacklogOp(Enum):
    ADD = "add"
    DELETE = "delete"


class LeaseFamily(Protocol):
    service: str  # "dhcp4" / "dhcp6"
    backlog_batch: int  # backlog entries per request (0: all queued ones)

    def update_commands(self, updated: Sequence[Any], deleted: Sequence[Any]) -> list[dict[str, Any]]: ...

    def backlog_command(self, entries: Sequence[tuple[BacklogOp, Any]]) -> dict[str, Any]: ...

    def lease_from_json(self, obj: Any) -> Any: ...

    def lease_address(self, lease: Any) -> str: ...

    def lease_lb_key(self, lease: Any) -> bytes | None: ...

    def lease_lifetime(self, lease: Any) -> int: ...


class Lease4Family:
    service = "dhcp4"
    backlog_batch = 1  # Kea sends a DHCPv4 backlog one lease4-update / lease4-del at a time

    def update_commands(self, updated: Sequence[Any], deleted: Sequence[Any]) -> list[dict[str, Any]]:
        return commands.lease_updates_v4(updated, deleted)

    def backlog_command(self, entries: Sequence[tuple[BacklogOp, Any]]) -> dict[str, Any]:
        op, lease = entries[0]
        return commands.lease4_del(lease) if op is BacklogOp.DELETE else commands.lease4_update(lease)

    def lease_from_json(self, obj: Any) -> Lease4:
        return lease4_from_json(obj)

    def lease_address(self, lease: Any) -> str:
        assert isinstance(lease, Lease4)
        return format_ipv4(lease.address)

    def lease_lb_key(self, lease: Any) -> bytes | None:
        assert isinstance(lease, Lease4)
        return lease.client_id or lease.hwaddr or None

    def lease_lifetime(self, lease: Any) -> int:
        assert isinstance(lease, Lease4)
        return lease.valid_lft


V4 = Lease4Family()


class LeaseUpdateBacklog:
    """Updates queued in communication-recovery; past `limit` entries it only records the overflow."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: list[tuple[BacklogOp, Any]] = []
        self.overflown = False

    def push(self, op: BacklogOp, lease: Any) -> bool:
        if len(self._entries) >= self.limit:
            self.overflown = True
            return False
        self._entries.append((op, lease))
        return True

    def take(self, count: int) -> list[tuple[BacklogOp, Any]]:
        """The oldest `count` entries (all of them for 0), removed from the queue."""
        n = len(self._entries) if count <= 0 else count
        taken, self._entries = self._entries[:n], self._entries[n:]
        return taken

    def clear(self) -> None:
        self._entries.clear()
        self.overflown = False

    def __len__(self) -> int:
        return len(self._entries)
