"""Which server answers a query: RFC 3074 load balancing and the HA scopes a server serves.

Facts matched (kea-ha-facts.md, Kea's query_filter):
- the load-balancing key is the client identifier's data (option 61, type byte included) when
  present and non-empty, else the hardware address; DHCPv6 uses the DUID. No key: dropped.
- the hash is RFC 3074 section 6's Pearson hash with its mixing table, walked from the LAST byte of
  the key to the first, seeded with the key length; owner = hash % active servers (2 in
  load-balancing, 1 in hot-standby: everything belongs to the primary).
- only some message types are HA-filtered; every other type is in scope for every server and
  classed with the primary's scope.
- a query always gets the class HA_<owner>, served or not (pools key off it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hakea.ha.config import HAConfig, Mode, Role

if TYPE_CHECKING:
    from hakea.ha.actions import Action

# RFC 3074 section 6 mixing table (Kea's loadb_mx_tbl), index 0 first.
MIX_TABLE: tuple[int, ...] = (
    251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0, 232,
    31, 32, 55, 60, 152, 58, 17, 237, 174, 70, 160, 144, 220, 90, 57, 223,
    59, 3, 18, 140, 111, 166, 203, 196, 134, 243, 124, 95, 222, 179, 197, 65,
    180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209, 23, 97, 16,
    40, 91, 219, 61, 100, 10, 210, 109, 250, 127, 22, 138, 29, 108, 244, 67,
    207, 9, 178, 204, 74, 98, 126, 249, 167, 116, 34, 77, 193, 200, 121, 5,
    20, 113, 71, 35, 128, 13, 182, 94, 25, 226, 227, 199, 75, 27, 41, 245,
    230, 224, 43, 225, 177, 26, 155, 150, 212, 142, 218, 115, 241, 73, 88, 105,
    39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12, 84,
    82, 163, 44, 139, 228, 236, 205, 242, 217, 11, 187, 146, 159, 64, 86, 239,
    195, 42, 106, 198, 118, 112, 184, 172, 87, 2, 173, 117, 176, 229, 247, 253,
    137, 185, 99, 164, 102, 147, 45, 66, 231, 52, 141, 211, 194, 206, 246, 238,
    56, 110, 78, 248, 63, 240, 189, 93, 92, 51, 53, 183, 19, 171, 72, 50,
    33, 104, 101, 69, 8, 252, 83, 120, 76, 135, 85, 54, 202, 125, 188, 213,
    96, 235, 136, 208, 162, 129, 190, 132, 156, 38, 47, 1, 7, 254, 24, 4,
    216, 131, 89, 21, 28, 133, 37, 153, 149, 80, 170, 68, 6, 169, 234, 151,
)  # fmt: skip

# DHCPv4: DISCOVER, REQUEST, DECLINE, RELEASE, INFORM (RFC 2132 section 9.6 codes).
HA_TYPES_V4: frozenset[int] = frozenset({1, 3, 4, 7, 8})
# DHCPv6: SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, RELEASE, DECLINE (not INFORMATION-REQUEST).
HA_TYPES_V6: frozenset[int] = frozenset({1, 3, 4, 5, 6, 8, 9})

SCOPE_CLASS_PREFIX = "HA_"


def lb_hash(key: bytes) -> int:
    """RFC 3074 section 6 hash: seed with the key length, then h = T[h ^ byte], last byte first."""
    h = len(key) & 0xFF
    table = MIX_TABLE
    for b in reversed(key):
        h = table[h ^ b]
    return h


@dataclass(frozen=True, slots=True)
class QueryInfo:
    """What HA needs from a query, for either family.

    v4: `hwaddr` is chaddr (hlen bytes), `client_id` the option 61 data (b"" when absent), `secs`
    the raw BOOTP secs field. v6: `duid` is the client-identifier option data, `elapsed` the
    Elapsed Time option in 1/100 s (None when absent). `label` only decorates log messages.
    """

    family: int
    msg_type: int
    hwaddr: bytes = b""
    client_id: bytes = b""
    secs: int = 0
    duid: bytes = b""
    elapsed: int | None = None
    label: str = ""

    @classmethod
    def v4(
        cls, msg_type: int, hwaddr: bytes, client_id: bytes | None = None, secs: int = 0, label: str = ""
    ) -> QueryInfo:
        return cls(4, msg_type, hwaddr=hwaddr, client_id=client_id or b"", secs=secs, label=label)

    @classmethod
    def v6(cls, msg_type: int, duid: bytes | None, elapsed: int | None = None, label: str = "") -> QueryInfo:
        return cls(6, msg_type, duid=duid or b"", elapsed=elapsed, label=label)

    @property
    def lb_key(self) -> bytes | None:
        """The load-balancing key, or None when the query carries none (it is then dropped)."""
        if self.family == 6:
            return self.duid or None
        return self.client_id or self.hwaddr or None

    @property
    def client_key(self) -> tuple[bytes, ...]:
        """Who the client is for failure detection: (hwaddr, client-id) in v4, (DUID,) in v6."""
        if self.family == 6:
            return (self.duid,)
        return (self.hwaddr, self.client_id)

    @property
    def is_ha_type(self) -> bool:
        return self.msg_type in (HA_TYPES_V6 if self.family == 6 else HA_TYPES_V4)


def query_info_v4(pkt: object) -> QueryInfo:
    """QueryInfo from a hakea.dhcp4.wire.Packet4 (duck-typed: message_type, chaddr, client_id, secs, xid)."""
    msg_type = getattr(pkt, "message_type", None)
    chaddr: bytes = getattr(pkt, "chaddr", b"")
    client_id: bytes | None = getattr(pkt, "client_id", None)
    secs: int = getattr(pkt, "secs", 0)
    xid: int = getattr(pkt, "xid", 0)
    label = f"[hwaddr={chaddr.hex(':')}], cid=[{(client_id or b'').hex(':') or 'no info'}], tid=0x{xid:x}"
    return QueryInfo.v4(msg_type or 0, chaddr, client_id, secs, label)


class ScopeError(ValueError):
    """ha-scopes named something that is not a server of this relationship."""


@dataclass(frozen=True, slots=True)
class FilterDecision:
    in_scope: bool
    scope_class: str | None  # "HA_server1"; None for a query without a load-balancing key
    actions: tuple[Action, ...] = field(default=())


class QueryFilter:
    """Scopes a server serves and which scope a query (or lease) belongs to."""

    def __init__(self, config: HAConfig) -> None:
        self.mode = config.mode
        me = config.this_server
        primary = [p for p in config.peers if p.role is Role.PRIMARY]
        second = [p for p in config.peers if p.role in (Role.SECONDARY, Role.STANDBY)]
        backups = [p for p in config.peers if p.role is Role.BACKUP]
        # Kea's order: primary first, then the secondary/standby, then backups.
        self.peer_names: tuple[str, ...] = tuple(p.name for p in primary + second + backups)
        self.active_servers = (1 if primary else 0) + sum(1 for p in second if p.role is Role.SECONDARY)
        self._own_scope: frozenset[str] = (
            frozenset({me.name}) if me.role in (Role.PRIMARY, Role.SECONDARY) else frozenset()
        )
        self._failover_scopes = frozenset(
            p.name for p in config.peers if p.role in (Role.PRIMARY, Role.SECONDARY)
        )
        self._served: frozenset[str] = self._own_scope

    # -- which scopes are served
    @property
    def served(self) -> frozenset[str]:
        return self._served

    def served_list(self) -> list[str]:
        return sorted(self._served)

    def serve_default(self) -> None:
        """Own scope for a primary or secondary; nothing for a standby or a backup."""
        self._served = self._own_scope

    def serve_failover(self) -> None:
        """Every active server's scope (the primary's only, in hot-standby)."""
        self._served = self._failover_scopes

    def serve_none(self) -> None:
        self._served = frozenset()

    def serve_scopes(self, names: list[str]) -> None:
        """ha-scopes: replace the served set; all-or-nothing. "HA_server1" and "server1" both work."""
        resolved: set[str] = set()
        for name in names:
            if name in self.peer_names:
                resolved.add(name)
            elif name.startswith(SCOPE_CLASS_PREFIX) and name[len(SCOPE_CLASS_PREFIX) :] in self.peer_names:
                resolved.add(name[len(SCOPE_CLASS_PREFIX) :])
            else:
                raise ScopeError(f"invalid server name specified '{name}' while enabling/disabling HA scopes")
        self._served = frozenset(resolved)

    # -- which scope a query or lease belongs to
    def owner(self, key: bytes | None) -> str | None:
        """Owning server's name for a load-balancing key (None: no key in load-balancing mode)."""
        if self.mode is Mode.LOAD_BALANCING:
            if key is None or self.active_servers == 0:
                return None
            return self.peer_names[lb_hash(key) % self.active_servers]
        return self.peer_names[0]

    def classify(self, query: QueryInfo) -> FilterDecision:
        if not query.is_ha_type:
            return FilterDecision(True, SCOPE_CLASS_PREFIX + self.peer_names[0])
        owner = self.owner(query.lb_key)
        if owner is None:
            return FilterDecision(False, None)
        return FilterDecision(owner in self._served, SCOPE_CLASS_PREFIX + owner)

    def key_in_scope(self, key: bytes | None) -> bool:
        """For a lease: its client-id (else hardware address; DUID in v6) decides, as for a query."""
        owner = self.owner(key)
        return owner is not None and owner in self._served
