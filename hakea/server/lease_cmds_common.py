"""Plumbing shared by Kea's lease_cmds for both families (lease_cmds4.py, lease_cmds6.py).

The argument checks and lease parsing differ between the families (Kea's lease4 and lease6
parsers have different texts); what is here is the same in both but for "IPv4" / "IPv6" in the
answer texts: registration, the answers of a lookup, a page, an add, an update and a delete, and
the checks Kea's lease4/6-get-page and lease4/6-get-by-* share. Texts are Kea 2.2's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from hakea.control import envelope
from hakea.control.registry import CommandError, CommandRegistry, SyncHandler

__all__ = [
    "EMPTY",
    "U32",
    "Args",
    "LeaseAnswers",
    "install",
    "page_from",
    "page_limit",
    "string_arg",
]

Args = dict[str, Any] | None
EMPTY = envelope.CONTROL_RESULT_EMPTY
U32 = 0xFFFFFFFF

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


def page_limit(args: Mapping[str, Any]) -> int:
    """lease*-get-page's "limit": an integer (the family checks its range)."""
    limit = args.get("limit")
    if limit is None:
        raise CommandError("'limit' parameter not specified")
    if type(limit) is not int:  # JSON true/false are not numbers for Kea
        raise CommandError("'limit' parameter must be a number")
    return limit
