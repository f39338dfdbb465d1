"""Where a reply goes (RFC 2131 section 4.1, "server to client" rules, as Kea applies them).

- giaddr set: to the relay agent, server port 67 (or the relay's source port when the relay asked
  for it with the relay-port sub-option, RFC 8357);
- else ciaddr set and the reply is not a NAK: unicast to ciaddr, client port;
- else a NAK, or the client set the broadcast bit: 255.255.255.255, client port;
- else unicast to yiaddr at the link layer (chaddr), which needs a raw socket; on a UDP-only
  socket (or without a usable chaddr) Kea broadcasts instead.
"""

from __future__ import annotations

from hakea.dhcp4.decision import QueryMeta
from hakea.dhcp4.wire import DHCPNAK, MalformedPacket, Packet4, parse_suboptions

BROADCAST = 0xFFFFFFFF
SERVER_PORT = 67
CLIENT_PORT = 68
_RELAY_PORT_SUBOPTION = 19  # RFC 8357


def route(
    query: Packet4,
    reply: Packet4,
    meta: QueryMeta,
    server_port: int = SERVER_PORT,
    client_port: int = CLIENT_PORT,
) -> tuple[int, int, bool]:
    """(destination address, destination port, raw link-layer unicast to chaddr)."""
    if query.giaddr:
        port = server_port
        rai = query.options.get(82)
        if rai is not None and meta.source_port:
            try:
                if _RELAY_PORT_SUBOPTION in parse_suboptions(rai):
                    port = meta.source_port
            except MalformedPacket:
                pass
        return query.giaddr, port, False
    is_nak = reply.message_type == DHCPNAK
    if query.ciaddr and not is_nak:
        return query.ciaddr, client_port, False
    if is_nak or query.flags & 0x8000:
        return BROADCAST, client_port, False
    if reply.yiaddr and meta.raw_socket and query.hlen and query.chaddr:
        return reply.yiaddr, client_port, True
    return BROADCAST, client_port, False
