"""Lease database synchronization with a peer, as a step machine, and the merge rule.

Sequence (kea-ha-behaviour.md 2.6, Kea's synchronize()):
  dhcp-disable {"max-period", "origin": "ha-partner"}
  -> lease4-get-page {"from": "start"|<last address>, "limit": sync-page-limit} until a page is
     shorter than the limit (an empty page, result 3, is fine)
  -> ha-sync-complete-notify (the partner re-enables its service on it; no dhcp-enable on success)
Errors: dhcp-disable fails -> stop, nothing else sent; a page fails -> dhcp-enable, no notify;
notify fails -> stop (no dhcp-enable); notify "unsupported" (result 2, old partner) -> dhcp-enable
as the last request (its failure fails the sync).

The procedure never touches a store: each page comes back in a SyncStep for the caller to merge
(`merge_leases4`) before it sends the next request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hakea.ha import commands
from hakea.ha.actions import Log, error, info, warn
from hakea.ha.commands import RESULT_UNSUPPORTED, Answer
from hakea.leases.model import Lease4
from hakea.leases.store import LeaseStore4

DEFAULT_REQUEST_TIMEOUT = 10.0  # Kea's TIMEOUT_DEFAULT_HTTP_CLIENT_REQUEST (10 s)


class Phase(Enum):
    DISABLE = "dhcp-disable"
    PAGES = "get-page"
    NOTIFY = "ha-sync-complete-notify"
    ENABLE = "dhcp-enable"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class SyncStep:
    request: dict[str, Any] | None  # the next command to send; None when the procedure is over
    timeout: float = DEFAULT_REQUEST_TIMEOUT
    leases: tuple[Any, ...] = ()  # a fetched page, to merge before sending `request`
    logs: tuple[Log, ...] = field(default=())

    @property
    def done(self) -> bool:
        return self.request is None


class SyncProcedure:
    """One synchronization with `peer`. Drive it: start(), then on_answer()/on_failure() per reply."""

    def __init__(
        self,
        peer: str,
        *,
        service: str,
        max_period: int | None,
        page_limit: int,
        page_timeout: float,
        lease_from_json: Callable[[Any], Any],
        lease_address: Callable[[Any], str],
        notify_server_name: str | None = None,
    ) -> None:
        if page_limit <= 0:
            raise ValueError("sync page limit must be positive")
        self.peer = peer
        self.service = service
        self.max_period = max_period
        self.page_limit = page_limit
        self.page_timeout = page_timeout
        self._from_json = lease_from_json
        self._address = lease_address
        self._notify_name = notify_server_name
        self.phase = Phase.DISABLE
        self.service_disabled = False  # the peer's service is held by us
        self.error: str = ""  # first error; empty on success
        self.leases_received = 0

    @property
    def succeeded(self) -> bool:
        return self.phase is Phase.DONE and not self.error

    def start(self) -> SyncStep:
        self.phase = Phase.DISABLE
        return SyncStep(commands.dhcp_disable(self.max_period, self.service))

    def _page(self, cursor: str | None) -> SyncStep:
        self.phase = Phase.PAGES
        return SyncStep(commands.lease_get_page(cursor, self.page_limit, self.service), self.page_timeout)

    def _enable(self, logs: list[Log], leases: tuple[Any, ...] = ()) -> SyncStep:
        self.phase = Phase.ENABLE
        return SyncStep(commands.dhcp_enable(self.service), leases=leases, logs=tuple(logs))

    def _done(self, logs: list[Log], leases: tuple[Any, ...] = ()) -> SyncStep:
        self.phase = Phase.DONE
        return SyncStep(None, leases=leases, logs=tuple(logs))

    def _fail(self, message: str) -> None:
        if not self.error:
            self.error = message

    def on_failure(self, reason: str) -> SyncStep:
        """The request could not be completed (connection refused, timeout, bad HTTP)."""
        return self._on_error(reason, communication=True)

    def on_answer(self, answer: Answer) -> SyncStep:
        if not answer.ok:
            if self.phase is Phase.NOTIFY and answer.result == RESULT_UNSUPPORTED:
                # An old partner without ha-sync-complete-notify: re-enable it the old way.
                return self._enable([])
            return self._on_error(answer.error_text(), communication=False)
        if self.phase is Phase.DISABLE:
            self.service_disabled = True
            return self._page(None)
        if self.phase is Phase.PAGES:
            return self._on_page(answer)
        if self.phase is Phase.NOTIFY:
            self.service_disabled = False
            return self._done([])
        if self.phase is Phase.ENABLE:
            self.service_disabled = False
            return self._done([])
        return self._done([])

    def _on_error(self, message: str, communication: bool) -> SyncStep:
        kind = "COMMUNICATIONS_FAILED" if communication else "FAILED"
        if self.phase is Phase.DISABLE:
            self._fail(message)
            verb = "send request to disable" if communication else "disable"
            log = error(f"HA_DHCP_DISABLE_{kind}", f"failed to {verb} DHCP service of {self.peer}: {message}")
            return self._done([log])
        if self.phase is Phase.PAGES:
            self._fail(message)
            text = (
                f"failed to communicate with {self.peer} while syncing leases: {message}"
                if communication
                else f"failed to synchronize leases with {self.peer}: {message}"
            )
            return self._enable([error(f"HA_LEASES_SYNC_{kind}", text)])
        if self.phase is Phase.NOTIFY:
            self._fail(message)
            text = (
                f"failed to send ha-sync-complete-notify to {self.peer}: {message}"
                if communication
                else f"error processing ha-sync-complete-notify command on {self.peer}: {message}"
            )
            return self._done([error(f"HA_SYNC_COMPLETE_NOTIFY_{kind}", text)])
        if self.phase is Phase.ENABLE:
            self._fail(message)
            verb = "send request to enable" if communication else "enable"
            return self._done(
                [error(f"HA_DHCP_ENABLE_{kind}", f"failed to {verb} DHCP service of {self.peer}: {message}")]
            )
        return self._done([])

    def _on_page(self, answer: Answer) -> SyncStep:
        args = answer.arguments
        if args is None and answer.result == commands.RESULT_EMPTY:
            args = {"leases": []}
        raw = args.get("leases") if isinstance(args, dict) else None
        if not isinstance(raw, list):
            return self._on_error(
                "server response does not contain leases argument or this argument is not a list",
                communication=False,
            )
        logs = [info("HA_LEASES_SYNC_LEASE_PAGE_RECEIVED", f"received {len(raw)} leases from {self.peer}")]
        leases: list[Any] = []
        cursor: str | None = None
        for item in raw:
            try:
                lease = self._from_json(item)
            except ValueError as exc:
                logs.append(
                    warn("HA_LEASE_SYNC_FAILED", f"synchronization failed for lease: {item}, reason: {exc}")
                )
                address = item.get("ip-address") if isinstance(item, dict) else None
                cursor = address if isinstance(address, str) else cursor
                continue
            leases.append(lease)
            cursor = self._address(lease)
        self.leases_received += len(leases)
        page = tuple(leases)
        if len(raw) >= self.page_limit and cursor is not None:
            step = self._page(cursor)
            return SyncStep(step.request, step.timeout, page, tuple(logs))
        self.phase = Phase.NOTIFY
        return SyncStep(
            commands.sync_complete_notify(self._notify_name, self.service), leases=page, logs=tuple(logs)
        )


# ----------------------------------------------------------------------------- merge rule


class MergeOutcome(Enum):
    INSERTED = "inserted"
    UPDATED = "updated"
    SKIPPED = "skipped"  # the local lease is as recent or newer


@dataclass(slots=True)
class MergeCounts:
    inserted: int = 0
    updated: int = 0
    skipped: int = 0


def merge_lease4(store: LeaseStore4, fetched: Lease4) -> MergeOutcome:
    """Absent locally -> insert; fetched cltt newer -> replace; otherwise keep ours. Never deletes."""
    existing = store.get(fetched.address)
    if existing is None:
        store.add(fetched)
        return MergeOutcome.INSERTED
    if existing.cltt < fetched.cltt:
        store.update(fetched)
        return MergeOutcome.UPDATED
    return MergeOutcome.SKIPPED


def count_outcomes(outcomes: Iterable[MergeOutcome]) -> MergeCounts:
    """Tally merge outcomes (of merge_lease4 here, of merge_lease6 in hakea.server.ha6)."""
    counts = MergeCounts()
    for outcome in outcomes:
        if outcome is MergeOutcome.INSERTED:
            counts.inserted += 1
        elif outcome is MergeOutcome.UPDATED:
            counts.updated += 1
        else:
            counts.skipped += 1
    return counts


def merge_leases4(store: LeaseStore4, leases: Iterable[Lease4]) -> MergeCounts:
    return count_outcomes(merge_lease4(store, lease) for lease in leases)
