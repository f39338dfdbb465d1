"""Fixtures shared by the lease store tests: every store kind runs the same protocol tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hakea.leases.memory4 import MemoryLeaseStore4
from hakea.leases.model import Lease4, LeaseState
from hakea.leases.store import LeaseStore4

NET = 0xC0000300  # 192.0.3.0


def lease(
    host: int,
    *,
    hw: int | None = None,
    client_id: bytes = b"",
    cltt: int = 1_000_000,
    valid: int = 3600,
    subnet: int = 1,
    hostname: str = "",
    state: LeaseState = LeaseState.DEFAULT,
) -> Lease4:
    """A lease for NET + host; hwaddr 02:00:00:00:xx:xx from `hw` (default: the host number)."""
    h = host if hw is None else hw
    return Lease4(
        address=NET + host,
        hwaddr=b"\x02\x00" + h.to_bytes(4, "big"),
        client_id=client_id,
        valid_lft=valid,
        cltt=cltt,
        subnet_id=subnet,
        hostname=hostname,
        state=state,
    )


StoreFactory = Callable[[], LeaseStore4]


@pytest.fixture(params=["memory", "memfile-nopersist", "memfile"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of empty stores of one kind (memfile: a fresh file per store)."""
    created: list[LeaseStore4] = []
    counter = iter(range(1_000_000))

    def factory() -> LeaseStore4:
        store: LeaseStore4
        if request.param == "memory":
            store = MemoryLeaseStore4()
        else:
            from hakea.leases.memfile4 import MemfileLeaseStore4

            path = tmp_path / f"leases4-{next(counter)}.csv"
            store = MemfileLeaseStore4(path, persist=request.param == "memfile")
        created.append(store)
        return store

    yield factory
    for store in created:
        if request.param == "memfile":
            # Every protocol test doubles as a journal test: the file must reload to the same state.
            from hakea.leases.memfile4 import MemfileLeaseStore4

            assert isinstance(store, MemfileLeaseStore4)
            reopened = MemfileLeaseStore4(store.path)
            assert list(reopened.all()) == list(store.all())
            reopened.close()
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> LeaseStore4:
    return make_store()
