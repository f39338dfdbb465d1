"""MemoryLeaseStore6: the LeaseStore6 protocol held entirely in memory.

The indexes, the expiry heap, paging, ownership of the stored records and the bulk paths are
memory_base.py's (its docstring has the design); this module adds what is DHCPv6's:
- the lease type in the key: get/update/delete(type, address) see the lease at an address only if
  it has that type (one lease per address, whatever its type: see store6.py);
- the index by DUID. A client holds a handful of leases, so get_by_duid narrows by iaid / type /
  subnet by scanning its bucket (declined leases all carry DUID 00, Kea's "empty" DUID, and share
  one bucket);
- Kea's order in the lookups by DUID, hostname and subnet (lease6-get-by-duid, -get-by-hostname,
  -get-all by subnets): the order the leases got that key, as Kea 2.2's memfile lists them (its
  non-unique indexes; seen on kea-dhcp6 2.2.0: a lease updated with the same key keeps its place,
  one whose key changed goes last). Each index bucket is a dict, in insertion order; _reindex
  re-inserts a lease only where its key changed.
"""

from __future__ import annotations

from hakea.leases.memory_base import RECLAIMED, MemoryLeaseStoreBase, bucket_remove
from hakea.leases.model6 import Lease6, LeaseType

__all__ = ["MemoryLeaseStore6", "copy_lease6"]

# What was indexed for one stored lease: (expire or -1 when already reclaimed, duid, hostname_key,
# subnet_id).
_Keys = tuple[int, bytes, str, int]


def copy_lease6(lease: Lease6) -> Lease6:
    """A shallow copy (user_context is shared); positional construction, as memory4.copy_lease."""
    return Lease6(
        lease.address,
        lease.duid,
        lease.iaid,
        lease.valid_lft,
        lease.preferred_lft,
        lease.cltt,
        lease.subnet_id,
        lease.type,
        lease.prefix_len,
        lease.fqdn_fwd,
        lease.fqdn_rev,
        lease.hostname,
        lease.hwaddr,
        lease.hwtype,
        lease.hwaddr_source,
        lease.state,
        lease.user_context,
    )


class MemoryLeaseStore6(MemoryLeaseStoreBase[Lease6, _Keys]):
    """LeaseStore6 in memory. Not thread-safe: the daemon calls it from its event loop only."""

    def __init__(self) -> None:
        super().__init__(copy_lease6)
        self._by_duid: dict[bytes, dict[int, Lease6]] = {}

    # ---- lookups -----------------------------------------------------------------------------

    def get(self, type: LeaseType, address: int) -> Lease6 | None:
        lease = self._by_address.get(address)
        return lease if lease is not None and lease.type == type else None

    def get_by_duid(
        self,
        duid: bytes,
        iaid: int | None = None,
        type: LeaseType | None = None,
        subnet_id: int | None = None,
    ) -> list[Lease6]:
        bucket = self._by_duid.get(duid)
        if not bucket:
            return []
        return [
            lease
            for lease in bucket.values()
            if (iaid is None or lease.iaid == iaid)
            and (type is None or lease.type == type)
            and (subnet_id is None or lease.subnet_id == subnet_id)
        ]

    def get_by_hostname(self, hostname: str) -> list[Lease6]:
        # Lower-cased as the base's; in Kea's order (module docstring), not the base's address order.
        bucket = self._by_hostname.get(hostname.lower()) if hostname else None
        return list(bucket.values()) if bucket else []

    def get_by_subnet(self, subnet_id: int) -> list[Lease6]:
        bucket = self._by_subnet.get(subnet_id)
        return list(bucket.values()) if bucket else []

    # ---- changes -----------------------------------------------------------------------------

    def update(self, lease: Lease6) -> bool:
        stored = self._by_address.get(lease.address)
        if stored is None or stored.type != lease.type:
            return False
        self._persist(lease)
        copy = self._copy  # see MemoryLeaseStoreBase.__init__
        self._store(copy(lease))
        return True

    def delete(self, type: LeaseType, address: int) -> bool:
        lease = self._by_address.get(address)
        if lease is None or lease.type != type:
            return False
        self._persist_deletes([lease])
        self._remove(address)
        return True

    # ---- indexes. Hot path (every add/update): the dict updates are inlined, the hostname and
    # subnet ones too although memory4 and memory6 both have them (a shared helper would cost a
    # call per index per change). -----------------------------------------------------------------

    def _index(self, lease: Lease6) -> int:
        address = lease.address
        duid = lease.duid
        hostname = lease.hostname
        hostname_key = hostname.lower() if hostname else ""
        subnet_id = lease.subnet_id
        expiry_key = lease.cltt + lease.valid_lft if lease.state != RECLAIMED else -1
        self._keys[address] = (expiry_key, duid, hostname_key, subnet_id)
        if duid:
            bucket = self._by_duid.get(duid)
            if bucket is None:
                self._by_duid[duid] = {address: lease}
            else:
                bucket[address] = lease
        if hostname_key:
            names = self._by_hostname.get(hostname_key)
            if names is None:
                self._by_hostname[hostname_key] = {address: lease}
            else:
                names[address] = lease
        subnet = self._by_subnet.get(subnet_id)
        if subnet is None:
            self._by_subnet[subnet_id] = {address: lease}
        else:
            subnet[address] = lease
        return expiry_key

    def _reindex(self, lease: Lease6, old_keys: _Keys) -> int:
        # Same key: the lease replaces itself in place (a dict keeps a present key's position).
        address = lease.address
        _, old_duid, old_hostname_key, old_subnet_id = old_keys
        duid = lease.duid
        hostname = lease.hostname
        hostname_key = hostname.lower() if hostname else ""
        subnet_id = lease.subnet_id
        expiry_key = lease.cltt + lease.valid_lft if lease.state != RECLAIMED else -1
        self._keys[address] = (expiry_key, duid, hostname_key, subnet_id)
        if duid != old_duid:
            if old_duid:
                bucket_remove(self._by_duid, old_duid, address)
            if duid:
                self._by_duid.setdefault(duid, {})[address] = lease
        elif duid:
            self._by_duid[duid][address] = lease
        if hostname_key != old_hostname_key:
            if old_hostname_key:
                bucket_remove(self._by_hostname, old_hostname_key, address)
            if hostname_key:
                self._by_hostname.setdefault(hostname_key, {})[address] = lease
        elif hostname_key:
            self._by_hostname[hostname_key][address] = lease
        if subnet_id != old_subnet_id:
            bucket_remove(self._by_subnet, old_subnet_id, address)
            self._by_subnet.setdefault(subnet_id, {})[address] = lease
        else:
            self._by_subnet[subnet_id][address] = lease
        return expiry_key

    def _unindex(self, address: int, keys: _Keys) -> None:
        _, duid, hostname_key, subnet_id = keys
        if duid:
            bucket_remove(self._by_duid, duid, address)
        if hostname_key:
            names = self._by_hostname.get(hostname_key)
            if names is not None:
                names.pop(address, None)
                if not names:
                    del self._by_hostname[hostname_key]
        subnet = self._by_subnet.get(subnet_id)
        if subnet is not None:
            subnet.pop(address, None)
            if not subnet:
                del self._by_subnet[subnet_id]
