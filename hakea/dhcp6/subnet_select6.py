"""Subnet selection for a DHCPv6 query (Kea 2.2 semantics, ARM "IPv6 Subnet Selection").

Relayed query (a relay supplied a usable link-address):
1. the Interface-ID option of the relay closest to the client: a subnet (or the shared network of
   a subnet) configured with that "interface-id";
2. the link-address of the relay closest to the client (the innermost Relay-forw; a lightweight
   relay that leaves it unspecified is skipped, RFC 6221): first a subnet (or shared network)
   whose "relay" ip-addresses contain it, then the subnet whose prefix contains it.
Direct query (or relays that gave no link-address):
3. the receiving interface: a subnet (or shared network) configured with that "interface" (IPv6
   clients talk from link-local addresses, so the link is the only way to place them);
4. the query's source address, when it falls in a subnet.
A subnet is a candidate only when the client belongs to its client-class (and to its shared
network's). The first match in subnet-id order wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from hakea.dhcp6.prepared6 import PreparedSubnet6

Classes = dict[str, None]


def supported(p: PreparedSubnet6, classes: Classes) -> bool:
    cc = p.subnet.client_class
    if cc is not None and cc not in classes:
        return False
    net = p.network
    return net is None or net.client_class is None or net.client_class in classes


def usable_link_address(address: int) -> bool:
    """Not unspecified and not link-local (fe80::/10): a link-address that names a link."""
    return address != 0 and (address >> 118) != 0x3FA


class SubnetSelector6:
    __slots__ = ("_by_interface", "_by_interface_id", "_by_relay", "_ordered", "uses_classes")

    def __init__(self, subnets: Sequence[PreparedSubnet6]) -> None:
        self._ordered = sorted(subnets, key=lambda x: x.order)
        self._by_relay: dict[int, list[PreparedSubnet6]] = {}
        self._by_interface: dict[str, list[PreparedSubnet6]] = {}
        self._by_interface_id: dict[bytes, list[PreparedSubnet6]] = {}
        # Without client classes on subnets or shared networks, the answer depends on where the
        # query came from only (the engine remembers it per origin).
        self.uses_classes = any(
            p.subnet.client_class is not None
            or (p.network is not None and p.network.client_class is not None)
            for p in self._ordered
        )
        for p in self._ordered:
            for r in p.relay_addresses:
                self._by_relay.setdefault(r, []).append(p)
            if p.interface:
                self._by_interface.setdefault(p.interface, []).append(p)
            if p.interface_id:
                self._by_interface_id.setdefault(p.interface_id, []).append(p)

    @staticmethod
    def _first(found: Sequence[PreparedSubnet6], classes: Classes) -> PreparedSubnet6 | None:
        for p in found:
            if supported(p, classes):
                return p
        return None

    def by_address(self, address: int, classes: Classes) -> PreparedSubnet6 | None:
        for p in self._ordered:
            if p.contains(address) and supported(p, classes):
                return p
        return None

    def by_id(self, subnet_id: int) -> PreparedSubnet6 | None:
        for p in self._ordered:
            if p.id == subnet_id:
                return p
        return None

    def select(
        self,
        classes: Classes,
        *,
        link_address: int = 0,
        interface_id: bytes | None = None,
        interface: str = "",
        source_address: int = 0,
    ) -> PreparedSubnet6 | None:
        """`link_address`: the relay's (0 for a direct query); `interface_id`: the Interface-ID of
        the relay closest to the client, if any."""
        if interface_id:
            found = self._first(self._by_interface_id.get(interface_id, ()), classes)
            if found is not None:
                return found
        if link_address:
            found = self._first(self._by_relay.get(link_address, ()), classes)
            if found is not None:
                return found
            return self.by_address(link_address, classes)
        if interface:
            found = self._first(self._by_interface.get(interface, ()), classes)
            if found is not None:
                return found
        if source_address:
            return self.by_address(source_address, classes)
        return None
