"""Kea's lease_cmds for DHCPv6 (loaded when "hooks-libraries" names libdhcp_lease_cmds.so).

Answer texts and result codes follow Kea 2.2 (probed against Debian's kea-dhcp6 2.2.0 with
libdhcp_lease_cmds.so; tests/e2e/test_control_commands6.py holds the table): result 3 ("empty")
when nothing matches. The arguments (a lease, a lease query) and their checks are lease6_args.py's;
the statistics the commands keep, lease_stats6.py's; what DHCPv4 shares, lease_cmds_common.py's.
lease6-bulk-apply is what an HA partner sends for each client transaction. Leases are listed as
Kea's memfile lists them: lease6-get-all and -get-page by address, the lookups by subnet, DUID and
hostname in the order the leases got that key (memory6.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hakea.config.model6 import Subnet6
from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRequest
from hakea.leases.json6 import TYPE_NAMES, format_ipv6, lease6_to_json
from hakea.leases.model6 import Lease6, LeaseType
from hakea.leases.store import LeaseStoreError
from hakea.leases.store6 import LeaseStore6
from hakea.server import lease_cmds_common as common
from hakea.server import lease_stats6
from hakea.server.lease6_args import LeaseQuery, find, lease_from_args, parse_query
from hakea.server.lease_cmds_common import EMPTY, U32, Args, LeaseAnswers
from hakea.server.stats import Statistics

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
ERROR = envelope.CONTROL_RESULT_ERROR
NOT_FOUND = "lease not found"  # lease6-bulk-apply's error-message for a lease to delete that is not there
_found = _ANSWERS.leases


def _what(lease: Lease6) -> str:
    """lease6-add's name for the lease: Kea calls every non-IA_NA lease a prefix."""
    if lease.type == LeaseType.NA:
        return f"address {format_ipv6(lease.address)}"
    return f"prefix {format_ipv6(lease.address)}/{lease.prefix_len}"


def _held(store: LeaseStore6, address: int) -> Lease6 | None:
    """The lease at `address`, whatever its type (an address holds one: store6.py)."""
    for kind in LeaseType:
        lease = store.get(kind, address)
        if lease is not None:
            return lease
    return None


def add_or_update(
    store: LeaseStore6, lease: Lease6, force: bool, stats: Statistics | None, now: float
) -> dict[str, Any] | None:
    """lease6-update (and a "leases" entry of lease6-bulk-apply, with force): replace the lease
    of its type at its address, or add it with force; None when there is none and no force. Kea's
    statistics follow (lease_stats6)."""
    held = _held(store, lease.address)
    answer = _ANSWERS.update(store, lease, force)
    if answer is None or stats is None:
        return answer
    if held is not None and held.type == lease.type:
        lease_stats6.updated(stats, held, lease, now)
    else:
        if held is not None:  # hakea replaces a lease of another type (Kea keeps it: store6.py)
            lease_stats6.deleted(stats, held, now)
        lease_stats6.added(stats, lease, now)
    return answer


def register(daemon: Dhcp6Daemon, *, enabled: bool) -> None:
    if not enabled:
        common.install(daemon.registry, NAMES, None)
        return

    def store() -> LeaseStore6:
        assert daemon.store is not None
        return daemon.store

    def lease6_add(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args is None:
            raise CommandError("no parameters specified for the command")
        now = time.time()
        lease = lease_from_args(args, daemon.config.subnets, now)
        _ANSWERS.add(store(), lease)
        lease_stats6.added(daemon.stats, lease, now)
        return envelope.success(f"Lease for {_what(lease)}, subnet-id {lease.subnet_id} added.")

    def lease6_update(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args is None:
            raise CommandError("no parameters specified for lease6-update command")
        now = time.time()
        lease = lease_from_args(args, daemon.config.subnets, now)
        answer = add_or_update(store(), lease, args.get("force-create", False), daemon.stats, now)
        if answer is None:
            raise common.update_failed(format_ipv6(lease.address))
        return answer

    def lease6_get(args: Args, req: CommandRequest) -> dict[str, Any]:
        return _ANSWERS.lease(find(store(), parse_query(args, "Query")))

    def lease6_del(args: Args, req: CommandRequest) -> dict[str, Any]:
        lease = find(store(), parse_query(args, "Delete"))
        done = lease is not None and store().delete(lease.type, lease.address)
        if lease is not None and done:
            lease_stats6.deleted(daemon.stats, lease, time.time())
        return _ANSWERS.deleted(done)

    def lease6_get_all(args: Args, req: CommandRequest) -> dict[str, Any]:
        ids = common.subnet_ids(args)
        if ids is None:
            return _found(list(store().all()))
        # Subnet by subnet as asked (repeats too); Kea reads each id as 32 bits (-1 is 4294967295).
        return _found([le for i in ids for le in store().get_by_subnet(i & U32)])

    def lease6_get_page(args: Args, req: CommandRequest) -> dict[str, Any]:
        if args is None:
            raise CommandError("no parameters specified for the lease6-get-page command")
        after = common.page_start(common.string_arg(args, "from"), 6)
        limit = common.page_size(common.number_arg(args, "limit"))
        return _ANSWERS.page(store().page(after, limit))

    def lease6_get_by_duid(args: Args, req: CommandRequest) -> dict[str, Any]:
        return _found(store().get_by_duid(common.duid(common.by_key(args, "duid"))))

    def lease6_get_by_hostname(args: Args, req: CommandRequest) -> dict[str, Any]:
        return _found(store().get_by_hostname(common.hostname_arg(args)))

    def lease6_wipe(args: Args, req: CommandRequest) -> dict[str, Any]:
        ids = common.wiped_subnets(args, (s.id for s in daemon.config.subnets))
        now = time.time()
        count = 0
        for subnet_id in ids:
            count += store().wipe(subnet_id)
            lease_stats6.wiped(daemon.stats, subnet_id, now)
        return _ANSWERS.wiped(count, ids)

    def lease6_bulk_apply(args: Args, req: CommandRequest) -> dict[str, Any]:
        return bulk_apply(store(), daemon.config.subnets, args, time.time(), daemon.stats)

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


def _failure(kind: str, address: int, duid: bytes, result: int, message: str) -> dict[str, Any]:
    """A failed-leases / failed-deleted-leases entry as Kea 2.2 writes it: the address, or for
    "::" the DUID when the lease has one; keys in its (alphabetical) order."""
    entry: dict[str, Any] = {}
    if not address and duid:
        entry["duid"] = duid.hex(":")
    entry["error-message"] = message
    if address:
        entry["ip-address"] = format_ipv6(address)
    entry["result"] = result
    entry["type"] = kind
    return entry


def _entries(args: dict[str, Any], key: str) -> list[Any]:
    entries = args.get(key, [])
    if not isinstance(entries, list):
        raise CommandError(f"the '{key}' parameter must be a list")
    return entries


def bulk_apply(
    store: LeaseStore6,
    subnets: Iterable[Subnet6],
    args: Args,
    now: float,
    stats: Statistics | None = None,
) -> dict[str, Any]:
    """lease6-bulk-apply as Kea 2.2 answers it (seen against kea-dhcp6 2.2.0, docs/kea-interop.md):
    every entry is parsed first -- "deleted-leases" as lease6-del's arguments, their leases looked
    up -- and one bad entry fails the whole command (result 1, nothing applied); then the leases
    to delete are deleted -- one named by address and not there is listed in
    "failed-deleted-leases" with result 3, one named by DUID and not found is skipped -- and
    "leases" added or replaced (a store failure is listed in "failed-leases"). Result 3 when
    nothing was applied."""
    if args is None:
        raise CommandError(common.NO_ARGUMENTS)
    if "deleted-leases" not in args and "leases" not in args:
        raise CommandError("neither 'deleted-leases' nor 'leases' parameter specified")
    deleted, leases = _entries(args, "deleted-leases"), _entries(args, "leases")
    subnets = tuple(subnets)
    doomed: list[tuple[LeaseQuery, Lease6 | None]] = []
    for entry in deleted:
        query = parse_query(entry, "Delete")
        doomed.append((query, find(store, query)))
    fresh = [lease_from_args(entry, subnets, now) for entry in leases]
    applied = 0
    failed_deleted: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for query, lease in doomed:
        if lease is None:
            if query.address is not None:
                failed_deleted.append(_failure(query.type_name, query.address, b"", EMPTY, NOT_FOUND))
            continue
        try:
            if not store.delete(lease.type, lease.address):
                failed_deleted.append(_failure(query.type_name, lease.address, lease.duid, EMPTY, NOT_FOUND))
                continue
        except LeaseStoreError as exc:
            failed_deleted.append(_failure(query.type_name, lease.address, lease.duid, ERROR, str(exc)))
            continue
        applied += 1
        if stats is not None:
            lease_stats6.deleted(stats, lease, now)
    for lease in fresh:
        try:
            add_or_update(store, lease, True, stats, now)
            applied += 1
        except LeaseStoreError as exc:
            failed.append(_failure(TYPE_NAMES[lease.type], lease.address, lease.duid, ERROR, str(exc)))
    body: dict[str, Any] = {}
    if failed_deleted:
        body["failed-deleted-leases"] = failed_deleted
    if failed:
        body["failed-leases"] = failed
    text = f"Bulk apply of {applied} IPv6 leases completed."
    return envelope.answer(0 if applied else EMPTY, text, body or None)


__all__ = ["NAMES", "TYPE_NAMES", "add_or_update", "bulk_apply", "lease_from_args", "register"]
