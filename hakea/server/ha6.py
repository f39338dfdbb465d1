"""HA for the DHCPv6 daemon: hakea.server.ha_shell.HAShell with the DHCPv6 packet path.

The core runs with the DHCPv6 lease family (hakea.ha.family.V6): one lease6-bulk-apply per client
transaction, lease6-get-page for the sync, "service": ["dhcp6"].
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from hakea.config.model6 import Dhcp6Config
from hakea.dhcp6.decision6 import LeaseChange6
from hakea.dhcp6.wire import Packet6
from hakea.ha.family import V6
from hakea.ha.query_filter import QueryInfo
from hakea.ha.sync import MergeCounts, MergeOutcome, count_outcomes
from hakea.leases.model6 import Lease6
from hakea.leases.store6 import LeaseStore6
from hakea.server.ha_shell import NOT_FILTERED, HAShell, ha_config_of, request_counters

if TYPE_CHECKING:
    from hakea.server.dhcp6_daemon import Dhcp6Daemon

_REQUEST_COUNTERS = request_counters(("lease6-bulk-apply",), "lease6-get-page")


def merge_lease6(store: LeaseStore6, fetched: Lease6) -> MergeOutcome:
    """The sync's merge rule (hakea.ha.sync.merge_lease4): absent locally -> insert; fetched cltt
    newer -> replace (whatever lease held the address); otherwise keep ours. Never deletes."""
    existing = store.get(fetched.type, fetched.address)
    if existing is None:
        if not store.add(fetched):
            store.upsert(fetched)  # the address held a lease of the other type
        return MergeOutcome.INSERTED
    if existing.cltt < fetched.cltt:
        store.update(fetched)
        return MergeOutcome.UPDATED
    return MergeOutcome.SKIPPED


def merge_leases6(store: LeaseStore6, leases: Iterable[Lease6]) -> MergeCounts:
    return count_outcomes(merge_lease6(store, lease) for lease in leases)


def query_info6(query: Packet6) -> QueryInfo:
    duid = query.client_id
    label = f"duid=[{(duid or b'').hex(':') or 'no info'}], tid=0x{query.transaction_id:x}"
    return QueryInfo.v6(query.msg_type, duid, query.elapsed_time, label)


class HA6Adapter(HAShell["Dhcp6Daemon"]):
    def __init__(self, daemon: Dhcp6Daemon, config: Dhcp6Config) -> None:
        super().__init__(daemon, ha_config_of(config.hooks_libraries, "Dhcp6"), V6, _REQUEST_COUNTERS)

    def _merge(self, leases: Sequence[Lease6]) -> MergeCounts:
        assert self.daemon.store is not None
        return merge_leases6(self.daemon.store, leases)

    # ---- the packet path -----------------------------------------------------------------------

    def filter(self, query: Packet6, now: float) -> tuple[str, ...] | None:
        """The HA classes for this query (the client message inside any relays), or None when
        another server answers it."""
        # QueryInfo built positionally and without the log label (a DUID in hex): once per packet.
        info = QueryInfo(6, query.msg_type, b"", b"", 0, query.client_id or b"", query.elapsed_time)
        decision = self.core.on_query(info, now + self._clock_offset)
        if decision.actions:
            self._execute(decision.actions)
        if not decision.in_scope:
            return None
        return (decision.scope_class,) if decision.scope_class else NOT_FILTERED

    def commit(
        self, changes: Sequence[LeaseChange6], query: Packet6 | None, now: float
    ) -> asyncio.Future[bool] | None:
        """Tell the peers about a transaction's lease changes (one lease6-bulk-apply). Returns a
        future resolved when the client's answer may leave (True) or must be dropped (False);
        None: answer now."""
        updated = [c.lease for c in changes if c.kind in ("new", "updated")]
        deleted = [c.lease for c in changes if c.kind == "deleted"]
        if not updated and not deleted:
            return None
        info = query_info6(query) if query is not None else QueryInfo.v6(0, (updated or deleted)[0].duid)
        plan = self.core.on_leases_committed(updated, deleted, info, now + self._clock_offset)
        self._execute(plan.actions)
        if not plan.park:
            return None
        fut: asyncio.Future[bool] = self._event_loop().create_future()
        self._parked[plan.txn] = fut
        return fut
