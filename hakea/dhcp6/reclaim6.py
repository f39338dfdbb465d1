"""Expired DHCPv6 lease reclamation and the flush of reclaimed leases (Kea "expired-leases-
processing"), the v6 twin of hakea.dhcp4.reclaim: a reclaimed lease stays in the store in the
expired-reclaimed state with hostname and DNS flags cleared and the client identity kept, or is
deleted at once when flush-reclaimed-timer-wait-time is 0; the flush removes reclaimed leases
that expired more than hold-reclaimed-time ago. Kea 2.2's HA sends nothing for either."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from hakea.config.model import ExpiredLeasesProcessing
from hakea.dhcp6.decision6 import LeaseChange6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import LeaseType
from hakea.leases.store6 import LeaseStore6

_UNLIMITED = 1 << 62


def reclaim_expired6(
    store: LeaseStore6, elp: ExpiredLeasesProcessing, now: float, max_leases: int | None = None
) -> list[LeaseChange6]:
    limit = elp.max_reclaim_leases if max_leases is None else max_leases
    if limit <= 0:
        limit = _UNLIMITED  # Kea: 0 means no limit
    remove = elp.flush_reclaimed_timer_wait_time == 0
    changes: list[LeaseChange6] = []
    for lease in store.expired(now, limit):
        if remove:
            if store.delete(lease.type, lease.address):
                changes.append(LeaseChange6("deleted", lease))
            continue
        reclaimed = replace(
            lease, fqdn_fwd=False, fqdn_rev=False, hostname="", state=LeaseState.EXPIRED_RECLAIMED
        )
        if store.update(reclaimed):
            changes.append(LeaseChange6("reclaimed", reclaimed, lease))
    return changes


def flush_reclaimed6(store: LeaseStore6, elp: ExpiredLeasesProcessing, now: float) -> list[LeaseChange6]:
    cutoff = now - elp.hold_reclaimed_time
    reclaimed = LeaseState.EXPIRED_RECLAIMED
    victims = [lease for lease in store.all() if lease.state == reclaimed and lease.expire < cutoff]
    changes: list[LeaseChange6] = []
    for lease in victims:
        if store.delete(lease.type, lease.address):
            changes.append(LeaseChange6("deleted", lease))
    return changes


def reclaim_stats6(changes: Iterable[LeaseChange6]) -> list[tuple[str, int]]:
    """reclaimed-leases, subnet[id].reclaimed-leases and subnet[id].assigned-nas/-pds (down) for
    default-state leases; a declined address leaving probation moves the declined counters."""
    out: list[tuple[str, int]] = []
    for change in changes:
        old = change.old if change.kind == "reclaimed" else change.lease
        if old is None:
            continue
        sid = old.subnet_id
        if old.state == LeaseState.DEFAULT:
            kind = "assigned-pds" if old.type == LeaseType.PD else "assigned-nas"
            out += [
                ("reclaimed-leases", 1),
                (f"subnet[{sid}].reclaimed-leases", 1),
                (f"subnet[{sid}].{kind}", -1),
            ]
        elif old.state == LeaseState.DECLINED:
            out += [
                ("declined-addresses", -1),
                (f"subnet[{sid}].declined-addresses", -1),
                ("reclaimed-declined-addresses", 1),
                (f"subnet[{sid}].reclaimed-declined-addresses", 1),
            ]
    return out
