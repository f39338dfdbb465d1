"""Expired lease reclamation and the flush of reclaimed leases (Kea "expired-leases-processing").

Reclaiming an expired lease (Kea ARM, "Lease Expiration"): the lease stays in the store in the
expired-reclaimed state (2) with its hostname and DNS flags cleared and its client identity kept
("lease affinity": the same client gets the same address back), unless
flush-reclaimed-timer-wait-time is 0, in which case it is deleted at once. The flush removes
reclaimed leases that expired more than hold-reclaimed-time seconds ago.

Both return the changes made. Kea 2.2's HA hook sends nothing to the partner for reclamation
(only leases4_committed results are replicated); each server reclaims its own copy.
"""

from __future__ import annotations

from collections.abc import Iterable

from hakea.config.model import ExpiredLeasesProcessing
from hakea.dhcp4.decision import LeaseChange
from hakea.leases.model import Lease4, LeaseState
from hakea.leases.store import LeaseStore4

_UNLIMITED = 1 << 62


def reclaim_expired(
    store: LeaseStore4, elp: ExpiredLeasesProcessing, now: float, max_leases: int | None = None
) -> list[LeaseChange]:
    limit = elp.max_reclaim_leases if max_leases is None else max_leases
    if limit <= 0:
        limit = _UNLIMITED  # Kea: 0 means no limit
    remove = elp.flush_reclaimed_timer_wait_time == 0
    changes: list[LeaseChange] = []
    for lease in store.expired(now, limit):
        if remove:
            if store.delete(lease.address):
                changes.append(LeaseChange("deleted", lease))
            continue
        reclaimed = Lease4(
            lease.address, lease.hwaddr, lease.client_id, lease.valid_lft, lease.cltt,
            lease.subnet_id, False, False, "", LeaseState.EXPIRED_RECLAIMED, lease.user_context,
        )  # fmt: skip
        if store.update(reclaimed):
            changes.append(LeaseChange("reclaimed", reclaimed, lease))
    return changes


def flush_reclaimed(store: LeaseStore4, elp: ExpiredLeasesProcessing, now: float) -> list[LeaseChange]:
    """Delete reclaimed leases whose expiry is more than hold-reclaimed-time ago. Walks the
    store (runs every flush-reclaimed-timer-wait-time seconds, not per packet)."""
    cutoff = now - elp.hold_reclaimed_time
    reclaimed = LeaseState.EXPIRED_RECLAIMED
    victims = [lease for lease in store.all() if lease.state == reclaimed and lease.expire < cutoff]
    changes: list[LeaseChange] = []
    for lease in victims:
        if store.delete(lease.address):
            changes.append(LeaseChange("deleted", lease))
    return changes


def reclaim_stats(changes: Iterable[LeaseChange]) -> list[tuple[str, int]]:
    """Kea's counters for a reclamation run: reclaimed-leases, subnet[id].reclaimed-leases and
    subnet[id].assigned-addresses (down). Flushes (deletions of reclaimed leases) count nothing."""
    out: list[tuple[str, int]] = []
    for change in changes:
        old = change.old if change.kind == "reclaimed" else change.lease
        if old is None or old.state != LeaseState.DEFAULT:
            continue
        sid = old.subnet_id
        out += [
            ("reclaimed-leases", 1),
            (f"subnet[{sid}].reclaimed-leases", 1),
            (f"subnet[{sid}].assigned-addresses", -1),
        ]
    return out
