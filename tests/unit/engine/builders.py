"""Builders for engine tests: addresses, configurations, queries and an engine on a real
MemoryLeaseStore4."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import replace
from random import Random
from typing import Any

from hakea.config.model import (
    ClientClassDef,
    Dhcp4Config,
    OptionData,
    Pool4,
    Reservation4,
    SharedNetwork4,
    Subnet4,
)
from hakea.dhcp4.decision import Decision, QueryMeta
from hakea.dhcp4.engine import Engine
from hakea.dhcp4.wire import DHCPDISCOVER, DHCPINFORM, DHCPREQUEST, Packet4
from hakea.leases.memory4 import MemoryLeaseStore4

NOW = 1_700_000_000.0
SERVER = "192.0.2.1"


def ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def txt(address: int) -> str:
    return str(ipaddress.IPv4Address(address))


def mac(n: int) -> bytes:
    return bytes((0x02, 0, 0, 0, (n >> 8) & 0xFF, n & 0xFF))


def addr_opt(*addresses: str) -> bytes:
    return b"".join(ip(a).to_bytes(4, "big") for a in addresses)


def opt(code: int, *addresses: str, always_send: bool = False, data: bytes | None = None) -> OptionData:
    return OptionData(code, data if data is not None else addr_opt(*addresses), always_send=always_send)


def subnet(sid: int, cidr: str, *pools: str | Pool4, **kw: Any) -> Subnet4:
    net = ipaddress.IPv4Network(cidr)
    built: list[Pool4] = []
    for p in pools:
        if isinstance(p, Pool4):
            built.append(p)
        else:
            lo, hi = (x.strip() for x in p.split("-"))
            built.append(Pool4(ip(lo), ip(hi)))
    return Subnet4(
        id=sid, network=int(net.network_address), prefix_len=net.prefixlen, pools=tuple(built), **kw
    )


def pool(rng: str, **kw: Any) -> Pool4:
    lo, hi = (x.strip() for x in rng.split("-"))
    return Pool4(ip(lo), ip(hi), **kw)


def config(*subnets: Subnet4, networks: Iterable[SharedNetwork4] = (), **kw: Any) -> Dhcp4Config:
    nets = tuple(networks)
    all_subnets = list(subnets)
    fixed_nets = []
    for n in nets:
        members = tuple(replace(s, shared_network=n.name) for s in n.subnets)
        fixed_nets.append(replace(n, subnets=members))
        all_subnets.extend(members)
    return Dhcp4Config(subnets=tuple(all_subnets), shared_networks=tuple(fixed_nets), **kw)


def make_engine(cfg: Dhcp4Config, seed: int = 1) -> tuple[Engine, MemoryLeaseStore4]:
    store = MemoryLeaseStore4()
    return Engine(cfg, store, rng=Random(seed)), store


def direct_meta(iface: str = "eth0", address: str = SERVER, **kw: Any) -> QueryMeta:
    return QueryMeta(interface=iface, interface_addresses=(ip(address),), server_address=ip(address), **kw)


def query(
    msgtype: int,
    hw: bytes,
    *,
    cid: bytes | None = None,
    requested: str | None = None,
    server_id: str | None = None,
    ciaddr: str | None = None,
    giaddr: str | None = None,
    prl: bytes | None = b"\x01\x03\x06\x0f",
    flags: int = 0,
    extra: dict[int, bytes] | None = None,
    xid: int = 0x1234,
) -> Packet4:
    opts: dict[int, bytes] = {53: bytes((msgtype,))}
    if cid is not None:
        opts[61] = cid
    if requested is not None:
        opts[50] = addr_opt(requested)
    if server_id is not None:
        opts[54] = addr_opt(server_id)
    if prl is not None:
        opts[55] = prl
    if extra:
        opts.update(extra)
    return Packet4(
        op=1, htype=1, hlen=len(hw), xid=xid, flags=flags,
        ciaddr=ip(ciaddr) if ciaddr else 0, giaddr=ip(giaddr) if giaddr else 0,
        chaddr=hw, options=opts,
    )  # fmt: skip


def discover(hw: bytes, **kw: Any) -> Packet4:
    return query(DHCPDISCOVER, hw, **kw)


def request(hw: bytes, **kw: Any) -> Packet4:
    return query(DHCPREQUEST, hw, **kw)


def inform(hw: bytes, **kw: Any) -> Packet4:
    return query(DHCPINFORM, hw, **kw)


def dora(
    engine: Engine, hw: bytes, meta: QueryMeta | None = None, now: float = NOW, **kw: Any
) -> tuple[Decision, Decision]:
    """DISCOVER then SELECTING REQUEST for the offered address; returns both decisions."""
    meta = meta or direct_meta()
    offer = engine.process(discover(hw, **kw), now, meta)
    assert offer.reply is not None, offer.drop_reason
    sid = txt(int.from_bytes(offer.reply.options[54], "big"))
    ack = engine.process(request(hw, requested=txt(offer.reply.yiaddr), server_id=sid, **kw), now, meta)
    return offer, ack


def u32(payload: bytes) -> int:
    return int.from_bytes(payload, "big")


__all__ = ["ClientClassDef", "Reservation4", "SharedNetwork4"]
