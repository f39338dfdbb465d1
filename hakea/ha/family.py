"""What differs between DHCPv4 and DHCPv6 HA: command names, lease JSON, how updates are grouped.

The core is written against `LeaseFamily`. `V4`: lease4-update / lease4-del per lease, lease4 JSON.
`V6`: one lease6-bulk-apply per client transaction (and one for the whole backlog), lease6 JSON;
the sync pages with lease6-get-page (hakea.ha.commands.lease_get_page picks the name by service).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any, Protocol

from hakea.ha import commands
from hakea.leases.json4 import format_ipv4, lease4_from_json
from hakea.leases.json6 import format_ipv6, lease6_from_json, lease6_to_update_args
from hakea.leases.model import Lease4
from hakea.leases.model6 import Lease6


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


def lease6_bulk_apply(updated: Sequence[Lease6], deleted: Sequence[Lease6]) -> dict[str, Any]:
    """Kea 2.2's HA update for DHCPv6 (observed from kea-dhcp6 2.2.0, see hakea.leases.json6):
    {"arguments": {"deleted-leases": [...], "leases": [...]}, "command": "lease6-bulk-apply",
    "service": ["dhcp6"]}, each lease with "expire" in place of "cltt"."""
    return {
        "arguments": {
            "deleted-leases": [lease6_to_update_args(lease) for lease in deleted],
            "leases": [lease6_to_update_args(lease) for lease in updated],
        },
        "command": "lease6-bulk-apply",
        "service": ["dhcp6"],
    }


class Lease6Family:
    service = "dhcp6"
    backlog_batch = 0  # Kea sends a DHCPv6 backlog as one lease6-bulk-apply

    def update_commands(self, updated: Sequence[Any], deleted: Sequence[Any]) -> list[dict[str, Any]]:
        return [lease6_bulk_apply(updated, deleted)]

    def backlog_command(self, entries: Sequence[tuple[BacklogOp, Any]]) -> dict[str, Any]:
        # A lease deleted then re-added (or the reverse) within the backlog: its last operation wins.
        last: dict[tuple[int, int], tuple[BacklogOp, Lease6]] = {}
        for op, lease in entries:
            last[(int(lease.type), lease.address)] = (op, lease)
        deleted = [lease for op, lease in last.values() if op is BacklogOp.DELETE]
        updated = [lease for op, lease in last.values() if op is BacklogOp.ADD]
        return lease6_bulk_apply(updated, deleted)

    def lease_from_json(self, obj: Any) -> Lease6:
        return lease6_from_json(obj)

    def lease_address(self, lease: Any) -> str:
        assert isinstance(lease, Lease6)
        return format_ipv6(lease.address)

    def lease_lb_key(self, lease: Any) -> bytes | None:
        assert isinstance(lease, Lease6)
        return lease.duid or None

    def lease_lifetime(self, lease: Any) -> int:
        assert isinstance(lease, Lease6)
        return lease.valid_lft


V6 = Lease6Family()


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
