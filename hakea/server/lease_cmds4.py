"""Kea's lease_cmds for DHCPv4 (loaded when "hooks-libraries" names libdhcp_lease_cmds.so).

Answer texts and result codes follow Kea 2.2: result 3 ("empty") when nothing matches.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRequest
from hakea.leases.json4 import (
    LeaseJSONError,
    format_ipv4,
    lease4_from_json,
    lease4_to_json,
    parse_hex,
    parse_ipv4,
)
from hakea.leases.model import Lease4

if TYPE_CHECKING:
    from hakea.server.dhcp4_daemon import Dhcp4Daemon

Args = dict[str, Any] | None
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
_EMPTY = envelope.CONTROL_RESULT_EMPTY


def _need(args: Args) -> dict[str, Any]:
    if not args:
        raise CommandError("no parameters specified for the command")
    return args


def _string(args: dict[str, Any], name: str) -> str:
    if name not in args:
        raise CommandError(f"'{name}' parameter not specified")
    value = args[name]
    if not isinstance(value, str):
        raise CommandError(f"'{name}' parameter must be a string")
    return value


def _found(leases: list[Lease4]) -> dict[str, Any]:
    body = {"leases": [lease4_to_json(le) for le in leases]}
    return envelope.answer(0 if leases else _EMPTY, f"{len(leases)} IPv4 lease(s) found.", body)


def register(daemon: Dhcp4Daemon, *, enabled: bool) -> None:
    reg = daemon.registry
    if not enabled:
        for name in NAMES:
            if name in reg:
                reg.unregister(name)
        return

    def store() -> Any:
        assert daemon.store is not None
        return daemon.store

    def lease_from(args: dict[str, Any]) -> Lease4:
        """A lease from command arguments, with Kea's defaults: subnet by address, the subnet's
        valid lifetime, cltt now; the subnet must exist and contain the address."""
        obj = dict(args)
        for key in ("force-create", "origin"):
            obj.pop(key, None)
        try:
            address = parse_ipv4(_string(obj, "ip-address"))
        except LeaseJSONError as exc:
            raise CommandError(str(exc)) from exc
        subnets = daemon.config.subnets
        subnet_id = obj.get("subnet-id", 0)
        if isinstance(subnet_id, bool) or not isinstance(subnet_id, int):
            raise CommandError("'subnet-id' parameter must be an integer")
        if subnet_id == 0:
            match = next((s for s in subnets if s.contains(address)), None)
            if match is None:
                raise CommandError(
                    f"subnet-id not specified and no subnet contains the address {format_ipv4(address)}"
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
        obj["subnet-id"] = match.id
        obj.setdefault("valid-lft", match.valid_lifetime)
        if "cltt" not in obj and "expire" not in obj:
            obj["cltt"] = int(time.time())
        if "hw-address" not in obj:
            raise CommandError("'hw-address' parameter not specified")
        try:
            return lease4_from_json(obj)
        except LeaseJSONError as exc:
            raise CommandError(str(exc)) from exc

    def lease4_add(args: Args, req: CommandRequest) -> dict[str, Any]:
        lease = lease_from(_need(args))
        if not store().add(lease):
            raise CommandError("IPv4 lease already exists.")
        return envelope.success(
            f"Lease for address {format_ipv4(lease.address)}, subnet-id {lease.subnet_id} added."
        )

    def lease4_update(args: Args, req: CommandRequest) -> dict[str, Any]:
        a = _need(args)
        force = a.get("force-create", False)
        if not isinstance(force, bool):
            raise CommandError("'force-create' parameter must be a boolean")
        lease = lease_from(a)
        if store().update(lease):
            return envelope.success("IPv4 lease updated.")
        if force:
            store().upsert(lease)
            return envelope.success("IPv4 lease added.")
        raise CommandError(  # Kea 2.2's text, word for word
            f"failed to update the lease with address {format_ipv4(lease.address)} either because the "
            "lease has been deleted or it has changed in the database, in both cases a retry might succeed"
        )

    def by_address_or_identifier(a: dict[str, Any]) -> Lease4 | None:
        if "ip-address" in a:
            try:
                return store().get(parse_ipv4(_string(a, "ip-address")))  # type: ignore[no-any-return]
            except LeaseJSONError as exc:
                raise CommandError(str(exc)) from exc
        if "identifier-type" not in a or "identifier" not in a:
            raise CommandError("Mandatory 'ip-address' or 'identifier-type' and 'identifier' not specified")
        kind = _string(a, "identifier-type")
        try:
            ident = parse_hex(_string(a, "identifier"))
        except LeaseJSONError as exc:
            raise CommandError(str(exc)) from exc
        subnet_id = a.get("subnet-id")
        if isinstance(subnet_id, bool) or not isinstance(subnet_id, int):
            raise CommandError("'subnet-id' parameter not specified")
        finders: dict[str, Callable[[bytes, int], list[Lease4]]] = {
            "hw-address": store().get_by_hwaddr,
            "client-id": store().get_by_client_id,
        }
        if kind not in finders:
            raise CommandError(
                f"Incorrect identifier type: {kind}, the only supported values are: address, hw-address, duid"
            )
        found = finders[kind](ident, subnet_id)
        return found[0] if found else None

    def lease4_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        lease = by_address_or_identifier(_need(args))
        if lease is None:
            return envelope.answer(_EMPTY, "Lease not found.")
        return envelope.success("IPv4 lease found.", lease4_to_json(lease))

    def lease4_get_all(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args and "subnets" in args:
            ids = args["subnets"]
            if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
                raise CommandError("'subnets' parameter must be a list of subnet identifiers")
            leases = [le for i in ids for le in store().get_by_subnet(i)]
        else:
            leases = list(store().all())
        leases.sort(key=lambda le: le.address)
        return _found(leases)

    def lease4_get_page(args: Args, req: CommandRequest) -> dict[str, Any]:
        a = _need(args)
        start = a.get("from")
        if start is None:
            raise CommandError("'from' parameter not specified")
        if not isinstance(start, str):
            raise CommandError("'from' parameter must be a string")
        after: int | None = None
        if start != "start":
            try:
                after = parse_ipv4(start)
            except LeaseJSONError as exc:
                raise CommandError(
                    f"'from' parameter value is neither 'start' keyword nor a valid IPv4 address: {start}"
                ) from exc
        limit = a.get("limit")
        if limit is None:
            raise CommandError("'limit' parameter not specified")
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise CommandError("'limit' parameter must be a number")
        if limit <= 0:
            raise CommandError("page size of retrieved leases must not be 0")
        leases = store().page(after, limit)
        body = {"count": len(leases), "leases": [lease4_to_json(le) for le in leases]}  # Kea's key order
        return envelope.answer(0 if leases else _EMPTY, f"{len(leases)} IPv4 lease(s) found.", body)

    def lease4_get_by_hw_address(args: Args, req: CommandRequest) -> dict[str, Any]:
        try:
            hw = parse_hex(_string(_need(args), "hw-address"))
        except LeaseJSONError as exc:
            raise CommandError(str(exc)) from exc
        return _found(store().get_by_hwaddr(hw))

    def lease4_get_by_client_id(args: Args, req: CommandRequest) -> dict[str, Any]:
        try:
            cid = parse_hex(_string(_need(args), "client-id"))
        except LeaseJSONError as exc:
            raise CommandError(str(exc)) from exc
        return _found(store().get_by_client_id(cid))

    def lease4_get_by_hostname(args: Args, req: CommandRequest) -> dict[str, Any]:
        hostname = _string(_need(args), "hostname")
        if not hostname:
            raise CommandError("'hostname' parameter is empty")
        return _found(store().get_by_hostname(hostname))

    def lease4_del(args: Args, req: CommandRequest) -> dict[str, Any]:
        lease = by_address_or_identifier(_need(args))
        if lease is None or not store().delete(lease.address):
            return envelope.answer(_EMPTY, "IPv4 lease not found.")
        return envelope.success("IPv4 lease deleted.")

    def lease4_wipe(args: Args, req: CommandRequest) -> dict[str, Any]:
        subnet_id = (args or {}).get("subnet-id")
        if subnet_id is not None and (isinstance(subnet_id, bool) or not isinstance(subnet_id, int)):
            raise CommandError("'subnet-id' parameter must be an integer")
        count = store().wipe(subnet_id or None)
        where = f"subnet(s) {subnet_id}" if subnet_id else "all subnets"
        return envelope.answer(0 if count else _EMPTY, f"Deleted {count} IPv4 lease(s) from {where}")

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
    # The store is synchronous, so none of these ever awaits: registered as plain functions, the
    # HTTP listener answers them inside its read callback (no task per HA lease update).
    for name, handler in handlers.items():
        reg.register_sync(name, handler, replace=True)
