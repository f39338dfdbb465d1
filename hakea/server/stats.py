"""Kea-style statistics: named counters with a timestamp of their last change.

Kea's statistic-get answers {"name": [[value, "YYYY-MM-DD HH:MM:SS.ffffff"]]}; we keep the current
value and its timestamp (Kea keeps a sample history; one sample is what operators read).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable

from hakea.config.model import Subnet4
from hakea.leases.model import Lease4, LeaseState


class Statistics:
    def __init__(self, names: Iterable[str] = (), started: float | None = None) -> None:
        # Kea stamps a statistic that never changed with the server's start time, not the epoch.
        self.started = time.time() if started is None else started
        self._values: dict[str, int] = {}
        self._stamps: dict[str, float] = {}
        for name in names:
            self._values[name] = 0
            self._stamps[name] = self.started

    def add(self, name: str, amount: int = 1, now: float = 0.0) -> None:
        self._values[name] = self._values.get(name, 0) + amount
        self._stamps[name] = now

    def counters(self) -> tuple[dict[str, int], dict[str, float]]:
        """The value and timestamp dicts themselves, for the packet path's inline increments (a
        method call per counter costs more than the increment). Update both together."""
        return self._values, self._stamps

    def set(self, name: str, value: int, now: float = 0.0) -> None:
        self._values[name] = value
        self._stamps[name] = now

    def get(self, name: str) -> int | None:
        return self._values.get(name)

    def reset(self, name: str | None = None, now: float = 0.0) -> bool:
        names = list(self._values) if name is None else [name]
        for n in names:
            if n not in self._values:
                return False
            self._values[n] = 0
            self._stamps[n] = now
        return True

    def remove(self, name: str) -> bool:
        self._stamps.pop(name, None)
        return self._values.pop(name, None) is not None

    def names(self) -> list[str]:
        return sorted(self._values)

    def sample(self, name: str) -> list[list[object]] | None:
        if name not in self._values:
            return None
        stamp = datetime.datetime.fromtimestamp(self._stamps[name], datetime.UTC)
        return [[self._values[name], stamp.strftime("%Y-%m-%d %H:%M:%S.%f")]]

    def as_kea(self) -> dict[str, list[list[object]]]:
        return {n: s for n in sorted(self._values) if (s := self.sample(n)) is not None}


PKT4_NAMES = (
    "pkt4-received",
    "pkt4-discover-received",
    "pkt4-offer-received",
    "pkt4-request-received",
    "pkt4-ack-received",
    "pkt4-nak-received",
    "pkt4-release-received",
    "pkt4-decline-received",
    "pkt4-inform-received",
    "pkt4-unknown-received",
    "pkt4-sent",
    "pkt4-offer-sent",
    "pkt4-ack-sent",
    "pkt4-nak-sent",
    "pkt4-parse-failed",
    "pkt4-receive-drop",
)

# Lease counters Kea 2.2 shows from start-up (measured: statistic-get-all on a fresh kea-dhcp4 2.2.0).
GLOBAL_LEASE_NAMES4 = (
    "cumulative-assigned-addresses",
    "declined-addresses",
    "reclaimed-declined-addresses",
    "reclaimed-leases",
    "v4-allocation-fail",
    "v4-allocation-fail-classes",
    "v4-allocation-fail-no-pools",
    "v4-allocation-fail-shared-network",
    "v4-allocation-fail-subnet",
    "v4-reservation-conflicts",
)
SUBNET_ZERO_NAMES4 = (
    "cumulative-assigned-addresses",
    "reclaimed-declined-addresses",
    "reclaimed-leases",
    "v4-reservation-conflicts",
)


def recount4(stats: Statistics, subnets: Iterable[Subnet4], leases: Iterable[Lease4], now: float) -> None:
    """Kea's statistics after a (re)configuration: the subnet counters start again (those of
    subnets no longer configured go), total-addresses is the pools' size, assigned-addresses and
    declined-addresses are counted from the lease store. As measured on Kea 2.2: assigned counts
    default-state leases (expired but not yet reclaimed ones too) and declined ones; expired-
    reclaimed leases are not assigned. Global counters keep their values, except declined-addresses,
    which is recounted."""
    for name in stats.names():
        if name.startswith("subnet["):
            stats.remove(name)
    for name in GLOBAL_LEASE_NAMES4:
        if stats.get(name) is None:
            stats.set(name, 0, now)
    assigned: dict[int, int] = {}
    declined: dict[int, int] = {}
    for lease in leases:
        if lease.state == LeaseState.DEFAULT:
            assigned[lease.subnet_id] = assigned.get(lease.subnet_id, 0) + 1
        elif lease.state == LeaseState.DECLINED:
            assigned[lease.subnet_id] = assigned.get(lease.subnet_id, 0) + 1
            declined[lease.subnet_id] = declined.get(lease.subnet_id, 0) + 1
    total_declined = 0
    for subnet in subnets:
        prefix = f"subnet[{subnet.id}]."
        stats.set(prefix + "total-addresses", sum(p.size for p in subnet.pools), now)
        stats.set(prefix + "assigned-addresses", assigned.get(subnet.id, 0), now)
        stats.set(prefix + "declined-addresses", declined.get(subnet.id, 0), now)
        total_declined += declined.get(subnet.id, 0)
        for name in SUBNET_ZERO_NAMES4:
            stats.set(prefix + name, 0, now)
    stats.set("declined-addresses", total_declined, now)
