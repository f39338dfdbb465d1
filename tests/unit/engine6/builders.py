"""Builders for DHCPv6 engine tests: addresses, configurations, client messages, relays and an
engine on a real MemoryLeaseStore6."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from hakea.config.model import ClientClassDef, OptionData
from hakea.config.model6 import Dhcp6Config, PdPool6, Pool6, Reservation6, SharedNetwork6, Subnet6
from hakea.dhcp6.decision6 import Decision6, QueryMeta6
from hakea.dhcp6.engine import Engine6
from hakea.dhcp6.ia import IaAddress, IaNa, IaPd, IaPrefix
from hakea.dhcp6.wire import (
    OPTION_CLIENTID,
    OPTION_IA_NA,
    OPTION_IA_PD,
    OPTION_INTERFACE_ID,
    OPTION_ORO,
    OPTION_RAPID_COMMIT,
    OPTION_SERVERID,
    RELAY_FORW,
    Option6,
    Packet6,
    RelayMessage6,
)
from hakea.leases.memory6 import MemoryLeaseStore6

NOW = 1_700_000_000.0
SERVER_DUID = bytes.fromhex("000300010200000000fe")  # DUID-LL 02:00:00:00:00:fe
LINK_LOCAL = "fe80::200:ff:fe00:1"


def ip6(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


def txt6(address: int) -> str:
    return str(ipaddress.IPv6Address(address))


def duid_ll(n: int) -> bytes:
    """DUID-LL with MAC 02:00:00:00:hh:ll."""
    return bytes.fromhex("00030001") + bytes((0x02, 0, 0, 0, (n >> 8) & 0xFF, n & 0xFF))


def duid_en(n: int) -> bytes:
    return bytes.fromhex("0002000009bf") + n.to_bytes(4, "big")


def pool(text: str, **kw: Any) -> Pool6:
    lo, hi = (x.strip() for x in text.split("-"))
    return Pool6(ip6(lo), ip6(hi), **kw)


def pd_pool(prefix: str, delegated_len: int, **kw: Any) -> PdPool6:
    net = ipaddress.IPv6Network(prefix)
    return PdPool6(int(net.network_address), net.prefixlen, delegated_len, **kw)


def opt6(code: int, data: bytes, *, always_send: bool = False, name: str = "") -> OptionData:
    return OptionData(code, data, name=name, space="dhcp6", always_send=always_send)


def dns(*servers: str, always_send: bool = False) -> OptionData:
    return opt6(23, b"".join(ipaddress.IPv6Address(s).packed for s in servers), always_send=always_send)


def subnet6(sid: int, cidr: str, *pools: str | Pool6, **kw: Any) -> Subnet6:
    net = ipaddress.IPv6Network(cidr)
    built = tuple(p if isinstance(p, Pool6) else pool(p) for p in pools)
    kw.setdefault("interface", "eth0")
    return Subnet6(id=sid, network=int(net.network_address), prefix_len=net.prefixlen, pools=built, **kw)


def config6(*subnets: Subnet6, networks: Sequence[SharedNetwork6] = (), **kw: Any) -> Dhcp6Config:
    members = [s for n in networks for s in n.subnets]
    return Dhcp6Config(subnets=tuple(subnets) + tuple(members), shared_networks=tuple(networks), **kw)


def klass(name: str, test: str = "", **kw: Any) -> ClientClassDef:
    return ClientClassDef(name, test, **kw)


def make_engine(config: Dhcp6Config, **kw: Any) -> tuple[Engine6, MemoryLeaseStore6]:
    store = MemoryLeaseStore6()
    return Engine6(config, store, SERVER_DUID, **kw), store


def direct_meta(interface: str = "eth0", source: str = LINK_LOCAL, multicast: bool = True) -> QueryMeta6:
    return QueryMeta6(interface=interface, interface_index=2, source_address=ip6(source), source_port=546,
                      local_address=ip6("ff02::1:2"), multicast=multicast)  # fmt: skip


def relay_meta(relay: str = "2001:db8:ffff::1", port: int = 547) -> QueryMeta6:
    return QueryMeta6(interface="eth1", interface_index=3, source_address=ip6(relay), source_port=port,
                      local_address=ip6("2001:db8:ffff::fe"), multicast=False)  # fmt: skip


def ia_na(iaid: int = 1, *addresses: str) -> Option6:
    return IaNa(iaid, 0, 0, [IaAddress(ip6(a), 0, 0) for a in addresses]).to_option()


def ia_pd(iaid: int = 1, *prefixes: tuple[str, int]) -> Option6:
    return IaPd(iaid, 0, 0, [IaPrefix(ip6(p), plen, 0, 0) for p, plen in prefixes]).to_option()


def oro(*codes: int) -> Option6:
    return OPTION_ORO, b"".join(c.to_bytes(2, "big") for c in codes)


def message(msg_type: int, duid: bytes | None, *options: Option6, server_id: bytes | None = None,
            xid: int = 0x1234) -> Packet6:  # fmt: skip
    opts: list[Option6] = []
    if duid is not None:
        opts.append((OPTION_CLIENTID, duid))
    if server_id is not None:
        opts.append((OPTION_SERVERID, server_id))
    opts.extend(options)
    return Packet6(msg_type, xid, opts)


def rapid_commit() -> Option6:
    return OPTION_RAPID_COMMIT, b""


def relayed(inner: Packet6 | RelayMessage6, link: str, peer: str = LINK_LOCAL, hops: int = 0,
            interface_id: bytes | None = None, extra: Sequence[Option6] = ()) -> RelayMessage6:  # fmt: skip
    options: list[Option6] = list(extra)
    if interface_id is not None:
        options.append((OPTION_INTERFACE_ID, interface_id))
    return RelayMessage6(RELAY_FORW, hops, ip6(link), ip6(peer), options, inner)


def client_reply(d: Decision6) -> Packet6:
    """The client-level message of a decision's reply (inside any Relay-repl)."""
    node = d.reply
    assert node is not None, d.drop_reason
    while isinstance(node, RelayMessage6):
        node = node.inner
    assert isinstance(node, Packet6)
    # Round-trip through the codec: what a client would parse.
    parsed = Packet6.parse(node.to_bytes())
    assert isinstance(parsed, Packet6)
    return parsed


def na_addresses(reply: Packet6, iaid: int | None = None) -> list[IaAddress]:
    return [a for ia in reply.ia_na if iaid is None or ia.iaid == iaid for a in ia.addresses]


def pd_prefixes(reply: Packet6, iaid: int | None = None) -> list[IaPrefix]:
    return [p for ia in reply.ia_pd if iaid is None or ia.iaid == iaid for p in ia.prefixes]


def ia_status(reply: Packet6, code: int, iaid: int) -> tuple[int, str] | None:
    ias: list[IaNa] | list[IaPd] = reply.ia_na if code == OPTION_IA_NA else reply.ia_pd
    for ia in ias:
        if ia.iaid == iaid:
            st = ia.status
            return None if st is None else (st.code, st.message)
    raise AssertionError(f"no IA {iaid} in reply")


def addr_of(d: Decision6, iaid: int | None = None) -> str:
    found = na_addresses(client_reply(d), iaid)
    assert found, client_reply(d)
    return txt6(found[0].address)


__all__ = [
    "LINK_LOCAL", "NOW", "OPTION_IA_NA", "OPTION_IA_PD", "SERVER_DUID", "Reservation6", "SharedNetwork6",
]  # fmt: skip
