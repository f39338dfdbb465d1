"""Kea's lease_cmds for DHCPv4 (loaded when "hooks-libraries" names libdhcp_lease_cmds.so).

Answer texts and result codes follow Kea 2.2 (probed against Debian's kea-dhcp4 2.2.0 with
libdhcp_lease_cmds.so; tests/e2e/test_control_commands.py holds the table): result 3 ("empty") when
nothing matches; argument errors carry Kea's words, without the "(<wire>:line:col)" position Kea's
JSON getters append. hakea accepts a few forms Kea refuses (hardware addresses without separators
or with dashes, "cltt" in lease4-add/update); docs/kea-interop.md lists them.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRequest
from hakea.leases.json4 import LeaseJSONError, format_ipv4, lease4_to_json, parse_hex
from hakea.leases.model import Lease4, LeaseState
from hakea.server import lease_cmds_common as common
from hakea.server.lease_cmds_common import EMPTY, U32, Args, LeaseAnswers

if TYPE_CHECKING:
    from hakea.server.dhcp4_daemon import Dhcp4Daemon

NAMES = (
    "lease4-add",
    "lease4-get",
    "lease4-get-all",
    "lease4-get-page",
    "lease4-get-by-hw-address",
    "lease4-get-by-client-id",
    "lease4-get-by-hostname",
    "lease4-update",
    "lease4-del",
    "lease4-wipe",
)
_HEX = frozenset("0123456789abcdefABCDEF")
_MAX_HWADDR_LEN = 20  # Kea's HWAddr::MAX_HWADDR_LEN
_MAX_CLIENT_ID_LEN = 128  # Kea's DUID::MAX_DUID_LEN (ClientId reuses it)
_STATE_NAMES = {0: "default", 1: "declined", 2: "expired-reclaimed"}
_inet_pton = socket.inet_pton
_inet_ntop = socket.inet_ntop


# ---- Kea's argument getters (isc::data::SimpleParser): texts without the position suffix ----------


def _typed(a: dict[str, Any], name: str, kind: type) -> Any:
    value = a[name]
    # JSON true/false are not integers for Kea.
    if not (type(value) is int if kind is int else isinstance(value, kind)):
        raise CommandError(f"invalid type specified for parameter '{name}'")
    return value


def _required(a: dict[str, Any], name: str, kind: type) -> Any:
    if name not in a:
        raise CommandError(f"missing parameter '{name}'")
    return _typed(a, name, kind)


def _uint(a: dict[str, Any], name: str, maximum: int = U32) -> int:
    value: int = _typed(a, name, int)
    if value < 0 or value > maximum:
        raise CommandError(f"out of range value ({value}) specified for parameter '{name}'")
    return value


def _kea_str(value: Any) -> str:
    """Kea's Element::str() of a JSON value (user-context error text)."""
    if isinstance(value, list):
        return "[ " + ", ".join(_kea_str(v) for v in value) + " ]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)}: {_kea_str(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _address_text(text: str) -> tuple[int | None, str | None]:
    """(IPv4 address, None), or (None, normalised IPv6 text), or (None, None) when neither."""
    try:
        return int.from_bytes(_inet_pton(socket.AF_INET, text), "big"), None
    except (OSError, ValueError):
        pass
    try:
        return None, _inet_ntop(socket.AF_INET6, _inet_pton(socket.AF_INET6, text))
    except (OSError, ValueError):
        return None, None


# ---- identifiers: Kea's HWAddr::fromText and ClientId::fromText, with their error texts -----------


def _colon_hex(text: str) -> bytes:
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


def _hwaddr(text: str) -> bytes:
    data = _colon_hex(text) if text else b""
    if len(data) > _MAX_HWADDR_LEN:
        raise CommandError("address vector size exceeds MAX_HWADDR_LEN")
    return data


def _formatted_hex(text: str) -> bytes:
    """Kea's decodeFormattedHexString (DUID and client-id text): colon-separated, or plain hex
    digits (an odd count implies a leading 0; a "0x" prefix is allowed)."""
    if not text:
        raise CommandError("Empty DUIDs are not allowed")
    if ":" in text:
        return _colon_hex(text)
    digits = text[2:] if text.startswith("0x") else text
    if not digits or any(c not in _HEX for c in digits):
        raise CommandError(f"'{text}' is not a valid string of hexadecimal digits")
    return bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)


def _client_id(text: str) -> bytes:
    """Kea's ClientId::fromText: 2 to 128 bytes."""
    data = _formatted_hex(text)
    if len(data) < 2:
        raise CommandError(f"client-id is too short ({len(data)}), at least 2 is required")
    if len(data) > _MAX_CLIENT_ID_LEN:
        raise CommandError(f"DUID size is {len(data)} bytes, exceeds maximum of {_MAX_CLIENT_ID_LEN}")
    return data


_ANSWERS = LeaseAnswers("IPv4", lease4_to_json)
_found = _ANSWERS.leases


def register(daemon: Dhcp4Daemon, *, enabled: bool) -> None:
    if not enabled:
        common.install(daemon.registry, NAMES, None)
        return

    def store() -> Any:
        assert daemon.store is not None
        return daemon.store

    def lease_from(a: dict[str, Any]) -> Lease4:
        """A lease from lease4-add / lease4-update arguments, checked in Kea 2.2's order (its
        Lease4Parser) with its texts. Defaults as Kea: the subnet from the address, the subnet's
        valid lifetime, cltt now (or expire - valid-lft)."""
        text = _required(a, "ip-address", str)
        address, v6 = _address_text(text)
        if address is None:
            if v6 is not None:
                raise CommandError(f"Non-IPv4 address specified: {v6}")
            raise CommandError(
                f"Failed to convert '{text}' to address: Failed to convert string to address '{text}': "
                "Invalid argument"
            )
        hwaddr = _hwaddr(_required(a, "hw-address", str))
        subnet_id = _uint(a, "subnet-id") if "subnet-id" in a else 0
        subnets = daemon.config.subnets
        if subnet_id == 0:
            match = next((s for s in subnets if s.contains(address)), None)
            if match is None:
                raise CommandError(
                    f"subnet-id not specified and failed to find a subnet for address {format_ipv4(address)}"
                )
        else:
            match = next((s for s in subnets if s.id == subnet_id), None)
            if match is None:
                raise CommandError(
                    f"Invalid subnet-id: No IPv4 subnet with subnet-id={subnet_id} currently configured."
                )
            if not match.contains(address):
                raise CommandError(
                    f"The address {format_ipv4(address)} does not belong to subnet "
                    f"{format_ipv4(match.network)}/{match.prefix_len}, subnet-id={subnet_id}"
                )
        client_id = _client_id(_typed(a, "client-id", str)) if "client-id" in a else b""
        valid_lft = _uint(a, "valid-lft") if "valid-lft" in a else match.valid_lifetime
        if "expire" in a:
            expire = _typed(a, "expire", int)
            if expire <= 0:
                raise CommandError(f"expiration time must be positive for address {format_ipv4(address)}")
            if expire < valid_lft:
                raise CommandError(
                    f"expiration time must be greater than valid lifetime for address {format_ipv4(address)}"
                )
            cltt = expire - valid_lft
        elif "cltt" in a:  # hakea extension: Kea 2.2 ignores "cltt" here and uses the current time
            cltt = _uint(a, "cltt", 2**63 - 1)
        else:
            cltt = int(time.time())
        fqdn_fwd = _typed(a, "fqdn-fwd", bool) if "fqdn-fwd" in a else False
        fqdn_rev = _typed(a, "fqdn-rev", bool) if "fqdn-rev" in a else False
        hostname = _typed(a, "hostname", str).lower() if "hostname" in a else ""
        if (fqdn_fwd or fqdn_rev) and not hostname:
            raise CommandError("No hostname specified and either forward or reverse fqdn was set to true.")
        state = _uint(a, "state", 255) if "state" in a else 0
        if state > LeaseState.EXPIRED_RECLAIMED:
            raise CommandError(
                f"Invalid state value: {state}, supported values are: 0 (default), 1 (declined) and "
                "2 (expired-reclaimed)"
            )
        context = a.get("user-context")
        if context is not None and not isinstance(context, dict):
            raise CommandError(f"Invalid user context '{_kea_str(context)}' is not a JSON map.")
        if "comment" in a:  # Kea keeps a "comment" inside the user context
            context = {**(context or {}), "comment": a["comment"]}
        if not hwaddr and not client_id and state != LeaseState.DECLINED:
            raise CommandError(
                f"Lease4: {format_ipv4(address)}, state: {_STATE_NAMES[state]} has neither hardware "
                "address or client id"
            )
        return Lease4(address, hwaddr, client_id, valid_lft, cltt, match.id, fqdn_fwd, fqdn_rev, hostname,
                      LeaseState(state), dict(context) if context is not None else None)

    def lease4_add(args: Args, req: CommandRequest) -> dict[str, Any]:
        if not args:
            if args is None:
                raise CommandError("no parameters specified for the command")
            raise CommandError("missing parameter 'ip-address'")
        lease = lease_from(args)
        _ANSWERS.add(store(), lease)
        return envelope.success(
            f"Lease for address {format_ipv4(lease.address)}, subnet-id {lease.subnet_id} added."
        )

    def lease4_update(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args is None:
            raise CommandError("no parameters specified for lease4-update command")
        lease = lease_from(args)
        force = _typed(args, "force-create", bool) if "force-create" in args else False
        answer = _ANSWERS.update(store(), lease, force)
        if answer is not None:
            return answer
        raise CommandError(  # Kea 2.2's text, word for word
            f"failed to update the lease with address {format_ipv4(lease.address)} either because the "
            "lease has been deleted or it has changed in the database, in both cases a retry might succeed"
        )

    def by_address_or_identifier(a: Args, verb: str) -> Lease4 | None:
        """Kea's lease4-get / lease4-del parameters: "ip-address", or "identifier-type",
        "identifier" and "subnet-id"; None when no lease matches."""
        if a is None:
            raise CommandError("Parameters missing or are not a map.")
        if "ip-address" in a:
            text = a["ip-address"]
            if not isinstance(text, str):
                raise CommandError("'ip-address' is not a string.")
            address, v6 = _address_text(text)
            if address is None:
                if v6 is not None:
                    raise CommandError(f"Invalid IPv4 address specified: {text}")
                raise CommandError(f"Failed to convert string to address '{text}': Invalid argument")
            return store().get(address)  # type: ignore[no-any-return]
        if "subnet-id" not in a:
            raise CommandError("Mandatory 'subnet-id' parameter missing.")
        subnet_id = a["subnet-id"]
        if type(subnet_id) is not int:
            raise CommandError("'subnet-id' parameter is not integer.")
        kind = a.get("identifier-type")
        if not isinstance(kind, str):
            raise CommandError(
                "No 'ip-address' provided and 'identifier-type' is either missing or not a string."
            )
        ident = a.get("identifier")
        if not isinstance(ident, str):
            raise CommandError("No 'ip-address' provided and 'identifier' is either missing or not a string.")
        finders: dict[str, Callable[[bytes, int], list[Lease4]]] = {
            "hw-address": store().get_by_hwaddr,
            "client-id": store().get_by_client_id,
        }
        if kind == "hw-address":
            found = finders[kind](_hwaddr(ident), subnet_id)
        elif kind == "client-id":
            found = finders[kind](_client_id(ident), subnet_id)
        elif kind == "duid":
            _formatted_hex(ident)  # Kea parses it (as a DUID) before refusing the query
            raise CommandError(f"{verb} by duid is not allowed in v4.")
        elif kind == "address":
            return None  # Kea 2.2: an "address" identifier finds nothing ("ip-address" does)
        else:
            raise CommandError(
                f"Incorrect identifier type: {kind}, the only supported values are: address, hw-address, duid"
            )
        return found[0] if found else None

    def lease4_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        return _ANSWERS.lease(by_address_or_identifier(args, "Query"))

    def lease4_get_all(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args is None:
            leases = list(store().all())
        else:
            if "subnets" not in args:
                raise CommandError("'subnets' parameter not specified")
            ids = args["subnets"]
            if not isinstance(ids, list):
                raise CommandError("'subnets' parameter must be a list")
            if not all(type(i) is int for i in ids):
                raise CommandError("listed subnet identifiers must be numbers")
            leases = [le for i in ids for le in store().get_by_subnet(i)]  # Kea repeats repeated ids
        return _found(leases)

    def lease4_get_page(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args is None:
            raise CommandError("no parameters specified for the lease4-get-page command")
        start = common.page_from(args)
        after: int | None = None
        if start != "start":
            after, v6 = _address_text(start)
            if after is None:
                if v6 is not None:
                    raise CommandError(f"'from' parameter value {v6} is not an IPv4 address")
                raise CommandError(
                    "'from' parameter value is neither 'start' keyword nor a valid IPv4 address"
                )
        limit = common.page_limit(args)
        if limit == 0:
            raise CommandError("page size of retrieved leases must not be 0")
        if not 0 < limit <= U32:  # Kea reads it as unsigned: -1 is 4294967295 + 1
            raise CommandError(f"page size of retrieved leases must not be greater than {U32}")
        return _ANSWERS.page(store().page(after, limit))

    def by_key(args: Args, name: str) -> str:
        """The one string argument of the lease4-get-by-* commands."""
        if args is None:
            raise CommandError("Command arguments missing or a not a map.")
        return common.string_arg(args, name)

    def lease4_get_by_hw_address(args: Args, req: CommandRequest) -> dict[str, Any]:
        hw = _hwaddr(by_key(args, "hw-address"))
        if not hw:  # Kea lists the leases without a hardware address (declined ones)
            return _found([le for le in store().all() if not le.hwaddr])
        return _found(store().get_by_hwaddr(hw))

    def lease4_get_by_client_id(args: Args, req: CommandRequest) -> dict[str, Any]:
        return _found(store().get_by_client_id(_client_id(by_key(args, "client-id"))))

    def lease4_get_by_hostname(args: Args, req: CommandRequest) -> dict[str, Any]:
        hostname = by_key(args, "hostname")
        if not hostname:
            raise CommandError("'hostname' parameter is empty")
        return _found(store().get_by_hostname(hostname))

    def lease4_del(args: Args, req: CommandRequest) -> dict[str, Any]:
        lease = by_address_or_identifier(args, "Delete")
        return _ANSWERS.deleted(lease is not None and store().delete(lease.address))

    def lease4_wipe(args: Args, req: CommandRequest) -> dict[str, Any]:
        subnet_id = _uint(args, "subnet-id") if args and "subnet-id" in args else 0
        # Without a subnet-id Kea 2.2 wipes each configured subnet in turn and names them all.
        ids = [subnet_id] if subnet_id else [s.id for s in daemon.config.subnets]
        count = sum(store().wipe(i) for i in ids)
        text = f"Deleted {count} IPv4 lease(s) from subnet(s) {' '.join(str(i) for i in ids)}"
        return envelope.answer(0 if count else EMPTY, text)

    handlers = {
        "lease4-add": lease4_add,
        "lease4-get": lease4_get,
        "lease4-get-all": lease4_get_all,
        "lease4-get-page": lease4_get_page,
        "lease4-get-by-hw-address": lease4_get_by_hw_address,
        "lease4-get-by-client-id": lease4_get_by_client_id,
        "lease4-get-by-hostname": lease4_get_by_hostname,
        "lease4-update": lease4_update,
        "lease4-del": lease4_del,
        "lease4-wipe": lease4_wipe,
    }
    common.install(daemon.registry, NAMES, handlers)
