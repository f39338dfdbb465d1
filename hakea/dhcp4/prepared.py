"""Per-subnet and per-pool data computed once from the configuration, so that handling a packet
is mostly dict lookups: merged option tables, lease timers, reservation indexes, stat names and
the order in which a shared network's subnets are tried."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hakea.config.model import Dhcp4Config, OptionData, Pool4, SharedNetwork4, Subnet4
from hakea.dhcp4.hosts4 import HostIndex

OptionMap = dict[int, tuple[bytes, bool]]
"""code -> (payload, always-send), ascending code order."""


def encoded_size(payloads: Iterable[bytes]) -> int:
    """Bytes these option payloads take on the wire (code and length octets included, long
    payloads split per RFC 3396)."""
    size = 0
    for payload in payloads:
        n = len(payload)
        size += n + 2 if n <= 255 else n + 2 * ((n + 254) // 255)
    return size


SERVER_MANAGED: frozenset[int] = frozenset({1, 12, 50, 51, 52, 53, 55, 57, 58, 59, 61, 82})
"""Options the server computes itself (Kea ARM, "options managed by Kea on its own", plus the
lease timers): option-data entries with these codes are not copied into replies."""


def merge_options(layers: Iterable[Iterable[OptionData]]) -> OptionMap:
    """Merge option-data layers, most specific first: the first layer defining a code wins.

    always-send is sticky (Kea ARM, "Standard DHCPv4 Options"): set anywhere along the chain, it
    applies even when the winning definition does not set it.
    """
    chosen: dict[int, bytes] = {}
    sticky: set[int] = set()
    for layer in layers:
        for od in layer:
            if od.space != "dhcp4" or od.code in SERVER_MANAGED:
                continue
            if od.always_send:
                sticky.add(od.code)
            if od.code not in chosen:
                chosen[od.code] = od.data
    return {code: (chosen[code], code in sticky) for code in sorted(chosen)}


def prepared_pool(pool: Pool4, key: int, upper: tuple[OptionData, ...], global_opts: tuple[OptionData, ...],
                  start: int | None = None, end: int | None = None) -> PreparedPool:  # fmt: skip
    options = merge_options((upper, global_opts))
    return PreparedPool(
        pool, key, pool.start if start is None else start, pool.end if end is None else end,
        pool.client_class, pool.require_client_classes, upper, options,
        encoded_size(payload for payload, _ in options.values()),
    )  # fmt: skip


@dataclass(slots=True, eq=False)
class PreparedPool:
    pool: Pool4
    key: int  # unique across the whole configuration: the allocator's cursor key
    start: int
    end: int
    client_class: str | None
    require_client_classes: tuple[str, ...]
    upper: tuple[OptionData, ...]  # pool > subnet > shared-network option-data, in that order
    options: OptionMap  # upper merged with the global options (no class, no reservation)
    options_size: int = 0  # encoded size of every option in `options` (an upper bound)


@dataclass(slots=True, eq=False)
class PreparedSubnet:
    subnet: Subnet4
    network: SharedNetwork4 | None
    id: int
    pools: tuple[PreparedPool, ...]
    no_pool: PreparedPool  # options for an address outside every pool (reserved) and INFORM
    hosts: HostIndex
    netmask_payload: bytes
    valid: int
    min_valid: int
    max_valid: int
    renew_timer: int | None
    rebind_timer: int | None
    calculate_tee_times: bool
    t1_percent: float
    t2_percent: float
    match_client_id: bool
    authoritative: bool
    allocator: str
    order: int  # rank by subnet id (Kea picks the first matching subnet in id order)
    mask: int
    network_address: int
    # Filled in by prepare() once every subnet exists.
    rotation: tuple[PreparedSubnet, ...] = ()  # this subnet, then the rest of its shared network
    rotation_ids: frozenset[int] = frozenset()
    rotation_has_classes: bool = False
    stat_assigned: str = ""
    stat_declined: str = ""
    stat_reclaimed: str = ""
    stat_alloc_fail: str = ""

    def pool_for(self, address: int) -> PreparedPool | None:
        for p in self.pools:
            if p.start <= address <= p.end:
                return p
        return None

    def contains(self, address: int) -> bool:
        return (address & self.mask) == self.network_address


def _tuple(x: Iterable[OptionData]) -> tuple[OptionData, ...]:
    return tuple(x)


def prepare(config: Dhcp4Config) -> list[PreparedSubnet]:
    """One PreparedSubnet per configured subnet, in configuration order."""
    networks: dict[str, SharedNetwork4] = {n.name: n for n in config.shared_networks}
    subnet_network: dict[int, SharedNetwork4] = {}
    for n in config.shared_networks:
        for s in n.subnets:
            subnet_network[s.id] = n
    global_opts = _tuple(config.option_data)
    key = 0
    out: list[PreparedSubnet] = []
    for s in config.subnets:
        network = subnet_network.get(s.id)
        if network is None and s.shared_network:
            network = networks.get(s.shared_network)
        net_opts = network.option_data if network is not None else ()
        subnet_upper = _tuple(s.option_data) + _tuple(net_opts)
        pools: list[PreparedPool] = []
        for pool in s.pools:
            pools.append(prepared_pool(pool, key, _tuple(pool.option_data) + subnet_upper, global_opts))
            key += 1
        no_pool = prepared_pool(Pool4(s.network, s.network), -1 - len(out), subnet_upper, global_opts, 0, -1)
        valid = s.valid_lifetime
        renew = s.renew_timer if s.renew_timer is not None else config.renew_timer
        rebind = s.rebind_timer if s.rebind_timer is not None else config.rebind_timer
        allocator = s.allocator or config.allocator
        prepared = PreparedSubnet(
            subnet=s,
            network=network,
            id=s.id,
            pools=tuple(pools),
            no_pool=no_pool,
            hosts=HostIndex(s.reservations),
            netmask_payload=s.netmask.to_bytes(4, "big"),
            valid=valid,
            min_valid=s.min_valid_lifetime if s.min_valid_lifetime is not None else valid,
            max_valid=s.max_valid_lifetime if s.max_valid_lifetime is not None else valid,
            renew_timer=renew,
            rebind_timer=rebind,
            calculate_tee_times=s.calculate_tee_times,
            t1_percent=s.t1_percent,
            t2_percent=s.t2_percent,
            match_client_id=s.match_client_id,
            authoritative=s.authoritative,  # the loader resolved inheritance from the global value
            allocator=allocator,
            order=len(out),
            mask=s.netmask,
            network_address=s.network & s.netmask,
        )
        prepared.stat_assigned = f"subnet[{s.id}].assigned-addresses"
        prepared.stat_declined = f"subnet[{s.id}].declined-addresses"
        prepared.stat_reclaimed = f"subnet[{s.id}].reclaimed-leases"
        prepared.stat_alloc_fail = f"subnet[{s.id}].v4-allocation-fail"
        out.append(prepared)
    # Kea keeps subnets ordered by subnet id: selection takes the first match in that order, and a
    # shared network is tried from the selected subnet on, by id, wrapping around.
    for rank, p in enumerate(sorted(out, key=lambda x: x.id)):
        p.order = rank
    by_network: dict[str, list[PreparedSubnet]] = {}
    for p in sorted(out, key=lambda x: x.id):
        if p.network is not None:
            by_network.setdefault(p.network.name, []).append(p)
    for p in out:
        if p.network is None:
            p.rotation = (p,)
        else:
            members = by_network[p.network.name]
            i = members.index(p)
            p.rotation = tuple(members[i:] + members[:i])
        p.rotation_ids = frozenset(m.id for m in p.rotation)
        p.rotation_has_classes = any(m.subnet.client_class for m in p.rotation) or bool(
            p.network is not None and p.network.client_class
        )
    return out
