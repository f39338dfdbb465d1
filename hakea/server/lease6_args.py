"""The arguments of kea-dhcp6 2.2's lease6 commands: a lease (lease6-add, -update, the "leases" of
-bulk-apply) and a lease query (lease6-get, -del, the "deleted-leases" of -bulk-apply).

Checks, their order and their texts are Kea 2.2's (its Lease6Parser and its lease6-get/-del
parameters), seen on kea-dhcp6 2.2.0 by sending arguments with every field wrong and fixing the one
named by each answer in turn: a lease is read as ip-address, duid, type (and prefix-len for IA_PD),
subnet-id (the subnet is looked up at once), iaid, hw-address, valid-lft, preferred-lft, expire,
fqdn-fwd, fqdn-rev, hostname (then the fqdn check), state, user-context, comment, force-create.
Defaults: the subnet holding the address (IA_TA and IA_PD leases need a subnet-id), both lifetimes
the subnet's valid lifetime (Kea 2.2, observed), cltt now. Unknown keys are ignored.

Where hakea differs (docs/kea-interop.md): it takes "cltt" when no "expire" is given (Kea ignores
it), hardware addresses without separators or with dashes (as for DHCPv4), and refuses an IA_PD
prefix length outside 1..128, which Kea stores (any 0..255) but its own lease file cannot hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hakea.config.model6 import Subnet6
from hakea.control.registry import CommandError
from hakea.leases.json6 import TYPE_NAMES, format_ipv6
from hakea.leases.model6 import Lease6, LeaseType
from hakea.leases.store6 import LeaseStore6
from hakea.server import lease_cmds_common as common
from hakea.server.lease_cmds_common import U32, kea_str, required, typed, uint

__all__ = ["LeaseQuery", "find", "lease_from_args", "parse_query"]

NA, TA, PD = LeaseType.NA, LeaseType.TA, LeaseType.PD
_LEASE_TYPES = {"IA_NA": NA, "IA_TA": TA, "IA_PD": PD}
# lease6-get/-del "type": Kea's names or numbers; "V4" (None here) is accepted and matches nothing.
_QUERY_TYPES: dict[str, LeaseType | None] = {
    "IA_NA": NA, "0": NA, "IA_TA": TA, "1": TA, "IA_PD": PD, "2": PD, "V4": None, "3": None,
}  # fmt: skip
_IDENTIFIER_TYPES = ("address", "hw-address", "duid", "client-id")
# Kea's query type numbers, which its "Unknown query type: N" names.
_CLIENT_ID_QUERY = 3



def _user_context(a: Mapping[str, Any]) -> dict[str, Any] | None:
    """The "user-context" (a map; null is refused), with "comment" moved into it as Kea does."""
    context: dict[str, Any] | None = None
    if "user-context" in a:
        given = a["user-context"]
        if not isinstance(given, dict):
            raise CommandError(f"Invalid user context '{kea_str(given)}' is not a JSON map.")
        context = dict(given)
    if "comment" in a:
        comment = a["comment"]
        if context is not None and "comment" in context:
            raise CommandError(
                f"Duplicated comment entry '{kea_str(comment)}' in user context '{kea_str(context)}'"
            )
        context = {**(context or {}), "comment": comment}
    return context


def lease_from_args(a: Any, subnets: Iterable[Subnet6], now: float) -> Lease6:
    """A lease from lease6-add / lease6-update arguments (or a "leases" entry of -bulk-apply),
    checked as Kea 2.2 does (module docstring). "force-create" is checked, not used."""
    if not isinstance(a, Mapping):
        raise CommandError("get(string) called on a non-map Element in")  # Kea's words for a non-map
    address = common.lease_address(required(a, "ip-address", str), 6)
    client = common.duid(required(a, "duid", str))
    kind, prefix_len = NA, 128
    if "type" in a:
        name = typed(a, "type", str)
        if name not in _LEASE_TYPES:  # Kea's text names types it does not take
            raise CommandError(f"Incorrect lease type: {name}, the only supported values are: na, ta and pd")
        kind = _LEASE_TYPES[name]
        if kind == PD:
            prefix_len = uint(a, "prefix-len", 255)
    subnet_id = uint(a, "subnet-id") if "subnet-id" in a else 0
    if subnet_id == 0 and kind != NA:
        raise CommandError(
            "Subnet-id is 0 or not specified. This is allowed for address leases only, not prefix leases."
        )
    subnet = common.lease_subnet(subnets, subnet_id, address, "IPv6", format_ipv6, kind != PD)
    iaid = uint(a, "iaid")
    hwaddr = common.hwaddr(typed(a, "hw-address", str)) if "hw-address" in a else b""
    valid_lft = uint(a, "valid-lft") if "valid-lft" in a else subnet.valid_lifetime
    preferred_lft = uint(a, "preferred-lft") if "preferred-lft" in a else subnet.valid_lifetime
    cltt = common.lease_cltt(a, format_ipv6(address), valid_lft, now)
    fqdn_fwd, fqdn_rev, hostname = common.lease_fqdn(a)
    state = common.lease_state(a)
    context = _user_context(a)
    if "force-create" in a:
        typed(a, "force-create", bool)
    if kind == PD and not 1 <= prefix_len <= 128:  # hakea's refusal (module docstring)
        raise CommandError(f"prefix length {prefix_len} of an IA_PD lease must be between 1 and 128")
    return Lease6(address, client, iaid, valid_lft, preferred_lft, cltt, subnet.id, kind, prefix_len,
                  fqdn_fwd, fqdn_rev, hostname, hwaddr, state=state, user_context=context)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LeaseQuery:
    """A lease named by lease6-get/-del arguments: `kind` None is Kea's "V4" (matches nothing);
    `address` None means by DUID (with iaid and subnet_id)."""

    kind: LeaseType | None
    address: int | None = None
    duid: bytes = b""
    iaid: int = 0
    subnet_id: int = 0

    @property
    def type_name(self) -> str:
        return "V4" if self.kind is None else TYPE_NAMES[self.kind]


def parse_query(a: Any, verb: str) -> LeaseQuery:
    """lease6-get ("Query") / lease6-del ("Delete") arguments: "ip-address" (and "type"), or
    "subnet-id", "identifier-type": "duid", "identifier" (and "iaid", "type"). Kea reads subnet-id
    and iaid as 32-bit values (2**32 + 1 is 1, -1 is 4294967295)."""
    if not isinstance(a, Mapping):
        raise CommandError("Parameters missing or are not a map.")
    kind: LeaseType | None = NA
    if "type" in a:
        name = a["type"]
        if not isinstance(name, str):
            raise CommandError("stringValue() called on non-string Element in")
        if name not in _QUERY_TYPES:
            raise CommandError(
                f"Invalid lease type specified: {name}, only supported values are: IA_NA, IA_TA, IA_PD and V4"
            )
        kind = _QUERY_TYPES[name]
    if "ip-address" in a:
        text = a["ip-address"]
        if not isinstance(text, str):
            raise CommandError("'ip-address' is not a string.")
        return LeaseQuery(kind, common.query_address(text, 6))
    if "subnet-id" not in a:
        raise CommandError("Mandatory 'subnet-id' parameter missing.")
    if type(a["subnet-id"]) is not int:
        raise CommandError("'subnet-id' parameter is not integer.")
    subnet_id = a["subnet-id"] & U32
    iaid = 0
    if "iaid" in a:
        if type(a["iaid"]) is not int:
            raise CommandError("intValue() called on non-integer Element in")
        iaid = a["iaid"] & U32
    identifier_type, identifier = a.get("identifier-type"), a.get("identifier")
    missing = "No 'ip-address' provided and '{}' is either missing or not a string."
    if not isinstance(identifier_type, str):
        raise CommandError(missing.format("identifier-type"))
    if not isinstance(identifier, str):
        raise CommandError(missing.format("identifier"))
    if identifier_type not in _IDENTIFIER_TYPES:
        raise CommandError(
            f"Incorrect identifier type: {identifier_type}, the only supported values are: address, "
            "hw-address, duid"
        )
    if identifier_type == "address":
        return LeaseQuery(kind, 0)  # Kea looks up "::": nothing ("ip-address" names an address)
    if identifier_type == "hw-address":
        common.hwaddr(identifier)  # parsed (its errors first), then refused
        raise CommandError(f"{verb} by hw-address is not allowed in v6.")
    if identifier_type == "client-id":
        common.client_id(identifier)
        if verb == "Query":
            raise CommandError("Query by client-id is not allowed in v6.")
        raise CommandError(f"Unknown query type: {_CLIENT_ID_QUERY}")
    return LeaseQuery(kind, None, common.duid(identifier), iaid, subnet_id)


def find(store: LeaseStore6, query: LeaseQuery) -> Lease6 | None:
    if query.kind is None:
        return None
    if query.address is not None:
        return store.get(query.kind, query.address)
    found = store.get_by_duid(query.duid, query.iaid, query.kind, query.subnet_id)
    return found[0] if found else None
