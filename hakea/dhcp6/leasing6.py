"""Choosing and committing the leases of one IA (Kea 2.2's allocation engine for DHCPv6).

Per IA, in Kea's order: the client's reservations, its existing lease for that IA, the address or
prefix it asked for, then the pools the client's classes permit, subnet by subnet through a
shared network. One address per IA_NA, one prefix per IA_PD. A resource is available to the IA
when no other client (or other IA of the same client) holds an active lease on it, it is not in
decline probation, it is not reserved for someone else and no other IA of the same message got it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hakea.config.model6 import Dhcp6Config, Reservation6
from hakea.dhcp6.allocator6 import IterativeAllocator6
from hakea.dhcp6.client6 import Client6, IaRequest, Key
from hakea.dhcp6.decision6 import LeaseChange6
from hakea.dhcp6.hosts6 import HostIndex6
from hakea.dhcp6.prepared6 import PreparedPool6, PreparedSubnet6
from hakea.dhcp6.subnet_select6 import Classes, supported
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType
from hakea.leases.store6 import LeaseStore6

_DEFAULT = LeaseState.DEFAULT
_DECLINED = LeaseState.DECLINED
_RECLAIMED = LeaseState.EXPIRED_RECLAIMED
_NA = LeaseType.NA
_PD = LeaseType.PD

Stats = list[tuple[str, int]]


@dataclass(slots=True)
class Choice:
    subnet: PreparedSubnet6
    pool: PreparedPool6 | None  # None: a reserved resource outside every pool
    address: int
    prefix_len: int


def _bounded(hint: int, default: int, lo: int | None, hi: int | None) -> int:
    if not hint:
        return default
    low = default if lo is None else lo
    high = default if hi is None else hi
    return low if hint < low else high if hint > high else hint


def assigned_stat(kind: LeaseType) -> str:
    return "assigned-pds" if kind == _PD else "assigned-nas"


def cumulative_stat(kind: LeaseType) -> str:
    return "cumulative-assigned-pds" if kind == _PD else "cumulative-assigned-nas"


class Leasing6:
    """Lease choice and commit over one configuration's subnets and one lease store."""

    def __init__(self, config: Dhcp6Config, store: LeaseStore6, subnets: Sequence[PreparedSubnet6]) -> None:
        self.store = store
        self.by_id: dict[int, PreparedSubnet6] = {p.id: p for p in subnets}
        self.global_hosts = HostIndex6(config.reservations)
        self.any_hosts = bool(self.global_hosts) or any(p.hosts for p in subnets)
        self.allocator = IterativeAllocator6()
        self._stat_names: dict[tuple[int, LeaseType], tuple[str, str, str]] = {}
        self._class_valid: dict[str, int] = {
            c.name: c.valid_lifetime for c in config.client_classes if c.valid_lifetime is not None
        }
        # Resources reserved (for someone) per subnet: never handed out dynamically to others.
        self._reserved: dict[int, dict[Key, Reservation6]] = {}
        for p in subnets:
            reserved: dict[Key, Reservation6] = {}
            indexes = ([self.global_hosts] if p.subnet.reservation_mode_global else []) + (
                [p.hosts] if p.subnet.reservation_mode_in_subnet else []
            )
            for index in indexes:
                reserved.update({(_NA, a): r for a, r in index.by_address.items()})
                reserved.update({(_PD, pfx): r for (pfx, _len), r in index.by_prefix.items()})
            self._reserved[p.id] = reserved

    # ---- the client's view -------------------------------------------------------------------

    def host(self, c: Client6, p: PreparedSubnet6) -> Reservation6 | None:
        """The client's reservation for subnet p: in-subnet first, then global."""
        if not self.any_hosts:
            return None
        if p.id in c.hosts:
            return c.hosts[p.id]
        host = None
        s = p.subnet
        if s.reservation_mode_in_subnet and p.hosts:
            host = p.hosts.find(c.duid, c.hw.address)
        if host is None and s.reservation_mode_global and self.global_hosts:
            host = self.global_hosts.find(c.duid, c.hw.address)
        c.hosts[p.id] = host
        return host

    @staticmethod
    def rotation(p: PreparedSubnet6, classes: Classes) -> tuple[PreparedSubnet6, ...]:
        if not p.rotation_has_classes:
            return p.rotation
        return tuple(x for x in p.rotation if x is p or supported(x, classes))

    def client_leases(self, c: Client6) -> list[Lease6]:
        if c.leases is None:
            c.leases = [le for le in self.store.get_by_duid(c.duid) if le.state != _DECLINED]
        return c.leases

    def ia_leases(self, c: Client6, ia: IaRequest, rotation: Sequence[PreparedSubnet6]) -> list[Lease6]:
        """The IA's leases in the candidate subnets: earliest subnet of the rotation first, then
        the most recent."""
        leases = self.client_leases(c)
        if not leases:
            return []
        rank = {x.id: i for i, x in enumerate(rotation)}
        found = [
            le for le in leases
            if le.iaid == ia.iaid and le.type == ia.kind and le.subnet_id in rank
        ]  # fmt: skip
        found.sort(key=lambda le: (rank[le.subnet_id], -le.cltt))
        return found

    def owned(self, c: Client6, ia: IaRequest, address: int) -> Lease6 | None:
        """The lease on `address` if it is this client's, for this IA."""
        lease = self.store.get(ia.kind, address)
        if lease is None or lease.state == _DECLINED or lease.duid != c.duid or lease.iaid != ia.iaid:
            return None
        return lease

    def lifetimes(self, c: Client6, ia: IaRequest, x: PreparedSubnet6) -> tuple[int, int]:
        """(preferred, valid). Kea 2.2: a class valid-lifetime overrides the subnet's; a lifetime
        the client suggested is used within [min, max] (the configured value being both bounds
        when they are not set); the preferred lifetime never exceeds the valid one."""
        s = x.subnet
        valid, lo, hi = x.valid, s.min_valid_lifetime, s.max_valid_lifetime
        if self._class_valid:
            for name in c.classes:
                v = self._class_valid.get(name)
                if v is not None:
                    valid = lo = hi = v
                    break
        valid = _bounded(ia.valid_hint, valid, lo, hi)
        preferred = _bounded(
            ia.preferred_hint, x.preferred, s.min_preferred_lifetime, s.max_preferred_lifetime
        )
        return min(preferred, valid), valid

    # ---- choice --------------------------------------------------------------------------------

    def available(self, kind: LeaseType, resource: int, c: Client6, iaid: int, x: PreparedSubnet6,
                  now: float) -> bool:  # fmt: skip
        if (kind, resource) in c.taken:
            return False
        lease = self.store.get(kind, resource)
        if lease is not None and lease.state != _RECLAIMED and lease.expire > now:
            if lease.state == _DECLINED:
                return False  # decline probation
            if lease.duid != c.duid or lease.iaid != iaid:
                return False
        owner = self._reserved[x.id].get((kind, resource))
        return owner is None or owner is self.host(c, x)

    def _allowed(self, kind: LeaseType, resource: int, prefix_len: int, c: Client6,
                 x: PreparedSubnet6) -> tuple[bool, PreparedPool6 | None]:  # fmt: skip
        """(allowed, pool): a reserved resource is allowed anywhere; anything else must be in a
        pool whose client-class the client belongs to."""
        pool = x.pool_for(kind, resource, prefix_len)
        host = self.host(c, x)
        if host is not None and (
            resource in host.ip_addresses if kind == _NA else (resource, prefix_len) in host.prefixes
        ):
            return True, pool
        return pool is not None and pool.allows(c.classes), pool

    def choose(self, c: Client6, ia: IaRequest, rotation: Sequence[PreparedSubnet6], own: list[Lease6],
               now: float) -> Choice | None:  # fmt: skip
        kind = ia.kind
        for x in rotation if self.any_hosts else ():
            host = self.host(c, x)
            if host is None:
                continue
            reserved = [(a, 128) for a in host.ip_addresses] if kind == _NA else list(host.prefixes)
            for resource, plen in reserved:
                if kind == _NA and not x.contains(resource):
                    continue
                if self.available(kind, resource, c, ia.iaid, x, now):
                    return Choice(x, x.pool_for(kind, resource, plen), resource, plen)
        for lease in own:
            x = self.by_id[lease.subnet_id]
            allowed, pool = self._allowed(kind, lease.address, lease.prefix_len, c, x)
            if allowed and self.available(kind, lease.address, c, ia.iaid, x, now):
                return Choice(x, pool, lease.address, lease.prefix_len)
        for resource, plen in ia.hints:
            if not resource:
                continue  # an IA_PD hint of :: only carries a length
            for x in rotation:
                pool = x.pool_for(kind, resource, plen if kind == _PD else 128)
                if (
                    pool is not None
                    and pool.allows(c.classes)
                    and self.available(kind, resource, c, ia.iaid, x, now)
                ):
                    return Choice(x, pool, resource, pool.prefix_len)
        wanted_len = 0
        if kind == _PD:
            wanted_len = next((plen for _r, plen in ia.hints if plen), 0)
        classes = c.classes
        for x in rotation:
            pools = x.pd_pools if kind == _PD else x.na_pools
            if wanted_len:  # pd-pools delegating the length the client hinted at first
                pools = tuple(sorted(pools, key=lambda pool: pool.prefix_len != wanted_len))
            for pool in pools:
                if pool.client_class is not None and pool.client_class not in classes:
                    continue
                picked = self.allocator.pick(
                    pool.key, pool.first, pool.last, self._free_check(c, x, pool, now)
                )
                if picked is not None:
                    return Choice(x, pool, pool.resource(picked), pool.prefix_len)
        return None

    def _free_check(
        self, c: Client6, x: PreparedSubnet6, pool: PreparedPool6, now: float
    ) -> Callable[[int], bool]:
        """Free for dynamic allocation: no active lease (expired and reclaimed ones may be reused,
        declined ones once their probation is over), not reserved, not taken by another IA."""
        get = self.store.get
        kind = pool.kind
        reserved = self._reserved[x.id]
        taken = c.taken
        resource = pool.resource

        def is_free(index: int) -> bool:
            key = (kind, resource(index))
            if key in taken or key in reserved:
                return False
            lease = get(*key)
            return lease is None or lease.state == _RECLAIMED or lease.expire <= now

        return is_free

    def allocation_failed(self, c: Client6, rotation: Sequence[PreparedSubnet6], kind: LeaseType) -> Stats:
        """Kea 2.2's v6-allocation-fail counters, with the most specific reason."""
        p = rotation[0]
        pools = [pool for x in rotation for pool in x.pools(kind)]
        if not pools:
            detail = "v6-allocation-fail-no-pools"
        elif all(not pool.allows(c.classes) for pool in pools):
            detail = "v6-allocation-fail-classes"
        elif p.network is not None:
            detail = "v6-allocation-fail-shared-network"
        else:
            detail = "v6-allocation-fail-subnet"
        return [("v6-allocation-fail", 1), (detail, 1), (self.stat(p.id, "v6-allocation-fail"), 1),
                (self.stat(p.id, detail), 1)]  # fmt: skip

    # ---- commit ----------------------------------------------------------------------------------

    def _commit_stats(self, subnet_id: int, kind: LeaseType) -> tuple[str, str, str]:
        """(subnet's assigned, global cumulative, subnet's cumulative) counter names, remembered."""
        names = self._stat_names.get((subnet_id, kind))
        if names is None:
            names = self._stat_names[(subnet_id, kind)] = (
                self.stat(subnet_id, assigned_stat(kind)), cumulative_stat(kind),
                self.stat(subnet_id, cumulative_stat(kind)),
            )  # fmt: skip
        return names

    def stat(self, subnet_id: int, name: str) -> str:
        p = self.by_id.get(subnet_id)
        return (p.stat_prefix if p is not None else f"subnet[{subnet_id}].") + name

    def commit(self, c: Client6, ia: IaRequest, choice: Choice, preferred: int, valid: int,
               now: float) -> tuple[LeaseChange6, Stats]:  # fmt: skip
        """Write the lease; "updated" for an extension of the same client's active lease, "new"
        otherwise (also when an expired, reclaimed or declined lease is taken over)."""
        store = self.store
        x = choice.subnet
        kind = ia.kind
        host = self.host(c, x)
        old = store.get(kind, choice.address)
        mine = old is not None and old.duid == c.duid and old.iaid == ia.iaid
        hw = c.hw
        lease = Lease6(
            choice.address, c.duid, ia.iaid, valid, preferred, int(now), x.id, kind, choice.prefix_len,
            False, False, host.hostname if host is not None else "", hw.address, hw.htype, hw.source,
            _DEFAULT, old.user_context if mine and old is not None else None,
        )  # fmt: skip
        assigned, cumulative, subnet_cumulative = self._commit_stats(x.id, kind)
        counted = [(assigned, 1), (cumulative, 1), (subnet_cumulative, 1)]
        if old is None:
            if not store.add(lease):
                store.upsert(lease)
            return LeaseChange6("new", lease), counted
        store.update(lease)
        stats: Stats = []
        if old.state == _DEFAULT:
            # The old lease is still counted as assigned (expired or not) until reclaimed.
            if old.subnet_id != x.id:
                stats += [(self.stat(old.subnet_id, assigned_stat(kind)), -1), (assigned, 1)]
            if mine and old.expire > now:
                return LeaseChange6("updated", lease, old), stats
            return LeaseChange6("new", lease, old), stats
        if old.state == _DECLINED:  # probation over: Kea reclaims, then allocates
            stats += [
                ("declined-addresses", -1),
                (self.stat(old.subnet_id, "declined-addresses"), -1),
                ("reclaimed-declined-addresses", 1),
                (self.stat(old.subnet_id, assigned_stat(kind)), -1),
            ]
        return LeaseChange6("new", lease, old), stats + counted

    def delete(self, lease: Lease6, now: float, changes: list[LeaseChange6], stats: Stats) -> bool:
        if not self.store.delete(lease.type, lease.address):
            return False
        changes.append(LeaseChange6("deleted", lease))
        if lease.state == _DEFAULT:
            stats.append((self.stat(lease.subnet_id, assigned_stat(lease.type)), -1))
        return True
