"""Kea 2.2's DHCPv6 statistics: the pkt6-* packet counters and the lease counters recounted after
each (re)configuration. The counter store itself is hakea.server.stats.Statistics."""

from __future__ import annotations

from collections.abc import Iterable

from hakea.config.model6 import Subnet6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType
from hakea.server.stats import Statistics

PKT6_NAMES = (
    "pkt6-received",
    "pkt6-solicit-received",
    "pkt6-advertise-received",
    "pkt6-request-received",
    "pkt6-reply-received",
    "pkt6-renew-received",
    "pkt6-rebind-received",
    "pkt6-decline-received",
    "pkt6-release-received",
    "pkt6-infrequest-received",
    "pkt6-dhcpv4-query-received",
    "pkt6-dhcpv4-response-received",
    "pkt6-unknown-received",
    "pkt6-sent",
    "pkt6-advertise-sent",
    "pkt6-reply-sent",
    "pkt6-dhcpv4-response-sent",
    "pkt6-parse-failed",
    "pkt6-receive-drop",
)

# Message type -> its pkt6-*-received counter (Kea counts the client message of a Relay-forw;
# Confirm and the other types have no counter of their own: pkt6-unknown-received).
RECEIVED_NAMES6 = {
    1: "pkt6-solicit-received",
    2: "pkt6-advertise-received",
    3: "pkt6-request-received",
    5: "pkt6-renew-received",
    6: "pkt6-rebind-received",
    7: "pkt6-reply-received",
    8: "pkt6-release-received",
    9: "pkt6-decline-received",
    11: "pkt6-infrequest-received",
    20: "pkt6-dhcpv4-query-received",
    21: "pkt6-dhcpv4-response-received",
}
SENT_NAMES6 = {2: "pkt6-advertise-sent", 7: "pkt6-reply-sent", 21: "pkt6-dhcpv4-response-sent"}

GLOBAL_LEASE_NAMES6 = (
    "cumulative-assigned-nas",
    "cumulative-assigned-pds",
    "declined-addresses",
    "reclaimed-declined-addresses",
    "reclaimed-leases",
    "v6-allocation-fail",
    "v6-allocation-fail-classes",
    "v6-allocation-fail-no-pools",
    "v6-allocation-fail-shared-network",
    "v6-allocation-fail-subnet",
)
SUBNET_ZERO_NAMES6 = (
    "cumulative-assigned-nas",
    "cumulative-assigned-pds",
    "reclaimed-declined-addresses",
    "reclaimed-leases",
)
_INT64_MAX = (1 << 63) - 1  # Kea's statistics are int64: a /64 pool's size is capped


def recount6(stats: Statistics, subnets: Iterable[Subnet6], leases: Iterable[Lease6], now: float) -> None:
    """After a (re)configuration, as recount4: subnet counters start again, total-nas/total-pds
    are the pools' sizes, assigned-nas/assigned-pds and declined-addresses are counted from the
    store (declined addresses count as assigned until reclaimed; reclaimed leases do not)."""
    for name in stats.names():
        if name.startswith("subnet["):
            stats.remove(name)
    for name in GLOBAL_LEASE_NAMES6:
        if stats.get(name) is None:
            stats.set(name, 0, now)
    assigned: dict[tuple[int, LeaseType], int] = {}
    declined: dict[int, int] = {}
    for lease in leases:
        if lease.state == LeaseState.EXPIRED_RECLAIMED:
            continue
        key = (lease.subnet_id, LeaseType.PD if lease.type == LeaseType.PD else LeaseType.NA)
        assigned[key] = assigned.get(key, 0) + 1
        if lease.state == LeaseState.DECLINED:
            declined[lease.subnet_id] = declined.get(lease.subnet_id, 0) + 1
    total_declined = 0
    for subnet in subnets:
        prefix = f"subnet[{subnet.id}]."
        total_na = sum(p.end - p.start + 1 for p in subnet.pools)
        total_pd = sum(p.capacity for p in subnet.pd_pools)
        stats.set(prefix + "total-nas", min(total_na, _INT64_MAX), now)
        stats.set(prefix + "total-pds", min(total_pd, _INT64_MAX), now)
        stats.set(prefix + "assigned-nas", assigned.get((subnet.id, LeaseType.NA), 0), now)
        stats.set(prefix + "assigned-pds", assigned.get((subnet.id, LeaseType.PD), 0), now)
        stats.set(prefix + "declined-addresses", declined.get(subnet.id, 0), now)
        total_declined += declined.get(subnet.id, 0)
        for name in SUBNET_ZERO_NAMES6:
            stats.set(prefix + name, 0, now)
    stats.set("declined-addresses", total_declined, now)
