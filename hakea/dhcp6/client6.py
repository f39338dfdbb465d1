"""One DHCPv6 query as the engine works on it: the client message, the relays it came through, the
client's identity (DUID, derived hardware address), its classes and the IAs it asked about."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from hakea.classify import PacketMeta
from hakea.config.model6 import Reservation6
from hakea.dhcp6.classes6 import Classes, PacketView6, RelayView6, options_by_code
from hakea.dhcp6.hwaddr6 import HwAddr6, client_hwaddr, is_link_local
from hakea.dhcp6.ia import ONE_ADDRESS_IA_NA, IaNa, IaPd
from hakea.dhcp6.wire import OPTION_IA_NA, OPTION_IA_PD, Packet6, RelayMessage6
from hakea.leases.model6 import Lease6, LeaseType

_NA = LeaseType.NA
_PD = LeaseType.PD
_IAID = struct.Struct("!I")
_ONE_ADDRESS = struct.Struct("!I8x4x16sII")  # IAID, (T1, T2, IAADDR head), address, lifetimes
OPTION_CLIENT_LINKLAYER_ADDR = 79  # RFC 6939

Key = tuple[LeaseType, int]
"""A leasable resource: (type, address or prefix)."""


@dataclass(slots=True)
class IaRequest:
    """One IA_NA / IA_PD of the client's message: its IAID and the addresses or prefixes listed
    in it (hints in a Solicit/Request, bindings in a Renew/Rebind/Release/Decline/Confirm)."""

    kind: LeaseType
    iaid: int
    hints: list[tuple[int, int]] = field(default_factory=list)  # (address or prefix, length)
    preferred_hint: int = 0  # lifetimes the client suggested (0: none)
    valid_hint: int = 0


def parse_ias(q: Packet6) -> list[IaRequest]:
    """The IA_NA and IA_PD options of a message, in order (IA_TA is not supported, as in Kea
    2.2). The codec has validated them at parse time. Lifetime hints come from the first
    address or prefix that carries any. An IAID repeated within one type (RFC 8415 section 12:
    IAIDs are unique per client and type) is handled once, by its first IA."""
    nas: list[IaRequest] = []
    pds: list[IaRequest] = []
    for code, payload in q.options:
        if code == OPTION_IA_NA:
            nas.append(_ia_request(_NA, payload))
        elif code == OPTION_IA_PD:
            pds.append(_ia_request(_PD, payload))
    if len(nas) + len(pds) < 2:
        return nas or pds
    seen: set[tuple[LeaseType, int]] = set()
    unique: list[IaRequest] = []
    for ia in nas + pds:
        if (ia.kind, ia.iaid) not in seen:
            seen.add((ia.kind, ia.iaid))
            unique.append(ia)
    return unique


def _ia_request(kind: LeaseType, payload: bytes) -> IaRequest:
    size = len(payload)
    if size == 12:  # the usual Solicit: an IA without hints, one struct call
        return IaRequest(kind, _IAID.unpack_from(payload)[0], [])
    if size == 40 and kind == _NA and payload[12:16] == ONE_ADDRESS_IA_NA:  # the usual Request
        iaid, address, preferred, valid = _ONE_ADDRESS.unpack_from(payload)
        return IaRequest(kind, iaid, [(int.from_bytes(address, "big"), 128)], preferred, valid)
    if kind == _NA:
        na = IaNa.decode(payload)
        ia = IaRequest(kind, na.iaid, [(a.address, 128) for a in na.addresses])
        hinted = next((a for a in na.addresses if a.preferred or a.valid), None)
        if hinted is not None:
            ia.preferred_hint, ia.valid_hint = hinted.preferred, hinted.valid
        return ia
    pd = IaPd.decode(payload)
    ia = IaRequest(kind, pd.iaid, [(p.prefix, p.length) for p in pd.prefixes])
    hinted_prefix = next((p for p in pd.prefixes if p.preferred or p.valid), None)
    if hinted_prefix is not None:
        ia.preferred_hint, ia.valid_hint = hinted_prefix.preferred, hinted_prefix.valid
    return ia


def packet_view(q: Packet6, relays: Sequence[RelayMessage6]) -> PacketView6:
    """What class expressions read (relays outermost first, as relay6[0] is the outermost)."""
    return PacketView6(
        q.msg_type,
        q.transaction_id,
        options_by_code(q.options),
        [
            RelayView6(r.peer_address.to_bytes(16, "big"), r.link_address.to_bytes(16, "big"),
                       options_by_code(r.options))
            for r in relays
        ],
    )  # fmt: skip


def relay_option(relays: Sequence[RelayMessage6], code: int) -> bytes | None:
    """The option from the relay closest to the client that has it (Kea's RELAY_GET_FIRST)."""
    for relay in reversed(relays):
        payload = relay.get(code)
        if payload is not None:
            return payload
    return None


class Client6:
    """One query's client: identifiers, classes, reservations (per subnet) and leases. The
    hardware address and the classification view are built on first use: most queries need
    neither (no reservations by hardware address, no class tests)."""

    __slots__ = ("_hw", "_link_local", "_view", "classes", "duid", "hosts", "ias", "leases", "pmeta", "q",
                 "relays", "taken")  # fmt: skip

    def __init__(self, q: Packet6, relays: list[RelayMessage6], duid: bytes, link_local: int,
                 ias: list[IaRequest], classes: Classes) -> None:  # fmt: skip
        self.q = q
        self.relays = relays
        self.duid = duid
        self._link_local = link_local  # the client's source address (innermost relay's peer)
        self.ias = ias
        self.classes = classes
        self._hw: HwAddr6 | None = None
        self._view: PacketView6 | None = None
        self.pmeta: PacketMeta | None = None
        self.leases: list[Lease6] | None = None  # the client's leases, read once per query
        self.taken: set[Key] = set()  # resources already given to another IA of this message
        self.hosts: dict[int, Reservation6 | None] = {}  # subnet id -> reservation (cache)

    @property
    def hw(self) -> HwAddr6:
        hw = self._hw
        if hw is None:
            link_local = self._link_local
            hw = self._hw = client_hwaddr(
                self.duid, link_local if is_link_local(link_local) else 0,
                relay_option(self.relays, OPTION_CLIENT_LINKLAYER_ADDR),
            )  # fmt: skip
        return hw

    @property
    def view(self) -> PacketView6:
        view = self._view
        if view is None:
            view = self._view = packet_view(self.q, self.relays)
        return view
