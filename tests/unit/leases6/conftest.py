"""Fixtures shared by the lease6 store tests: every store kind runs the same protocol tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hakea.leases.memfile6 import MemfileLeaseStore6
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model import LeaseState
from hakea.leases.model6 import Lease6, LeaseType
from hakea.leases.store6 import LeaseStore6

NET = 0x20010DB8000300000000000000000000  # 2001:db8:3::
PD_NET = 0x20010DB8000800000000000000000000  # 2001:db8:8:: (delegated /56s: host << 72)
DATA = Path(__file__).parent / "data"

NA = LeaseType.NA
PD = LeaseType.PD


def lease(
    host: int,
    *,
    duid: int | None = None,
    iaid: int = 1,
    cltt: int = 1_000_000,
    valid: int = 3600,
    preferred: int = 1800,
    subnet: int = 1,
    hostname: str = "",
    state: LeaseState = LeaseState.DEFAULT,
    type: LeaseType = NA,
    hw: bytes = b"",
) -> Lease6:
    """An IA_NA lease for NET + host (IA_PD: the /56 number `host` of PD_NET); DUID 00:01:xx:xx:xx:xx
    from `duid` (default: the host number)."""
    d = host if duid is None else duid
    pd = type == PD
    return Lease6(
        address=PD_NET + (host << 72) if pd else NET + host,
        duid=b"\x00\x01" + d.to_bytes(4, "big"),
        iaid=iaid,
        valid_lft=valid,
        preferred_lft=preferred,
        cltt=cltt,
        subnet_id=subnet,
        type=type,
        prefix_len=56 if pd else 128,
        hostname=hostname,
        hwaddr=hw,
        state=state,
    )


StoreFactory = Callable[[], LeaseStore6]


@pytest.fixture(params=["memory", "memfile-nopersist", "memfile"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of empty stores of one kind (memfile: a fresh file per store)."""
    created: list[LeaseStore6] = []
    counter = iter(range(1_000_000))

    def factory() -> LeaseStore6:
        store: LeaseStore6
        if request.param == "memory":
            store = MemoryLeaseStore6()
        else:
            path = tmp_path / f"leases6-{next(counter)}.csv"
            store = MemfileLeaseStore6(path, persist=request.param == "memfile")
        created.append(store)
        return store

    yield factory
    for store in created:
        if request.param == "memfile":
            # Every protocol test doubles as a journal test: the file must reload to the same state.
            assert isinstance(store, MemfileLeaseStore6)
            reopened = MemfileLeaseStore6(store.path)
            assert list(reopened.all()) == list(store.all())
            assert reopened.load_stats[-1].errors == 0
            reopened.close()
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> LeaseStore6:
    return make_store()
