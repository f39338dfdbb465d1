"""Lease6 <-> Kea 2.2's lease6 JSON (lease6-get* answers, lease6-add/update/del and
lease6-bulk-apply arguments).

Shape (Kea's Lease6::toElement, keys in Kea's alphabetical order; checked with lease6-get,
lease6-get-all and lease6-get-page on Debian's kea-dhcp6 2.2.0):
  {"cltt": 1795731543, "duid": "00:03:00:01:02:01:00:00:00:00", "fqdn-fwd": false,
   "fqdn-rev": false, "hostname": "", "hw-address": "02:01:00:00:00:00", "iaid": 1,
   "ip-address": "2001:db8:3::100", "preferred-lft": 4000, "state": 0, "subnet-id": 1,
   "type": "IA_NA", "valid-lft": 4000}
"hw-address" only when the lease has one; "prefix-len" only for IA_PD (after "preferred-lft");
"user-context" (after "type") when set; "type" is "IA_NA", "IA_TA" or "IA_PD".

HA (captured from a kea-dhcp6 2.2.0 in passive-backup after a relayed exchange, a Release and a
Decline): one `{"arguments": {"deleted-leases": [...], "leases": [...]}, "command":
"lease6-bulk-apply", "service": ["dhcp6"]}` per client transaction, each lease in the shape above
with "expire" (cltt + valid-lft) in place of "cltt", and no "force-create" or "origin" (see
lease6_to_update_args). Parsing accepts "cltt" or "expire".

Parsing follows Kea's lease parser where it was checked: "type" defaults to IA_NA (Kea's own
message for a bad one names "na, ta and pd" but accepts only the upper-case names), "prefix-len" is
mandatory for IA_PD and ignored for addresses (Kea stores 128), the DUID must be 1..128 bytes,
iaid, lifetimes and subnet-id are 32-bit unsigned, "preferred-lft" may exceed "valid-lft".
"valid-lft" and "preferred-lft" are mandatory here: their defaults come from the subnet, which the
lease6 commands look up (Kea 2.2 defaults both to the subnet's valid lifetime -- observed: a
lease6-add without them got preferred 4000 with preferred-lifetime 3000, valid-lifetime 4000).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from hakea.leases.csv6 import address_text, parse_address
from hakea.leases.json4 import LeaseJSONError, format_hex, parse_hex
from hakea.leases.json_common import get_field
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType

__all__ = [
    "TYPE_NAMES",
    "LeaseJSONError",
    "format_ipv6",
    "lease6_from_json",
    "lease6_to_json",
    "lease6_to_update_args",
    "parse_ipv6",
    "parse_lease_type",
]

TYPE_NAMES: dict[LeaseType, str] = {LeaseType.NA: "IA_NA", LeaseType.TA: "IA_TA", LeaseType.PD: "IA_PD"}
_TYPE_OF_NAME = {name: t for t, name in TYPE_NAMES.items()}
_MAX_DUID = 128  # Kea: "DUID size is 130 bytes, exceeds maximum of 128"
_U32 = 0xFFFFFFFF


def format_ipv6(address: int) -> str:
    """RFC 5952 text as Kea (and the memfile) print it: "2001:db8:8:100::", "::ffff:192.0.2.1"
    (inet_ntop; Python 3.11's ipaddress would print "::ffff:c000:201")."""
    return address_text(address)


def parse_ipv6(text: str) -> int:
    """IPv6 text (inet_pton: no zone index, no surrounding blanks)."""
    try:
        return parse_address(text)
    except (OSError, ValueError):  # OSError for bad text, ValueError for embedded NULs
        pass
    try:
        socket.inet_pton(socket.AF_INET, text)
    except (OSError, ValueError):
        raise LeaseJSONError(f"'{text}' is not a valid IPv6 address") from None
    raise LeaseJSONError(f"Non-IPv6 address specified: {text}")  # Kea's text


def parse_lease_type(value: Any, key: str = "type") -> LeaseType:
    """The lease type from its name: "IA_NA", "IA_TA" or "IA_PD" exactly (Kea refuses "na", "ia_na")."""
    if not isinstance(value, str):
        raise LeaseJSONError(f"'{key}' has an invalid type")
    lease_type = _TYPE_OF_NAME.get(value)
    if lease_type is None:
        raise LeaseJSONError(
            f"Incorrect lease type: {value}, the only supported values are: IA_NA, IA_TA and IA_PD"
        )
    return lease_type


def lease6_to_json(lease: Lease6) -> dict[str, Any]:
    """The lease as Kea 2.2 lists it (with "cltt")."""
    out: dict[str, Any] = {
        "cltt": lease.cltt,
        "duid": format_hex(lease.duid),
        "fqdn-fwd": lease.fqdn_fwd,
        "fqdn-rev": lease.fqdn_rev,
        "hostname": lease.hostname,
    }
    if lease.hwaddr:
        out["hw-address"] = format_hex(lease.hwaddr)
    out["iaid"] = lease.iaid
    out["ip-address"] = format_ipv6(lease.address)
    out["preferred-lft"] = lease.preferred_lft
    if lease.type == LeaseType.PD:
        out["prefix-len"] = lease.prefix_len
    out["state"] = int(lease.state)
    out["subnet-id"] = lease.subnet_id
    out["type"] = TYPE_NAMES[lease.type]
    if lease.user_context is not None:
        out["user-context"] = lease.user_context
    out["valid-lft"] = lease.valid_lft
    return out


def lease6_to_update_args(lease: Lease6) -> dict[str, Any]:
    """The lease as Kea 2.2's HA puts it in lease6-bulk-apply "leases" / "deleted-leases":
    "expire" replaces "cltt" (keys stay alphabetical)."""
    out = lease6_to_json(lease)
    del out["cltt"]
    out["expire"] = lease.expire
    return dict(sorted(out.items()))


def _u32(obj: Mapping[str, Any], key: str) -> int:
    """A mandatory 32-bit unsigned integer."""
    value: int = get_field(obj, key, int)
    if not 0 <= value <= _U32:
        raise LeaseJSONError(f"'{key}' must be between 0 and {_U32}")
    return value


def lease6_from_json(obj: Any) -> Lease6:
    """Parse a lease from Kea's JSON; "cltt" or "expire" must be given (cltt wins if both are)."""
    if not isinstance(obj, Mapping):
        raise LeaseJSONError("a lease must be a map")
    address = parse_ipv6(get_field(obj, "ip-address", str))
    type_value = obj.get("type")
    lease_type = LeaseType.NA if type_value is None else parse_lease_type(type_value)
    duid = parse_hex(get_field(obj, "duid", str))
    if not duid:
        raise LeaseJSONError("Empty DUIDs are not allowed")  # Kea's text
    if len(duid) > _MAX_DUID:
        raise LeaseJSONError(f"DUID size is {len(duid)} bytes, exceeds maximum of {_MAX_DUID}")
    iaid = _u32(obj, "iaid")
    subnet_id = _u32(obj, "subnet-id")
    valid_lft = _u32(obj, "valid-lft")
    preferred_lft = _u32(obj, "preferred-lft")
    prefix_len = 128
    if lease_type == LeaseType.PD:
        plen: int = get_field(obj, "prefix-len", int, required=False)
        if plen is None:
            raise LeaseJSONError("'prefix-len' is mandatory for an IA_PD lease")
        if not 1 <= plen <= 128:
            raise LeaseJSONError("'prefix-len' must be between 1 and 128")
        prefix_len = plen
    # A negative cltt could be stored but not read back from the memfile (expire < valid_lifetime).
    cltt: int | None = get_field(obj, "cltt", int, required=False)
    if cltt is None:
        expire: int | None = get_field(obj, "expire", int, required=False)
        if expire is None:
            raise LeaseJSONError("'cltt' or 'expire' is mandatory")
        if expire < valid_lft:
            raise LeaseJSONError("'expire' must not be less than 'valid-lft'")
        cltt = expire - valid_lft
    elif cltt < 0:
        raise LeaseJSONError("'cltt' must not be negative")
    hw_text = get_field(obj, "hw-address", str, required=False)
    state_value = get_field(obj, "state", int, required=False)
    try:
        state = LeaseState(0 if state_value is None else state_value)
    except ValueError:
        raise LeaseJSONError(  # Kea's text
            f"Invalid state value: {state_value}, supported values are: 0 (default), 1 (declined) "
            "and 2 (expired-reclaimed)"
        ) from None
    return Lease6(
        address=address,
        duid=duid,
        iaid=iaid,
        valid_lft=valid_lft,
        preferred_lft=preferred_lft,
        cltt=cltt,
        subnet_id=subnet_id,
        type=lease_type,
        prefix_len=prefix_len,
        fqdn_fwd=bool(get_field(obj, "fqdn-fwd", bool, required=False)),
        fqdn_rev=bool(get_field(obj, "fqdn-rev", bool, required=False)),
        hostname=get_field(obj, "hostname", str, required=False) or "",
        hwaddr=parse_hex(hw_text) if hw_text else b"",
        state=state,
        user_context=get_field(obj, "user-context", dict, required=False),
    )
