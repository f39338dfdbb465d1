"""Kea's lease_cmds for DHCPv6 (loaded when "hooks-libraries" names libdhcp_lease_cmds.so).

Answer texts and result codes follow Kea 2.2 (result 3, "empty", when nothing matches). A lease
is named by "ip-address" and "type" ("IA_NA" by default, "IA_PD" for a prefix), or by
"identifier-type": "duid" with "identifier", "iaid" and "subnet-id". lease6-bulk-apply is what an
HA partner sends for each client transaction. Registration and the answers shared with DHCPv4:
lease_cmds_common.py (handlers are plain functions: the store is synchronous).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from hakea.config.model6 import Subnet6
from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRequest
from hakea.leases.json4 import parse_hex
from hakea.leases.json6 import (
    TYPE_NAMES,
    LeaseJSONError,
    format_ipv6,
    lease6_from_json,
    lease6_to_json,
    parse_ipv6,
    parse_lease_type,
)
from hakea.leases.model6 import Lease6, LeaseType
from hakea.leases.store import LeaseStoreError
from hakea.leases.store6 import LeaseStore6
from hakea.server import lease_cmds_common as common
from hakea.server.lease_cmds_common import EMPTY, Args, LeaseAnswers

if TYPE_CHECKING:
    from hakea.server.dhcp6_daemon import Dhcp6Daemon


NAMES = (
    "lease6-add",
    "lease6-get",
    "lease6-get-all",
    "lease6-get-page",
    "lease6-get-by-duid",
    "lease6-get-by-hostname",
    "lease6-update",
    "lease6-del",
    "lease6-wipe",
    "lease6-bulk-apply",
)
_ANSWERS = LeaseAnswers("IPv6", lease6_to_json)
_found = _ANSWERS.leases


def _need(args: Args) -> dict[str, Any]:
    """Kea's lease6 commands refuse missing and empty arguments alike."""
    if not args:
        raise CommandError("no parameters specified for the command")
    return args


def _what(lease: Lease6) -> str:
    if lease.type == LeaseType.PD:
        return f"prefix {format_ipv6(lease.address)}/{lease.prefix_len}"
    return f"address {format_ipv6(lease.address)}"


def _type(args: dict[str, Any]) -> LeaseType:
    try:
        return LeaseType.NA if "type" not in args else parse_lease_type(args["type"])
    except LeaseJSONError as exc:
        raise CommandError(str(exc)) from exc


def _address(args: dict[str, Any]) -> int:
    try:
        return parse_ipv6(common.string_arg(args, "ip-address"))
    except LeaseJSONError as exc:
        raise CommandError(str(exc)) from exc


def _subnet_for(subnets: tuple[Subnet6, ...], address: int, kind: LeaseType, subnet_id: Any) -> Subnet6:
    """Kea's checks: the subnet named by subnet-id must exist and (for an address) contain it; with
    no subnet-id, the subnet containing the address (or a pd-pool holding the prefix)."""
    if isinstance(subnet_id, bool) or not isinstance(subnet_id, int):
        raise CommandError("'subnet-id' parameter must be an integer")
    if subnet_id == 0:
        for s in subnets:
            if s.contains(address) or (
                kind == LeaseType.PD
                and any(
                    (address >> (128 - p.prefix_len)) == (p.prefix >> (128 - p.prefix_len))
                    for p in s.pd_pools
                )
            ):
                return s
        raise CommandError(
            f"subnet-id not specified and no subnet contains the address {format_ipv6(address)}"
        )
    match = next((s for s in subnets if s.id == subnet_id), None)
    if match is None:
        raise CommandError(
            f"Invalid subnet-id: No IPv6 subnet with subnet-id={subnet_id} currently configured."
        )
    if kind != LeaseType.PD and not match.contains(address):
        raise CommandError(
            f"The address {format_ipv6(address)} does not belong to subnet "
            f"{format_ipv6(match.network)}/{match.prefix_len}, subnet-id={subnet_id}"
        )
    return match


def lease_from_args(args: dict[str, Any], subnets: tuple[Subnet6, ...], now: float) -> Lease6:
    """A lease from command arguments with Kea's defaults: subnet by address, the subnet's valid
    lifetime for both lifetimes (Kea 2.2, observed), cltt now."""
    obj = dict(args)
    for key in ("force-create", "origin"):
        obj.pop(key, None)
    address = _address(obj)
    kind = _type(obj)
    subnet = _subnet_for(subnets, address, kind, obj.get("subnet-id", 0))
    obj["subnet-id"] = subnet.id
    obj.setdefault("valid-lft", subnet.valid_lifetime)
    obj.setdefault("preferred-lft", subnet.valid_lifetime)
    if "cltt" not in obj and "expire" not in obj:
        obj["cltt"] = int(now)
    for key in ("duid", "iaid"):
        if key not in obj:
            raise CommandError(f"'{key}' parameter not specified")
    try:
        return lease6_from_json(obj)
    except LeaseJSONError as exc:
        raise CommandError(str(exc)) from exc


def register(daemon: Dhcp6Daemon, *, enabled: bool) -> None:
    if not enabled:
        common.install(daemon.registry, NAMES, None)
        return

    def store() -> LeaseStore6:
        assert daemon.store is not None
        return daemon.store

    def lease_from(args: dict[str, Any]) -> Lease6:
        return lease_from_args(args, daemon.config.subnets, time.time())

    def lease6_add(args: Args, req: CommandRequest) -> dict[str, Any]:
        lease = lease_from(_need(args))
        _ANSWERS.add(store(), lease)
        return envelope.success(f"Lease for {_what(lease)}, subnet-id {lease.subnet_id} added.")

    def lease6_update(args: Args, req: CommandRequest) -> dict[str, Any]:
        a = _need(args)
        force = a.get("force-create", False)
        if not isinstance(force, bool):
            raise CommandError("'force-create' parameter must be a boolean")
        lease = lease_from(a)
        answer = _ANSWERS.update(store(), lease, force)
        if answer is not None:
            return answer
        raise CommandError(
            f"failed to update the lease with address {format_ipv6(lease.address)} - no such lease"
        )

    def by_address_or_identifier(a: dict[str, Any]) -> Lease6 | None:
        if "ip-address" in a:
            return store().get(_type(a), _address(a))
        if "identifier-type" not in a or "identifier" not in a:
            raise CommandError("Mandatory 'ip-address' or 'identifier-type' and 'identifier' not specified")
        kind = common.string_arg(a, "identifier-type")
        if kind != "duid":
            raise CommandError(
                f"Incorrect identifier type: {kind}, the only supported values are: address, hw-address, duid"
            )
        try:
            duid = parse_hex(common.string_arg(a, "identifier"))
        except LeaseJSONError as exc:
            raise CommandError(str(exc)) from exc
        subnet_id, iaid = a.get("subnet-id"), a.get("iaid")
        if isinstance(subnet_id, bool) or not isinstance(subnet_id, int):
            raise CommandError("'subnet-id' parameter not specified")
        if isinstance(iaid, bool) or not isinstance(iaid, int):
            raise CommandError("'iaid' parameter not specified")
        found = store().get_by_duid(duid, iaid, _type(a), subnet_id)
        return found[0] if found else None

    def lease6_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        return _ANSWERS.lease(by_address_or_identifier(_need(args)))

    def lease6_get_all(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args and "subnets" in args:
            ids = args["subnets"]
            if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
                raise CommandError("'subnets' parameter must be a list of subnet identifiers")
            leases = [le for i in ids for le in store().get_by_subnet(i)]
        else:
            leases = list(store().all())
        leases.sort(key=lambda le: le.address)
        return _found(leases)

    def lease6_get_page(args: Args, req: CommandRequest) -> dict[str, Any]:
        a = _need(args)
        start = common.page_from(a)
        after: int | None = None
        if start != "start":
            try:
                after = parse_ipv6(start)
            except LeaseJSONError as exc:
                raise CommandError(
                    f"'from' parameter value is neither 'start' keyword nor a valid IPv6 address: {start}"
                ) from exc
        limit = common.page_limit(a)
        if limit <= 0:
            raise CommandError("page size of retrieved leases must not be 0")
        return _ANSWERS.page(store().page(after, limit))

    def lease6_get_by_duid(args: Args, req: CommandRequest) -> dict[str, Any]:
        try:
            duid = parse_hex(common.string_arg(_need(args), "duid"))
        except LeaseJSONError as exc:
            raise CommandError(str(exc)) from exc
        return _found(store().get_by_duid(duid))

    def lease6_get_by_hostname(args: Args, req: CommandRequest) -> dict[str, Any]:
        hostname = common.string_arg(_need(args), "hostname")
        if not hostname:
            raise CommandError("'hostname' parameter is empty")
        return _found(store().get_by_hostname(hostname))

    def lease6_del(args: Args, req: CommandRequest) -> dict[str, Any]:
        lease = by_address_or_identifier(_need(args))
        return _ANSWERS.deleted(lease is not None and store().delete(lease.type, lease.address))

    def lease6_wipe(args: Args, req: CommandRequest) -> dict[str, Any]:
        subnet_id = (args or {}).get("subnet-id")
        if subnet_id is not None and (isinstance(subnet_id, bool) or not isinstance(subnet_id, int)):
            raise CommandError("'subnet-id' parameter must be an integer")
        count = store().wipe(subnet_id or None)
        where = f"subnet(s) {subnet_id}" if subnet_id else "all subnets"
        return envelope.answer(0 if count else EMPTY, f"Deleted {count} IPv6 lease(s) from {where}")

    def lease6_bulk_apply(args: Args, req: CommandRequest) -> dict[str, Any]:
        # Kea: no arguments at all -> "no parameters ..."; {} -> "neither 'deleted-leases' nor ..."
        return bulk_apply(store(), daemon.config.subnets, _need(args) if args is None else args, time.time())

    handlers = {
        "lease6-add": lease6_add,
        "lease6-get": lease6_get,
        "lease6-get-all": lease6_get_all,
        "lease6-get-page": lease6_get_page,
        "lease6-get-by-duid": lease6_get_by_duid,
        "lease6-get-by-hostname": lease6_get_by_hostname,
        "lease6-update": lease6_update,
        "lease6-del": lease6_del,
        "lease6-wipe": lease6_wipe,
        "lease6-bulk-apply": lease6_bulk_apply,
    }
    common.install(daemon.registry, NAMES, handlers)


def _failure(kind: LeaseType, address: int, result: int, message: str) -> dict[str, Any]:
    # Kea 2.2's entry, keys in its (alphabetical) order.
    return {"error-message": message, "ip-address": format_ipv6(address), "result": result,
            "type": TYPE_NAMES[kind]}


def bulk_apply(
    store: LeaseStore6, subnets: tuple[Subnet6, ...], args: dict[str, Any], now: float
) -> dict[str, Any]:
    """lease6-bulk-apply as Kea 2.2 answers it (seen against kea-dhcp6 2.2.0, docs/kea-interop.md):
    every entry is parsed first and one bad entry fails the whole command (result 1, nothing
    applied); then "deleted-leases" are deleted -- a missing one is listed in
    "failed-deleted-leases" with result 3 -- and "leases" added or replaced (a store failure is
    listed in "failed-leases"). Result 3 when nothing was applied."""
    deleted = args.get("deleted-leases", [])
    leases = args.get("leases", [])
    if "deleted-leases" not in args and "leases" not in args:
        raise CommandError("neither 'deleted-leases' nor 'leases' parameter specified")
    if not isinstance(deleted, list):
        raise CommandError("'deleted-leases' parameter must be a list")
    if not isinstance(leases, list):
        raise CommandError("'leases' parameter must be a list")
    doomed: list[tuple[LeaseType, int]] = []
    for entry in deleted:
        if not isinstance(entry, dict):
            raise CommandError("a lease must be a map")
        doomed.append((_type(entry), _address(entry)))
    fresh: list[Lease6] = []
    for entry in leases:
        if not isinstance(entry, dict):
            raise CommandError("a lease must be a map")
        fresh.append(lease_from_args(entry, subnets, now))
    applied = 0
    failed_deleted: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for kind, address in doomed:
        try:
            if store.delete(kind, address):
                applied += 1
            else:
                failed_deleted.append(_failure(kind, address, EMPTY, "lease not found"))
        except LeaseStoreError as exc:
            failed_deleted.append(_failure(kind, address, envelope.CONTROL_RESULT_ERROR, str(exc)))
    for lease in fresh:
        try:
            if not store.update(lease):
                store.upsert(lease)
            applied += 1
        except LeaseStoreError as exc:
            failed.append(_failure(lease.type, lease.address, envelope.CONTROL_RESULT_ERROR, str(exc)))
    body: dict[str, Any] = {}
    if failed_deleted:
        body["failed-deleted-leases"] = failed_deleted
    if failed:
        body["failed-leases"] = failed
    return envelope.answer(0 if applied else EMPTY, f"Bulk apply of {applied} IPv6 leases completed.",
                           body or None)


__all__ = ["NAMES", "TYPE_NAMES", "bulk_apply", "lease_from_args", "register"]
