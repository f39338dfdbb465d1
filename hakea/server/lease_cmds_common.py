"""Plumbing shared by Kea's lease_cmds for both families (lease_cmds4.py, lease_cmds6.py).

The lease parsers differ between the families (Kea's lease4 and lease6 parsers check different
keys in a different order); what is here is the same in both but for "IPv4" / "IPv6" in the
answer texts: registration, the answers of a lookup, a page, an add, an update, a delete and a
wipe; Kea's argument getters and identifier parsers (the same C++ functions serve both families,
so the same texts); and the checks Kea's lease4/6-get-all, -get-page, -get-by-* and -wipe share.
Texts are Kea 2.2's, without the "(<wire>:line:col)" position its JSON getters append.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRegistry, SyncHandler
from hakea.leases.json4 import LeaseJSONError, parse_hex
from hakea.leases.model import LeaseState

__all__ = [
    "EMPTY",
    "NO_ARGUMENTS",
    "U32",
    "Args",
    "LeaseAnswers",
    "Subnet",
    "by_key",
    "client_id",
    "colon_hex",
    "duid",
    "formatted_hex",
    "hostname_arg",
    "hwaddr",
    "install",
    "kea_str",
    "lease_cltt",
    "lease_fqdn",
    "lease_state",
    "lease_subnet",
    "number_arg",
    "page_from",
    "page_limit",
    "page_size",
    "required",
    "string_arg",
    "subnet_ids",
    "typed",
    "uint",
    "update_failed",
    "wiped_subnets",
]

Args = dict[str, Any] | None
EMPTY = envelope.CONTROL_RESULT_EMPTY
U32 = 0xFFFFFFFF
NO_ARGUMENTS = "Command arguments missing or a not a map."  # Kea's words (typo included)
_HEX = frozenset("0123456789abcdefABCDEF")
_MAX_HWADDR_LEN = 20  # Kea's HWAddr::MAX_HWADDR_LEN
_MAX_DUID_LEN = 128  # Kea's DUID::MAX_DUID_LEN (ClientId reuses it)

L = TypeVar("L")
L_contra = TypeVar("L_contra", contravariant=True)


class _Store(Protocol[L_contra]):
    def add(self, lease: L_contra) -> bool: ...

    def update(self, lease: L_contra) -> bool: ...

    def upsert(self, lease: L_contra) -> None: ...


def install(reg: CommandRegistry, names: tuple[str, ...], handlers: Mapping[str, SyncHandler] | None) -> None:
    """Register the family's lease commands, or (handlers None: the hook library is not loaded)
    remove every one of `names`.

    The stores are synchronous, so no handler ever awaits: registered as plain functions, the HTTP
    listener answers them inside its read callback (no task per HA lease update)."""
    if handlers is None:
        for name in names:
            if name in reg:
                reg.unregister(name)
        return
    for name, handler in handlers.items():
        reg.register_sync(name, handler, replace=True)


class LeaseAnswers(Generic[L]):
    """A family's answers: `family` is "IPv4" or "IPv6", `to_json` its lease JSON writer."""

    __slots__ = ("_added", "_deleted", "_exists", "_found", "_missing", "_updated", "family", "to_json")

    def __init__(self, family: str, to_json: Callable[[L], dict[str, Any]]) -> None:
        self.family = family
        self.to_json = to_json
        self._found = f"{family} lease found."
        self._exists = f"{family} lease already exists."
        self._updated = f"{family} lease updated."
        self._added = f"{family} lease added."
        self._deleted = f"{family} lease deleted."
        self._missing = f"{family} lease not found."

    def leases(self, leases: list[L]) -> dict[str, Any]:
        """lease*-get-all / -get-by-*: result 3 (empty) when there are none."""
        body = {"leases": [self.to_json(le) for le in leases]}
        return envelope.answer(0 if leases else EMPTY, f"{len(leases)} {self.family} lease(s) found.", body)

    def page(self, leases: list[L]) -> dict[str, Any]:
        """lease*-get-page: as leases(), with Kea's "count" first."""
        body = {"count": len(leases), "leases": [self.to_json(le) for le in leases]}
        return envelope.answer(0 if leases else EMPTY, f"{len(leases)} {self.family} lease(s) found.", body)

    def lease(self, lease: L | None) -> dict[str, Any]:
        """lease*-get."""
        if lease is None:
            return envelope.answer(EMPTY, "Lease not found.")
        return envelope.success(self._found, self.to_json(lease))

    def add(self, store: _Store[L], lease: L) -> None:
        """lease*-add's store call; the caller words the success (it names the lease)."""
        if not store.add(lease):
            raise CommandError(self._exists)

    def update(self, store: _Store[L], lease: L, force: bool) -> dict[str, Any] | None:
        """lease*-update: replace the lease, or add it with force-create; None when it has no
        lease to replace and no force-create (the caller raises its family's text)."""
        if store.update(lease):
            return envelope.success(self._updated)
        if force:
            store.upsert(lease)
            return envelope.success(self._added)
        return None

    def deleted(self, done: bool) -> dict[str, Any]:
        """lease*-del, given whether a lease was found and deleted."""
        if not done:
            return envelope.answer(EMPTY, self._missing)
        return envelope.success(self._deleted)

    def wiped(self, count: int, subnet_ids: list[int]) -> dict[str, Any]:
        """lease*-wipe, given how many leases went from which subnets."""
        text = f"Deleted {count} {self.family} lease(s) from subnet(s) {' '.join(map(str, subnet_ids))}"
        return envelope.answer(0 if count else EMPTY, text)


# ---- Kea's argument getters (isc::data::SimpleParser) ---------------------------------------------


def typed(a: Mapping[str, Any], name: str, kind: type) -> Any:
    """a[name], which must be a `kind` (JSON true/false are not integers for Kea)."""
    value = a[name]
    if not (type(value) is int if kind is int else isinstance(value, kind)):
        raise CommandError(f"invalid type specified for parameter '{name}'")
    return value


def required(a: Mapping[str, Any], name: str, kind: type) -> Any:
    if name not in a:
        raise CommandError(f"missing parameter '{name}'")
    return typed(a, name, kind)


def uint(a: Mapping[str, Any], name: str, maximum: int = U32) -> int:
    """a[name] as an unsigned integer up to `maximum` (Kea's getUint32 / getUint8)."""
    value: int = required(a, name, int)
    if value < 0 or value > maximum:
        raise CommandError(f"out of range value ({value}) specified for parameter '{name}'")
    return value


def kea_str(value: Any) -> str:
    """Kea's Element::str() of a JSON value (user-context error texts)."""
    if isinstance(value, list):
        return "[ " + ", ".join(kea_str(v) for v in value) + " ]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)}: {kea_str(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


# ---- the lease fields Kea's Lease4Parser and Lease6Parser read alike, in the same order ---------


class Subnet(Protocol):
    """What the lease parsers read of a configured subnet (Subnet4, Subnet6)."""

    @property
    def id(self) -> int: ...

    @property
    def network(self) -> int: ...

    @property
    def prefix_len(self) -> int: ...

    @property
    def valid_lifetime(self) -> int: ...

    def contains(self, address: int) -> bool: ...


S = TypeVar("S", bound=Subnet)


def lease_subnet(
    subnets: Iterable[S],
    subnet_id: int,
    address: int,
    family: str,
    text: Callable[[int], str],
    in_range: bool,
) -> S:
    """The lease's subnet: the one named by subnet-id (which must hold the address when `in_range`:
    Kea does not check a delegated prefix), or with subnet-id 0 the first one holding the address."""
    if subnet_id == 0:
        match = next((s for s in subnets if s.contains(address)), None)
        if match is None:
            raise CommandError(
                f"subnet-id not specified and failed to find a subnet for address {text(address)}"
            )
        return match
    match = next((s for s in subnets if s.id == subnet_id), None)
    if match is None:
        raise CommandError(
            f"Invalid subnet-id: No {family} subnet with subnet-id={subnet_id} currently configured."
        )
    if in_range and not match.contains(address):
        raise CommandError(
            f"The address {text(address)} does not belong to subnet "
            f"{text(match.network)}/{match.prefix_len}, subnet-id={subnet_id}"
        )
    return match


def lease_cltt(a: Mapping[str, Any], address_text: str, valid_lft: int, now: float) -> int:
    """The lease's cltt: "expire" - valid lifetime, or (hakea's extension: Kea 2.2 ignores "cltt"
    in lease*-add/update and takes the current time) "cltt", or now."""
    if "expire" in a:
        expire: int = typed(a, "expire", int)
        if expire <= 0:
            raise CommandError(f"expiration time must be positive for address {address_text}")
        if expire < valid_lft:
            raise CommandError(
                f"expiration time must be greater than valid lifetime for address {address_text}"
            )
        return expire - valid_lft
    if "cltt" in a:
        return uint(a, "cltt", 2**63 - 1)
    return int(now)


def lease_fqdn(a: Mapping[str, Any]) -> tuple[bool, bool, str]:
    """(fqdn-fwd, fqdn-rev, hostname); Kea's Lease keeps the hostname lower-cased."""
    fqdn_fwd: bool = typed(a, "fqdn-fwd", bool) if "fqdn-fwd" in a else False
    fqdn_rev: bool = typed(a, "fqdn-rev", bool) if "fqdn-rev" in a else False
    hostname: str = typed(a, "hostname", str).lower() if "hostname" in a else ""
    if (fqdn_fwd or fqdn_rev) and not hostname:
        raise CommandError("No hostname specified and either forward or reverse fqdn was set to true.")
    return fqdn_fwd, fqdn_rev, hostname


def lease_state(a: Mapping[str, Any]) -> LeaseState:
    state = uint(a, "state", 255) if "state" in a else 0  # Kea reads it as an 8-bit value
    if state > LeaseState.EXPIRED_RECLAIMED:
        raise CommandError(
            f"Invalid state value: {state}, supported values are: 0 (default), 1 (declined) and "
            "2 (expired-reclaimed)"
        )
    return LeaseState(state)


# ---- addresses: Kea's IOAddress, whose callers word each refusal their own way -----------------

_FAMILIES = {4: (socket.AF_INET, socket.AF_INET6), 6: (socket.AF_INET6, socket.AF_INET)}


def parse_address(text: str, v: int) -> tuple[int | None, str | None]:
    """(IPv`v` address, None); (None, the address in normal form) for an address of the other
    family, which Kea's refusals name; (None, None) when `text` is no address."""
    own, other = _FAMILIES[v]
    try:
        return int.from_bytes(socket.inet_pton(own, text), "big"), None
    except (OSError, ValueError):  # ValueError for embedded NULs
        pass
    try:
        return None, socket.inet_ntop(other, socket.inet_pton(other, text))
    except (OSError, ValueError):
        return None, None


def _not_an_address(text: str) -> str:
    return f"Failed to convert string to address '{text}': Invalid argument"


def lease_address(text: str, v: int) -> int:
    """The "ip-address" of a lease to add or update (lease4/6-add, -update, -bulk-apply)."""
    address, other = parse_address(text, v)
    if address is None:
        if other is not None:
            raise CommandError(f"Non-IPv{v} address specified: {other}")
        raise CommandError(f"Failed to convert '{text}' to address: {_not_an_address(text)}")
    return address


def query_address(text: str, v: int) -> int:
    """The "ip-address" of a lease query (lease4/6-get, -del)."""
    address, other = parse_address(text, v)
    if address is None:
        if other is not None:
            raise CommandError(f"Invalid IPv{v} address specified: {text}")
        raise CommandError(_not_an_address(text))
    return address


def page_start(start: str, v: int) -> int | None:
    """The address after which lease4/6-get-page starts, from its "from" ("start": None)."""
    if start == "start":
        return None
    address, other = parse_address(start, v)
    if address is None:
        if other is not None:
            raise CommandError(f"'from' parameter value {other} is not an IPv{v} address")
        raise CommandError(f"'from' parameter value is neither 'start' keyword nor a valid IPv{v} address")
    return address


def update_failed(address_text: str) -> CommandError:
    """lease*-update of a lease that is not there, without force-create (Kea 2.2's words)."""
    return CommandError(
        f"failed to update the lease with address {address_text} either because the lease has been "
        "deleted or it has changed in the database, in both cases a retry might succeed"
    )


# ---- identifiers: Kea's HWAddr, DUID and ClientId fromText, with their error texts ---------------


def colon_hex(text: str) -> bytes:
    """Kea's decodeColonSeparatedHexString, for its error texts; hakea also takes "000c01" and
    "00-0c-01" (hakea.leases.json4.parse_hex)."""
    try:
        return parse_hex(text)
    except LeaseJSONError:
        pass
    for part in text.split(":"):
        if not part:
            raise CommandError(f"two consecutive separators (':') specified in a decoded string '{text}'")
        if len(part) > 2:
            raise CommandError(f"invalid format of the decoded string '{text}'")
        for char in part:
            if char not in _HEX:
                raise CommandError(f"'{char}' is not a valid hexadecimal digit in decoded string '{text}'")
    raise CommandError(f"invalid format of the decoded string '{text}'")  # pragma: no cover


def hwaddr(text: str) -> bytes:
    """A hardware address: colon-separated hex (empty allowed), at most 20 bytes."""
    data = colon_hex(text) if text else b""
    if len(data) > _MAX_HWADDR_LEN:
        raise CommandError("address vector size exceeds MAX_HWADDR_LEN")
    return data


def formatted_hex(text: str) -> bytes:
    """Kea's decodeFormattedHexString (DUID and client-id text): colon-separated, or plain hex
    digits (an odd count implies a leading 0; a "0x" prefix is allowed)."""
    if not text:
        raise CommandError("Empty DUIDs are not allowed")
    if ":" in text:
        return colon_hex(text)
    digits = text[2:] if text.startswith("0x") else text
    if not digits or any(c not in _HEX for c in digits):
        raise CommandError(f"'{text}' is not a valid string of hexadecimal digits")
    return bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)


def duid(text: str) -> bytes:
    """Kea's DUID::fromText: 1 to 128 bytes."""
    data = formatted_hex(text)
    if len(data) > _MAX_DUID_LEN:
        raise CommandError(f"DUID size is {len(data)} bytes, exceeds maximum of {_MAX_DUID_LEN}")
    return data


def client_id(text: str) -> bytes:
    """Kea's ClientId::fromText: a DUID of at least 2 bytes."""
    data = duid(text)
    if len(data) < 2:
        raise CommandError(f"client-id is too short ({len(data)}), at least 2 is required")
    return data


# ---- argument shapes the families' commands share --------------------------------------------------


def by_key(args: Args, name: str) -> str:
    """The one string argument of the lease*-get-by-* commands."""
    if args is None:
        raise CommandError(NO_ARGUMENTS)
    return string_arg(args, name)


def hostname_arg(args: Args) -> str:
    """lease*-get-by-hostname's "hostname" (the store compares it case-insensitively)."""
    hostname = by_key(args, "hostname")
    if not hostname:
        raise CommandError("'hostname' parameter is empty")
    return hostname


def subnet_ids(args: Args) -> list[int] | None:
    """lease*-get-all's "subnets" (None: no arguments, every lease). Kea repeats a repeated id."""
    if args is None:
        return None
    if "subnets" not in args:
        raise CommandError("'subnets' parameter not specified")
    ids = args["subnets"]
    if not isinstance(ids, list):
        raise CommandError("'subnets' parameter must be a list")
    if not all(type(i) is int for i in ids):
        raise CommandError("listed subnet identifiers must be numbers")
    return ids


def wiped_subnets(args: Args, configured: Iterable[int]) -> list[int]:
    """The subnets lease*-wipe empties: its "subnet-id", or (none, or 0) each configured subnet in
    turn -- Kea 2.2 names them all in its answer."""
    subnet_id = uint(args, "subnet-id") if args and "subnet-id" in args else 0
    return [subnet_id] if subnet_id else list(configured)


def string_arg(args: Mapping[str, Any], name: str) -> str:
    """A mandatory string argument (lease*-get-by-*, lease*-get-page's "from")."""
    if name not in args:
        raise CommandError(f"'{name}' parameter not specified")
    value = args[name]
    if not isinstance(value, str):
        raise CommandError(f"'{name}' parameter must be a string")
    return value


def page_from(args: Mapping[str, Any]) -> str:
    """lease*-get-page's "from": "start" or an address text (the family parses it)."""
    if args.get("from") is None:
        raise CommandError("'from' parameter not specified")
    return string_arg(args, "from")


def number_arg(args: Mapping[str, Any], name: str) -> int:
    """A mandatory integer argument (lease6-get-page's "limit": null is not a number)."""
    if name not in args:
        raise CommandError(f"'{name}' parameter not specified")
    value = args[name]
    if type(value) is not int:  # JSON true/false are not numbers for Kea
        raise CommandError(f"'{name}' parameter must be a number")
    return value


def page_limit(args: Mapping[str, Any]) -> int:
    """lease4-get-page's "limit": an integer, null taken as missing (page_size checks its range)."""
    if args.get("limit") is None:
        raise CommandError("'limit' parameter not specified")
    return number_arg(args, "limit")


def page_size(limit: int) -> int:
    """lease*-get-page's "limit" range: Kea reads it as unsigned 32 bits, so -1 is too big."""
    if limit == 0:
        raise CommandError("page size of retrieved leases must not be 0")
    if not 0 < limit <= U32:
        raise CommandError(f"page size of retrieved leases must not be greater than {U32}")
    return limit
