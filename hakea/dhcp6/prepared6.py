"""Per-subnet and per-pool DHCPv6 data computed once from the configuration: pools as candidate
ranges for the allocator, reservation indexes, timers, stat names and the order in which a shared
network's subnets are tried."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hakea.config.model import OptionData
from hakea.config.model6 import Dhcp6Config, PdPool6, Pool6, SharedNetwork6, Subnet6
from hakea.dhcp6.hosts6 import HostIndex6
from hakea.leases.model6 import LeaseType

OptionMap6 = dict[int, tuple[bytes, bool]]
"""code -> (payload, always-send)."""

SERVER_MANAGED6: frozenset[int] = frozenset({1, 2, 3, 4, 5, 6, 8, 9, 13, 14, 18, 19, 20, 25, 26})
"""Options the server builds itself (client/server identifiers, IAs, ORO, elapsed time, relay
message, status code, rapid commit, interface-id, reconfigure, IA_PD, IAPREFIX): never copied
from option-data (Kea refuses most of them in option-data anyway)."""

OPTION_SPACE6 = "dhcp6"


def merge_options6(layers: Iterable[Iterable[OptionData]]) -> OptionMap6:
    """Merge option-data layers, most specific first: the first layer defining a code wins;
    always-send set anywhere along the chain sticks (as for DHCPv4)."""
    chosen: dict[int, bytes] = {}
    sticky: set[int] = set()
    for layer in layers:
        for od in layer:
            if od.space != OPTION_SPACE6 or od.code in SERVER_MANAGED6:
                continue
            if od.always_send:
                sticky.add(od.code)
            if od.code not in chosen:
                chosen[od.code] = od.data
    return {code: (chosen[code], code in sticky) for code in sorted(chosen)}


@dataclass(slots=True, eq=False)
class PreparedPool6:
    """An address pool or a pd-pool as a range of candidate indexes [first, last]."""

    kind: LeaseType
    key: int  # unique across the configuration: the allocator's cursor key
    first: int
    last: int
    shift: int  # 0 for addresses; 128 - delegated_len for prefixes
    base: int  # added to index << shift
    prefix_len: int  # 128, or the delegated length
    client_class: str | None
    require_client_classes: tuple[str, ...]
    option_data: tuple[OptionData, ...]
    pd_pool: PdPool6 | None = None

    def resource(self, index: int) -> int:
        return self.base + (index << self.shift)

    def contains(self, resource: int, prefix_len: int = 128) -> bool:
        if prefix_len != self.prefix_len:
            return False
        offset = resource - self.base
        if offset < 0 or offset & ((1 << self.shift) - 1):
            return False
        return self.first <= offset >> self.shift <= self.last

    def allows(self, classes: dict[str, None]) -> bool:
        return self.client_class is None or self.client_class in classes


@dataclass(slots=True, eq=False)
class PreparedSubnet6:
    subnet: Subnet6
    network: SharedNetwork6 | None
    id: int
    na_pools: tuple[PreparedPool6, ...]
    pd_pools: tuple[PreparedPool6, ...]
    hosts: HostIndex6
    preferred: int
    valid: int
    renew_timer: int | None
    rebind_timer: int | None
    calculate_tee_times: bool
    t1_percent: float
    t2_percent: float
    rapid_commit: bool
    interface: str
    interface_id: bytes
    relay_addresses: tuple[int, ...]
    order: int = 0  # rank by subnet id (Kea picks the first matching subnet in id order)
    rotation: tuple[PreparedSubnet6, ...] = ()  # this subnet, then the rest of its shared network
    rotation_has_classes: bool = False
    stat_prefix: str = ""
    required_classes: tuple[str, ...] = ()  # require-client-classes: shared network's, then subnet's

    def contains(self, address: int) -> bool:
        return self.subnet.contains(address)

    def pools(self, kind: LeaseType) -> tuple[PreparedPool6, ...]:
        return self.pd_pools if kind == LeaseType.PD else self.na_pools

    def pool_for(self, kind: LeaseType, resource: int, prefix_len: int = 128) -> PreparedPool6 | None:
        for pool in self.pools(kind):
            if pool.contains(resource, prefix_len):
                return pool
        return None

    @property
    def network_options(self) -> tuple[OptionData, ...]:
        return self.network.option_data if self.network is not None else ()


def _na_pool(pool: Pool6, key: int) -> PreparedPool6:
    return PreparedPool6(
        LeaseType.NA, key, pool.start, pool.end, 0, 0, 128, pool.client_class,
        pool.require_client_classes, pool.option_data,
    )  # fmt: skip


def _pd_pool(pool: PdPool6, key: int) -> PreparedPool6:
    shift = 128 - pool.delegated_len
    return PreparedPool6(
        LeaseType.PD, key, 0, pool.capacity - 1, shift, pool.prefix, pool.delegated_len,
        pool.client_class, pool.require_client_classes, pool.option_data, pool,
    )  # fmt: skip


def prepare6(config: Dhcp6Config) -> list[PreparedSubnet6]:
    """One PreparedSubnet6 per configured subnet (shared-network members included)."""
    subnet_network: dict[int, SharedNetwork6] = {}
    by_id: dict[int, Subnet6] = {}
    for n in config.shared_networks:
        for s in n.subnets:
            subnet_network[s.id] = n
            by_id.setdefault(s.id, s)
    networks = {n.name: n for n in config.shared_networks}
    for s in config.subnets:
        by_id[s.id] = s
    key = 0
    out: list[PreparedSubnet6] = []
    for s in by_id.values():
        network = subnet_network.get(s.id)
        if network is None and s.shared_network:
            network = networks.get(s.shared_network)
        na: list[PreparedPool6] = []
        for pool in s.pools:
            na.append(_na_pool(pool, key))
            key += 1
        pd: list[PreparedPool6] = []
        for pd_pool in s.pd_pools:
            pd.append(_pd_pool(pd_pool, key))
            key += 1
        valid = s.valid_lifetime
        p = PreparedSubnet6(
            subnet=s,
            network=network,
            id=s.id,
            na_pools=tuple(na),
            pd_pools=tuple(pd),
            hosts=HostIndex6(s.reservations),
            preferred=min(s.preferred_lifetime, valid),
            valid=valid,
            renew_timer=s.renew_timer if s.renew_timer is not None else config.renew_timer,
            rebind_timer=s.rebind_timer if s.rebind_timer is not None else config.rebind_timer,
            calculate_tee_times=s.calculate_tee_times,
            t1_percent=s.t1_percent,
            t2_percent=s.t2_percent,
            rapid_commit=s.rapid_commit,
            interface=s.interface or (network.interface if network is not None else ""),
            interface_id=s.interface_id or (network.interface_id if network is not None else b""),
            relay_addresses=tuple(dict.fromkeys(
                s.relay_addresses + (network.relay_addresses if network is not None else ())
            )),
        )  # fmt: skip
        p.stat_prefix = f"subnet[{s.id}]."
        p.required_classes = (network.require_client_classes if network is not None else ()) + tuple(
            s.require_client_classes
        )
        out.append(p)
    # Kea keeps subnets ordered by id: selection takes the first match in that order, and a shared
    # network is tried from the selected subnet on, by id, wrapping around.
    out.sort(key=lambda x: x.id)
    by_network: dict[str, list[PreparedSubnet6]] = {}
    for rank, p in enumerate(out):
        p.order = rank
        if p.network is not None:
            by_network.setdefault(p.network.name, []).append(p)
    for p in out:
        if p.network is None:
            p.rotation = (p,)
        else:
            members = by_network[p.network.name]
            i = members.index(p)
            p.rotation = tuple(members[i:] + members[:i])
        p.rotation_has_classes = any(m.subnet.client_class for m in p.rotation) or bool(
            p.network is not None and p.network.client_class
        )
    return out
