"""Building DHCPv6 replies (RFC 8415 sections 18.3 and 21, Kea 2.2 option handling).

A reply is: Client Identifier (echoed), Server Identifier, the IAs (each with its leases or a
Status Code), Rapid Commit when a Solicit was committed, a message-level Status Code where the
message has one, then the configured options the client asked for in its Option Request Option
(6) or that are marked always-send.

Option-data precedence, most specific first (Kea ARM, "DHCPv6 Server" options): host
reservation, the pools of the leases in the reply, subnet, shared network, client classes (in the
order the query got them), global.

A relayed query is answered with Relay-repl messages mirroring each Relay-forw (hop-count,
link-address, peer-address), each echoing the relay's Interface-ID (RFC 8415 section 19.3).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hakea.config.model import OptionData
from hakea.config.model6 import Dhcp6Config, Reservation6
from hakea.dhcp6.ia import IaPd, IaPrefix, Status, ia_na_option, status_option
from hakea.dhcp6.prepared6 import OptionMap6, PreparedPool6, PreparedSubnet6, merge_options6
from hakea.dhcp6.tlv import Option6
from hakea.dhcp6.wire import (
    OPTION_CLIENTID,
    OPTION_INTERFACE_ID,
    OPTION_ORO,
    OPTION_RAPID_COMMIT,
    OPTION_SERVERID,
    RELAY_REPL,
    Packet6,
    RelayMessage6,
)
from hakea.leases.model6 import LeaseType

OPTION_PD_EXCLUDE = 67  # RFC 6603
_CACHE_LIMIT = 4096


@dataclass(slots=True)
class Resource:
    """One address (prefix_len 128) or delegated prefix in a reply IA."""

    address: int
    prefix_len: int
    preferred: int
    valid: int
    options: list[Option6] = field(default_factory=list)


@dataclass(slots=True)
class IaReply:
    kind: LeaseType
    iaid: int
    t1: int = 0
    t2: int = 0
    resources: list[Resource] = field(default_factory=list)
    status: tuple[Status, str] | None = None

    def to_option(self) -> Option6:
        status = self.status
        if self.kind == LeaseType.PD:
            extra = [status_option(*status)] if status is not None else []
            prefixes = [
                IaPrefix(r.address, r.prefix_len, r.preferred, r.valid, r.options) for r in self.resources
            ]
            return IaPd(self.iaid, self.t1, self.t2, prefixes, extra).to_option()
        addresses = [(r.address, r.preferred, r.valid, r.options) for r in self.resources]
        return ia_na_option(self.iaid, self.t1, self.t2, addresses, status)


def requested_codes(oro: bytes | None) -> frozenset[int]:
    """The codes of an Option Request Option payload, remembered: clients send a handful of
    distinct ORO payloads."""
    if not oro:
        return _NOTHING
    found = _oro_cache.get(oro)
    if found is None:
        found = frozenset(struct.unpack_from(f"!{len(oro) >> 1}H", oro))
        if len(_oro_cache) >= _CACHE_LIMIT:
            _oro_cache.clear()
        _oro_cache[oro] = found
    return found


_NOTHING: frozenset[int] = frozenset()
_oro_cache: dict[bytes, frozenset[int]] = {}


def tee_times6(p: PreparedSubnet6, preferred: int) -> tuple[int, int]:
    """(T1, T2) of an IA whose shortest preferred lifetime is `preferred` (Kea's setTeeTimes:
    configured timers, else percentages of the preferred lifetime when calculate-tee-times is
    on; T1 is sent only when below T2)."""
    if p.rebind_timer is not None:
        t2 = p.rebind_timer
    elif p.calculate_tee_times:
        t2 = int(p.t2_percent * preferred + 0.5)  # C++ round(): half away from zero
    else:
        t2 = 0
    if p.renew_timer is not None:
        t1 = p.renew_timer
    elif p.calculate_tee_times:
        t1 = int(p.t1_percent * preferred + 0.5)
    else:
        t1 = 0
    return (t1 if t1 < t2 else 0), t2


def pd_exclude_option(pool: PreparedPool6) -> Option6 | None:
    """RFC 6603 PD Exclude for a prefix delegated from `pool`: the excluded prefix length and the
    bits of the configured excluded prefix between the delegated and the excluded lengths."""
    pd = pool.pd_pool
    if pd is None or not pd.excluded_prefix_len or pd.excluded_prefix_len <= pool.prefix_len:
        return None
    bits = pd.excluded_prefix_len - pool.prefix_len
    subnet_id = (pd.excluded_prefix >> (128 - pd.excluded_prefix_len)) & ((1 << bits) - 1)
    size = (bits + 7) // 8
    payload = bytes((pd.excluded_prefix_len,)) + (subnet_id << (size * 8 - bits)).to_bytes(size, "big")
    return OPTION_PD_EXCLUDE, payload


class ReplyBuilder6:
    __slots__ = ("_cache", "_class_opts", "_global_opts", "server_duid")

    def __init__(self, config: Dhcp6Config, server_duid: bytes) -> None:
        self.server_duid = server_duid
        self._global_opts: tuple[OptionData, ...] = tuple(config.option_data)
        self._class_opts: dict[str, tuple[OptionData, ...]] = {
            c.name: tuple(c.option_data) for c in config.client_classes if c.option_data
        }
        self._cache: dict[tuple[int, tuple[int, ...], tuple[str, ...], int], OptionMap6] = {}

    def configured_options(
        self, p: PreparedSubnet6 | None, pools: Sequence[PreparedPool6], classes: dict[str, None],
        host: Reservation6 | None,
    ) -> OptionMap6:  # fmt: skip
        # Only layers that define options can change the result: they alone make the cache key.
        class_opts = self._class_opts
        class_names = tuple(n for n in classes if n in class_opts) if class_opts else ()
        pool_keys: tuple[int, ...] = ()
        for pool in pools:
            if pool.option_data:
                pool_keys = tuple(dict.fromkeys(pool.key for pool in pools if pool.option_data))
                break
        key = (p.id if p is not None else -1, pool_keys, class_names, id(host) if host is not None else 0)
        found = self._cache.get(key)
        if found is not None:
            return found
        layers: list[Iterable[OptionData]] = []
        if host is not None:
            layers.append(host.option_data)
        seen: set[int] = set()
        for pool in pools:
            if pool.key not in seen:
                seen.add(pool.key)
                layers.append(pool.option_data)
        if p is not None:
            layers += [p.subnet.option_data, p.network_options]
        layers += [class_opts[n] for n in class_names]
        layers.append(self._global_opts)
        merged = merge_options6(layers)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        if host is None:  # a reservation's identity is not a stable cache key across configs
            self._cache[key] = merged
        return merged

    def reply(
        self,
        q: Packet6,
        msg_type: int,
        client_id: bytes | None,
        ias: Sequence[IaReply] = (),
        status: tuple[Status, str] | None = None,
        rapid_commit: bool = False,
        configured: OptionMap6 | None = None,
    ) -> Packet6:
        """`client_id`: the client's DUID, echoed (None or empty: none)."""
        options: list[Option6] = [(OPTION_SERVERID, self.server_duid)]
        if client_id:
            options.insert(0, (OPTION_CLIENTID, client_id))
        for ia in ias:
            options.append(ia.to_option())
        if rapid_commit:
            options.append((OPTION_RAPID_COMMIT, b""))
        if status is not None:
            options.append(status_option(*status))
        if configured:
            wanted = requested_codes(q.get(OPTION_ORO))
            for code, (payload, always) in configured.items():
                if always or code in wanted:
                    options.append((code, payload))
        return Packet6(msg_type, q.transaction_id, options)


def wrap_relays(reply: Packet6, relays: Sequence[RelayMessage6]) -> Packet6 | RelayMessage6:
    """The reply inside one Relay-repl per Relay-forw (`relays` outermost first)."""
    wrapped: Packet6 | RelayMessage6 = reply
    for relay in reversed(relays):
        echoed = [(code, data) for code, data in relay.options if code == OPTION_INTERFACE_ID]
        wrapped = RelayMessage6(
            RELAY_REPL, relay.hop_count, relay.link_address, relay.peer_address, echoed, wrapped
        )
    return wrapped
