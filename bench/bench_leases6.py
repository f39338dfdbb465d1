"""Lease6 store benchmark (small): row codec, add/renew rates, page of 10,000, expiry query, client
lookup, file replay and compaction.

Run: `.venv/bin/python bench/bench_leases6.py [--leases 100000]` (BENCH_DIR=... for another disk).
Figures are wall and CPU time of this process (bench machines are shared: CPU is the steadier one).
One lease in ten is an IA_PD /56, the rest IA_NA addresses, each client an address + a prefix.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hakea.leases.csv6 import format_row, parse_row
from hakea.leases.memfile6 import MemfileLeaseStore6
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model6 import Lease6, LeaseType

NET = 0x20010DB8000300000000000000000000  # 2001:db8:3::
PD_NET = 0x20010DB8000800000000000000000000  # 2001:db8:8::, /56s
NOW = 1_800_000_000


def make_leases(n: int, seed: int = 1) -> list[Lease6]:
    """n leases in shuffled order (the engine allocates all over a pool)."""
    out = []
    for i in range(n):
        duid = b"\x00\x03\x00\x01\x02" + i.to_bytes(5, "big")
        if i % 10 == 9:
            out.append(Lease6(PD_NET + (i << 72), duid, 2, 4000, 3000, NOW + i % 3600, 1, LeaseType.PD, 56))
        else:
            out.append(Lease6(NET + i, duid, 1, 4000, 3000, NOW + i % 3600, 1))
    random.Random(seed).shuffle(out)
    return out


class Timer:
    def __enter__(self) -> Timer:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def per_op(label: str, count: int, t: Timer) -> None:
    print(
        f"{label:42s} {count / t.wall:>9,.0f}/s  {t.wall / count * 1e6:7.1f} us/op wall"
        f"  {t.cpu / count * 1e6:7.1f} us/op cpu"
    )


def total(label: str, t: Timer) -> None:
    print(f"{label:42s} {t.wall * 1e3:9.1f} ms wall  {t.cpu * 1e3:9.1f} ms cpu")


def bench_rows() -> None:
    sample = make_leases(1)[0]
    line = format_row(sample).rstrip("\n")
    k = 100_000
    with Timer() as t:
        for _ in range(k):
            format_row(sample)
    per_op("csv6.format_row", k, t)
    with Timer() as t:
        for _ in range(k):
            parse_row(line)
    per_op("csv6.parse_row", k, t)


def bench_store(label: str, store: MemoryLeaseStore6, leases: list[Lease6]) -> None:
    with Timer() as t:
        for lease in leases:
            store.add(lease)
    per_op(f"{label} add", len(leases), t)
    renewals = [dataclasses.replace(x, cltt=x.cltt + 1800) for x in leases[: len(leases) // 2]]
    with Timer() as t:
        for lease in renewals:
            store.update(lease)
    per_op(f"{label} update (renewal)", len(renewals), t)


def bench_queries(store: MemoryLeaseStore6, leases: list[Lease6]) -> None:
    rng = random.Random(5)
    starts = [rng.choice(leases).address for _ in range(21)]
    with Timer() as t:
        for start in starts:
            store.page(start, 10_000)
    total("page(after, 10000) x21", t)
    with Timer() as t:
        after: int | None = None
        seen = 0
        while page := store.page(after, 10_000):
            seen += len(page)
            after = page[-1].address
    assert seen == store.count()
    total(f"walk all {seen:,} in pages of 10000", t)
    with Timer() as t:
        for _ in range(21):
            store.expired(NOW + 4000 + 1800, 100)
    total("expired(now, 100) x21", t)
    clients = [rng.choice(leases) for _ in range(10_000)]
    with Timer() as t:
        for x in clients:
            store.get_by_duid(x.duid, x.iaid, x.type, 1)
    per_op("get_by_duid(duid, iaid, type, subnet)", len(clients), t)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leases", type=int, default=100_000)
    n: int = parser.parse_args().leases
    leases = make_leases(n)

    bench_rows()
    memory = MemoryLeaseStore6()
    bench_store("MemoryLeaseStore6", memory, leases)
    bench_queries(memory, leases)
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as directory:
        path = os.path.join(directory, "leases6.csv")
        memfile = MemfileLeaseStore6(path)
        bench_store("MemfileLeaseStore6", memfile, leases)
        memfile.close()
        with Timer() as t:
            reloaded = MemfileLeaseStore6(path)
        assert reloaded.count() == n
        total(f"open + replay {n + n // 2:,} rows ({os.path.getsize(path) / 1e6:.1f} MB)", t)
        with Timer() as t:
            reloaded.compact()
        total(f"compact {n:,} leases", t)
        reloaded.close()


if __name__ == "__main__":
    main()
