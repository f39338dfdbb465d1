"""Subnet selection for a DHCPv4 query (Kea 2.2 semantics).

In order:
1. an address given by the relay agent's link-selection sub-option (option 82, sub-option 5,
   RFC 3527) or, when there is no option 82, by the subnet-selection option (118, RFC 3011):
   the subnet containing it;
2. giaddr set: a subnet (or the shared network of a subnet) whose "relay" ip-addresses contain it;
3. an address from the packet: giaddr, else ciaddr (unicast queries only), else the source
   address (unicast queries only), else the receiving interface: a subnet (or shared network)
   configured with that "interface", else the interface's own address.
A subnet is a candidate only when the client belongs to its client-class (and to its shared
network's). The first match in subnet-id order wins (Kea keeps its subnets ordered by id).
"""

from __future__ import annotations

from collections.abc import Sequence

from hakea.dhcp4.classes4 import Classes
from hakea.dhcp4.decision import QueryMeta
from hakea.dhcp4.prepared import PreparedSubnet
from hakea.dhcp4.wire import MalformedPacket, Packet4, parse_suboptions

_LINK_SELECTION = 5  # RFC 3527 sub-option of option 82


def supported(p: PreparedSubnet, classes: Classes) -> bool:
    cc = p.subnet.client_class
    if cc is not None and cc not in classes:
        return False
    net = p.network
    return net is None or net.client_class is None or net.client_class in classes


def _address_option(payload: bytes | None) -> int:
    return int.from_bytes(payload, "big") if payload is not None and len(payload) == 4 else 0


class SubnetSelector:
    __slots__ = ("_by_interface", "_by_relay", "_prefixes", "_single")

    def __init__(self, subnets: Sequence[PreparedSubnet]) -> None:
        self._by_relay: dict[int, list[PreparedSubnet]] = {}
        self._by_interface: dict[str, list[PreparedSubnet]] = {}
        # prefix length -> network address -> subnets in configuration order
        by_prefix: dict[int, dict[int, list[PreparedSubnet]]] = {}
        for p in sorted(subnets, key=lambda x: x.order):
            s = p.subnet
            relays = list(s.relay_addresses)
            if p.network is not None:
                relays += p.network.relay_addresses
            for r in dict.fromkeys(relays):
                self._by_relay.setdefault(r, []).append(p)
            iface = s.interface or (p.network.interface if p.network is not None else "")
            if iface:
                self._by_interface.setdefault(iface, []).append(p)
            by_prefix.setdefault(s.prefix_len, {}).setdefault(s.network, []).append(p)
        self._prefixes = [
            ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0, table)
            for plen, table in sorted(by_prefix.items(), reverse=True)
        ]
        self._single = len(subnets) == 1

    def by_address(self, address: int, classes: Classes) -> PreparedSubnet | None:
        best: PreparedSubnet | None = None
        for mask, table in self._prefixes:
            found = table.get(address & mask)
            if found is None:
                continue
            for p in found:
                if supported(p, classes):
                    if best is None or p.order < best.order:
                        best = p
                    break
            if self._single:
                break
        return best

    def select(self, q: Packet4, meta: QueryMeta, classes: Classes) -> PreparedSubnet | None:
        opts = q.options
        rai = opts.get(82)
        selector = 0
        if rai is not None:
            try:
                selector = _address_option(parse_suboptions(rai).get(_LINK_SELECTION))
            except MalformedPacket:
                selector = 0
        else:
            selector = _address_option(opts.get(118))
        if selector:
            return self.by_address(selector, classes)
        giaddr = q.giaddr
        if giaddr:
            for p in self._by_relay.get(giaddr, ()):
                if supported(p, classes):
                    return p
            return self.by_address(giaddr, classes)
        if not meta.to_broadcast:
            if q.ciaddr:
                return self.by_address(q.ciaddr, classes)
            if meta.source_address:
                return self.by_address(meta.source_address, classes)
        if meta.interface:
            for p in self._by_interface.get(meta.interface, ()):
                if supported(p, classes):
                    return p
        for address in meta.interface_addresses:
            found = self.by_address(address, classes)
            if found is not None:
                return found
        return None
