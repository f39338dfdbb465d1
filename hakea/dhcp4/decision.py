"""The engine's inputs and outputs besides the packet: query metadata, lease changes, decisions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hakea.dhcp4.wire import Packet4
from hakea.leases.model import Lease4

ChangeKind = Literal["new", "updated", "deleted", "reclaimed"]


@dataclass(slots=True, frozen=True)
class QueryMeta:
    """Where a query came from, as the socket adapter saw it (addresses are ints).

    interface: name of the receiving interface ("" when unknown).
    interface_addresses: that interface's IPv4 addresses, primary first (subnet selection for
        directly connected clients, Kea's "address of the interface").
    server_address: the local address the query arrived on, used as server identifier (option
        54); 0 means "the first interface address".
    source_address / source_port: the query's IP source.
    to_broadcast: the query was sent to a broadcast address (Kea uses ciaddr and the source
        address for subnet selection only for unicast queries).
    raw_socket: replies can be sent as link-layer unicast to chaddr (raw/packet socket); False on
        "dhcp-socket-type": "udp", where a client without an address can only get a broadcast.
    """

    interface: str = ""
    interface_addresses: tuple[int, ...] = ()
    server_address: int = 0
    source_address: int = 0
    source_port: int = 68
    to_broadcast: bool = True
    raw_socket: bool = True


@dataclass(slots=True, frozen=True)
class LeaseChange:
    """A lease write the engine made to the store (already done when the decision is returned).

    kind: "new" (the client did not hold this address), "updated" (renewal, decline), "deleted"
    (release, a superseded lease, a flushed reclaimed lease) or "reclaimed" (expiry reclamation).
    HA sends lease4-update for new/updated and lease4-del for deleted; Kea 2.2's HA sends nothing
    for reclamation (see docs/decisions/003-allocation-engine.md).
    """

    kind: ChangeKind
    lease: Lease4
    old: Lease4 | None = None


@dataclass(slots=True)
class Decision:
    """What to do with one query.

    reply: the packet to send, or None (dropped or nothing to answer: RELEASE, DECLINE).
    destination / port: where to send it (RFC 2131 section 4.1; relays get port 67).
    raw_unicast: send to `destination` as link-layer unicast to the query's chaddr (a client that
        has no address yet); the adapter needs a raw socket for that.
    lease_changes: the store writes made (HA needs them before the reply leaves).
    drop_reason: set when the query was dropped (for logs and pkt4-receive-drop), else None.
    stats: counter increments (name, delta) besides the pkt4-* counters the adapter keeps.
    """

    reply: Packet4 | None
    destination: int = 0
    port: int = 0
    raw_unicast: bool = False
    lease_changes: tuple[LeaseChange, ...] = ()
    drop_reason: str | None = None
    stats: tuple[tuple[str, int], ...] = ()


def dropped(reason: str, stats: tuple[tuple[str, int], ...] = ()) -> Decision:
    return Decision(None, drop_reason=reason, stats=stats)


NO_REPLY = Decision(None)
