"""The DHCPv6 engine's inputs and outputs besides the message: query metadata, lease changes and
the decision (what to send where, what was written to the lease store)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hakea.dhcp6.wire import Packet6, RelayMessage6
from hakea.leases.model6 import Lease6

ChangeKind = Literal["new", "updated", "deleted", "reclaimed"]

SERVER_PORT6 = 547
CLIENT_PORT6 = 546


@dataclass(slots=True, frozen=True)
class QueryMeta6:
    """Where a datagram came from, as the socket adapter saw it (addresses are ints).

    interface / interface_index: the receiving interface (subnet selection for direct clients; the
        scope of a link-local reply destination).
    source_address / source_port: the datagram's IPv6 source (a client's link-local address, or
        the relay that sent the Relay-forw).
    local_address: the address the datagram was sent to (0: unknown).
    multicast: it was sent to a multicast group (All_DHCP_Relay_Agents_and_Servers). A direct
        Solicit, Confirm, Rebind or Information-request sent unicast is dropped (Kea's
        testUnicast; RFC 8415 16.2, 16.5, 16.7, 16.12).
    """

    interface: str = ""
    interface_index: int = 0
    source_address: int = 0
    source_port: int = CLIENT_PORT6
    local_address: int = 0
    multicast: bool = True


@dataclass(slots=True, frozen=True)
class LeaseChange6:
    """A lease write the engine made (already in the store when the decision is returned).

    kind: "new" (the client did not hold this resource), "updated" (extension, decline),
    "deleted" (release, a lease the client no longer gets) or "reclaimed" (expiry). HA replicates
    new/updated as lease6-bulk-apply "leases" and deleted as "deleted-leases"; nothing for
    reclamation (Kea 2.2).
    """

    kind: ChangeKind
    lease: Lease6
    old: Lease6 | None = None


@dataclass(slots=True)
class Decision6:
    """What to do with one datagram.

    reply: the message to send (a Relay-repl chain for a relayed query), or None.
    destination / port / interface_index: where to send it: a relay's address and port 547, or a
        direct client's (link-local) source address and port 546 on the receiving interface.
    lease_changes: the store writes made (HA needs them before the reply leaves).
    drop_reason: set when the query was dropped (logs, pkt6-receive-drop), else None.
    stats: counter increments (name, delta) besides the pkt6-* counters the adapter keeps.
    reply_type: the client-level message type of the reply (ADVERTISE 2 / REPLY 7), 0 for none.
    """

    reply: Packet6 | RelayMessage6 | None
    destination: int = 0
    port: int = 0
    interface_index: int = 0
    lease_changes: tuple[LeaseChange6, ...] = ()
    drop_reason: str | None = None
    stats: tuple[tuple[str, int], ...] = ()
    reply_type: int = 0


def dropped6(reason: str, stats: tuple[tuple[str, int], ...] = ()) -> Decision6:
    return Decision6(None, drop_reason=reason, stats=stats)


NO_REPLY6 = Decision6(None)
