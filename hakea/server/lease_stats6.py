"""The statistics kea-dhcp6 2.2's lease6 commands keep (lease6-add, -update, -del, -bulk-apply,
-wipe), as observed on Debian's kea-dhcp6 2.2.0 with libdhcp_lease_cmds.so.

A lease counts in subnet[id].assigned-nas (IA_NA) or subnet[id].assigned-pds (IA_PD, and IA_TA
too) unless it is expired-reclaimed; a declined one also in declined-addresses and
subnet[id].declined-addresses. Adding a lease counts it, deleting one uncounts it. An update
follows Kea's rules, which do not always keep the counts exact: a lease updated from default or
declined to expired-reclaimed in the same subnet stays counted as assigned (its declined count goes).
A wipe sets the wiped subnet's three counters to 0 (created if missing, even for an unknown subnet)
and lowers the global declined-addresses by what that subnet's counter held: no recount of the
other subnets. The packet path keeps the same counters itself (hakea.dhcp6); after a
(re)configuration hakea.server.stats6.recount6 recounts them from the store.
"""

from __future__ import annotations

from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType
from hakea.server.stats import Statistics

__all__ = ["added", "deleted", "updated", "wiped"]

_DECLINED = LeaseState.DECLINED
_RECLAIMED = LeaseState.EXPIRED_RECLAIMED


def _assigned(subnet_id: int, kind: LeaseType) -> str:
    return f"subnet[{subnet_id}].assigned-{'nas' if kind == LeaseType.NA else 'pds'}"


def _declined(stats: Statistics, subnet_id: int, delta: int, now: float) -> None:
    stats.add("declined-addresses", delta, now)
    stats.add(f"subnet[{subnet_id}].declined-addresses", delta, now)


def added(stats: Statistics, lease: Lease6, now: float) -> None:
    if lease.state == _RECLAIMED:
        return
    stats.add(_assigned(lease.subnet_id, lease.type), 1, now)
    if lease.state == _DECLINED:
        _declined(stats, lease.subnet_id, 1, now)


def deleted(stats: Statistics, lease: Lease6, now: float) -> None:
    if lease.state == _RECLAIMED:
        return
    stats.add(_assigned(lease.subnet_id, lease.type), -1, now)
    if lease.state == _DECLINED:
        _declined(stats, lease.subnet_id, -1, now)


def updated(stats: Statistics, old: Lease6, new: Lease6, now: float) -> None:
    """`new` replaced `old` (same address and type)."""
    if old.state == _RECLAIMED:
        added(stats, new, now)
        return
    moved = old.subnet_id != new.subnet_id
    if moved:
        stats.add(_assigned(old.subnet_id, new.type), -1, now)
    if old.state == _DECLINED:
        _declined(stats, old.subnet_id, -1, now)
    if new.state == _RECLAIMED:
        return
    if moved:
        stats.add(_assigned(new.subnet_id, new.type), 1, now)
    if new.state == _DECLINED:
        _declined(stats, new.subnet_id, 1, now)


def wiped(stats: Statistics, subnet_id: int, now: float) -> None:
    prefix = f"subnet[{subnet_id}]."
    previously_declined = stats.get(prefix + "declined-addresses") or 0
    for name in ("assigned-nas", "assigned-pds", "declined-addresses"):
        stats.set(prefix + name, 0, now)
    stats.add("declined-addresses", -previously_declined, now)
