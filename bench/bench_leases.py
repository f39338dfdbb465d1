"""Lease store benchmark: add/update rates, page of 10,000, expiry query, file load and compaction.

Run: `.venv/bin/python bench/bench_leases.py [--leases 100000]` (BENCH_DIR=... to put the files on
another disk). Every figure is given as wall time and as this process's CPU time: the bench
machines are shared, and on a loaded 2-core box the wall time can be 2-3x the CPU time. A/B
comparisons (os.write vs buffered write + flush) are interleaved, medians of 5.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hakea.leases.csv4 import format_row, parse_row
from hakea.leases.memfile4 import MemfileLeaseStore4
from hakea.leases.memory4 import MemoryLeaseStore4
from hakea.leases.model import Lease4

BASE = 0x0A000000  # 10.0.0.0
NOW = 1_800_000_000


def make_leases(n: int, seed: int = 1, cltt: int = NOW) -> list[Lease4]:
    """n leases on shuffled addresses (the engine allocates all over a pool, not in order)."""
    addresses = list(range(BASE, BASE + n))
    random.Random(seed).shuffle(addresses)
    return [
        Lease4(
            a,
            (0x020000000000 + i).to_bytes(6, "big"),
            b"\x01" + i.to_bytes(6, "big"),
            3600,
            cltt + i % 3600,
            1,
        )
        for i, a in enumerate(addresses)
    ]


class Timer:
    """Wall and CPU seconds of a block."""

    def __enter__(self) -> Timer:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def per_op(label: str, count: int, t: Timer) -> None:
    print(
        f"{label:40s} {count / t.wall:>9,.0f}/s  {t.wall / count * 1e6:7.1f} us/op wall"
        f"  {t.cpu / count * 1e6:7.1f} us/op cpu"
    )


def total(label: str, t: Timer, extra: str = "") -> None:
    print(f"{label:40s} {t.wall * 1e3:9.1f} ms wall  {t.cpu * 1e3:9.1f} ms cpu  {extra}")


def median_timer(runs: int, fn: Callable[[Timer], None]) -> Timer:
    timers = []
    for _ in range(runs):
        with Timer() as t:
            fn(t)
        timers.append(t)
    timers.sort(key=lambda x: x.wall)
    return timers[len(timers) // 2]


def bench_rows() -> None:
    sample = make_leases(1)[0]
    line = format_row(sample).rstrip("\n")
    k = 100_000
    with Timer() as t:
        for _ in range(k):
            format_row(sample)
    per_op("csv4.format_row", k, t)
    with Timer() as t:
        for _ in range(k):
            parse_row(line)
    per_op("csv4.parse_row", k, t)


def bench_write_methods(directory: str, rows: list[bytes]) -> None:
    """kill -9 safety needs each row in the kernel before the call returns: two ways to do it."""

    def with_os_write() -> Timer:
        path = os.path.join(directory, "w-os.csv")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        with Timer() as t:
            for row in rows:
                os.write(fd, row)
        os.close(fd)
        os.unlink(path)
        return t

    def with_buffered_flush() -> Timer:
        path = os.path.join(directory, "w-buf.csv")
        with open(path, "ab") as f, Timer() as t:
            for row in rows:
                f.write(row)
                f.flush()
        os.unlink(path)
        return t

    a, b = [], []
    for _ in range(5):  # interleaved
        a.append(with_os_write())
        b.append(with_buffered_flush())
    a.sort(key=lambda x: x.wall)
    b.sort(key=lambda x: x.wall)
    per_op("row write: os.write on O_APPEND fd", len(rows), a[2])
    per_op("row write: buffered write + flush", len(rows), b[2])


def bench_store(label: str, store: MemoryLeaseStore4, n: int) -> None:
    leases = make_leases(n)
    with Timer() as t:
        for lease in leases:
            store.add(lease)
    per_op(f"{label} add", n, t)
    renewals = [
        Lease4(x.address, x.hwaddr, x.client_id, x.valid_lft, x.cltt + 1800, x.subnet_id)
        for x in leases[: n // 2]
    ]
    with Timer() as t:
        for lease in renewals:
            store.update(lease)
    per_op(f"{label} update (renewal)", len(renewals), t)


def bench_queries(store: MemoryLeaseStore4, n: int) -> None:
    rng = random.Random(5)

    def one_page(t: Timer) -> None:
        page = store.page(BASE + rng.randrange(0, max(1, n - 10_000)), 10_000)
        assert len(page) == 10_000

    total(f"page(after, 10000) of {n:,}", median_timer(21, one_page), "(median of 21)")

    def walk(t: Timer) -> None:
        after: int | None = None
        seen = 0
        while page := store.page(after, 10_000):
            seen += len(page)
            after = page[-1].address
        assert seen == store.count()

    total(f"walk all {n:,} in pages of 10000", median_timer(3, walk))

    def expired(t: Timer) -> None:
        assert len(store.expired(NOW + 3600 + 1800, 100)) == 100

    total("expired(now, 100)", median_timer(21, expired), "(median of 21)")
    lease = store.page(None, 1)[0]
    with Timer() as t:
        for _ in range(10_000):
            store.get_by_hwaddr(lease.hwaddr)
    per_op("get_by_hwaddr", 10_000, t)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leases", type=int, default=100_000)
    parser.add_argument("--fsync-ops", type=int, default=300)
    args = parser.parse_args()
    n: int = args.leases

    bench_rows()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as directory:
        bench_write_methods(directory, [format_row(x).encode() for x in make_leases(50_000)])
        memory = MemoryLeaseStore4()
        bench_store("MemoryLeaseStore4", memory, n)
        bench_queries(memory, n)

        path = os.path.join(directory, "leases4.csv")
        memfile = MemfileLeaseStore4(path)
        bench_store("MemfileLeaseStore4", memfile, n)
        memfile.close()
        rows = n + n // 2
        with Timer() as t:
            reloaded = MemfileLeaseStore4(path)
        assert reloaded.count() == n
        total(f"open + replay {rows:,} rows", t, f"({os.path.getsize(path) / 1e6:.1f} MB)")
        with Timer() as t:
            reloaded.compact()
        total(f"compact {n:,} leases", t)
        reloaded.close()
        with Timer() as t:
            MemfileLeaseStore4(path).close()
        total(f"open {n:,} rows (compacted file)", t)

        synced = MemfileLeaseStore4(os.path.join(directory, "synced.csv"), fsync=True)
        leases = make_leases(args.fsync_ops, seed=9)
        with Timer() as t:
            for lease in leases:
                synced.add(lease)
        per_op("MemfileLeaseStore4(fsync=True) add", args.fsync_ops, t)
        synced.close()


if __name__ == "__main__":
    main()
