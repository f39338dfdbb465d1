"""What bench_path4.py (DHCPv4) and bench_path6.py (DHCPv6) share: the whole packet path of a daemon
in one process, timed in CPU µs per exchange.

A family script describes its daemon (`build`), perfdhcp's first queries (DISCOVER / Solicit), how
the second (REQUEST) follows from the first and its answer, and calls `main(PATH)`. Here: the stub
socket, the Kea configuration file from bench4.py / bench6.py's, the two timed phases (the first
queries, their replies captured; then the second queries), cProfile, the command line and the line
printed. Figures are process CPU time (time.process_time); the best of the rounds is reported.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class StubSock:
    """Stands for the DHCP socket: counts what it is given to send, and drops it."""

    def __init__(self) -> None:
        self.sent = 0

    def sendto(self, payload: bytes, addr: tuple[Any, ...]) -> int:
        self.sent += 1
        return len(payload)

    def fileno(self) -> int:
        return -1

    def close(self) -> None:
        pass


def write_config(cfg: dict[str, Any], v: int, persist: bool, workdir: str) -> str:
    """CFG (bench4/bench6's standalone configuration) with its lease file in WORKDIR, memfile persist
    as asked and no control socket (no daemon listens here), written to WORKDIR/kea.json."""
    d = cfg[f"Dhcp{v}"]
    d["lease-database"]["name"] = os.path.join(workdir, f"leases{v}.csv")
    d["lease-database"]["persist"] = persist
    del d["control-socket"]
    path = os.path.join(workdir, "kea.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


@dataclass(frozen=True)
class PathBench:
    """The part of the in-process packet-path benchmark that depends on the DHCP version."""

    v: int  # 4 or 6
    names: tuple[str, str, str]  # the first query, the second, the exchange: ("DISCOVER", "REQUEST", "DORA")
    build: Callable[[bool, str], tuple[Any, tuple[Any, ...], StubSock]]  # (persist, workdir) ->
    # (daemon, the arguments of handle_datagram after the datagram, its stub socket)
    queries: Callable[[int], list[bytes]]  # n first queries, one new client each
    follow_up: Callable[[bytes, Any], bytes]  # (first query, the daemon's reply) -> second query


def timed(handle: Callable[..., Any], datagrams: list[bytes], extra: tuple[Any, ...],
          prof: cProfile.Profile | None) -> float:
    """CPU seconds of handle(datagram, *extra) for each of DATAGRAMS (under PROF if given)."""
    if prof:
        prof.enable()
    t0 = time.process_time()
    for d in datagrams:
        handle(d, *extra)
    took = time.process_time() - t0
    if prof:
        prof.disable()
    return took


def run(bench: PathBench, n: int, persist: bool, profile: bool) -> tuple[float, float]:
    """CPU µs per first query and per second query, over N clients."""
    with tempfile.TemporaryDirectory(prefix=f"bench-path{bench.v}-") as workdir:
        daemon, extra, stub = bench.build(persist, workdir)
        firsts = bench.queries(n)
        handle = daemon.handle_datagram
        replies: list[Any] = []
        orig_send = daemon._send

        def capture(query, decision, s, now):  # type: ignore[no-untyped-def]
            replies.append(decision.reply)
            orig_send(query, decision, s, now)

        daemon._send = capture
        gc.collect()
        prof = cProfile.Profile() if profile else None
        t_first = timed(handle, firsts, extra, prof)
        assert len(replies) == n, (len(replies), n)
        seconds = [bench.follow_up(q, a) for q, a in zip(firsts, replies, strict=True)]
        daemon._send = orig_send
        stub.sent = 0
        t_second = timed(handle, seconds, extra, prof)
        if prof:
            stats = pstats.Stats(prof).sort_stats(os.environ.get("SORT", "tottime"))
            stats.print_stats(int(os.environ.get("TOP", "25")))
        assert stub.sent == n, (stub.sent, n)
        assert daemon.store is not None and daemon.store.count() == n, daemon.store
        daemon.store.close()
        return t_first / n * 1e6, t_second / n * 1e6


def main(bench: PathBench) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--persist", action="store_true", help=f"memfile persist on (as in bench{bench.v}.py)")
    ap.add_argument("--profile", action="store_true", help="cProfile one round")
    args = ap.parse_args()
    if args.profile:
        run(bench, args.n, args.persist, True)
        return
    figures = [run(bench, args.n, args.persist, False) for _ in range(args.rounds)]
    first = min(f[0] for f in figures)
    second = min(f[1] for f in figures)
    q1, q2, exchange = bench.names
    print(f"persist={args.persist} n={args.n}: {q1} {first:.1f} µs, {q2} {second:.1f} µs, "
          f"{exchange} {first + second:.1f} µs CPU -> {1e6 / (first + second):,.0f} {exchange}/s per core "
          f"(best of {args.rounds})")
