"""What bench4.py (DHCPv4) and bench6.py (DHCPv6) share: the namespace lab, the servers, the drivers.

A family script describes only what differs between DHCPv4 and DHCPv6 in a `Family` (its Kea
configuration builder, perfdhcp's family flags and targets, the kernel's UDP counter, its memfile
CSV format) and calls `main(FAMILY, __doc__)`. Everything else is here, once:
  - `Lab`: bench/netlab.sh's namespaces ($LAB prefix) and a work directory, servers started in
    them and stopped by PID, HA state polling, perfdhcp runs, counters read from inside the lab;
  - `run_rate` / `run_sync`: one measured run, with each server's CPU time per exchange
    (/proc/<pid>/stat), socket-buffer drops (/proc/net/snmp or snmp6 of each namespace) and the
    servers' own receive/drop statistics (statistic-get on their control sockets);
  - `main`: the `rate`, `max`, `versus` and `sync` commands and their medians and ratios.
Every wait is bounded; the lab and the work directory are removed at exit.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HOOKS = "/usr/lib/x86_64-linux-gnu/kea/hooks"


@dataclass(frozen=True)
class Family:
    """The part of a perfdhcp benchmark that depends on the DHCP version."""

    v: int  # 4 or 6: kea-dhcpV, hakea-dhcpV, $HAKEA_DHCPV, pktV-* statistics, "dhcpV" service
    config: Callable[[str, str, str], dict[str, Any]]  # (mode, server name, work dir) -> Kea config
    perfdhcp_flags: tuple[str, ...]  # ("-4",) or ("-6", "-A", "1"): first on perfdhcp's command line
    server_address: Callable[[int], str]  # server N's DHCP address, perfdhcp's target
    load_balancing_target: str | None  # where perfdhcp sends so both servers hear (None: broadcast)
    snmp: tuple[str, str]  # (/proc file, UDP row name) holding the RcvbufErrors counter
    lease_header: str  # the memfile CSV's first line, with its newline
    lease_row: Callable[[int, int], str]  # (I, expire) -> the CSV line of a valid lease for client I
    lease_key: tuple[int, ...]  # the CSV columns naming a lease (its last row wins)
    lifetime_column: int  # the CSV column of valid_lifetime (0: the lease was deleted)
    probe_ready: bool  # standalone start: probe with perfdhcp (True) or give it 1.5 s (False)

    def count_leases(self, path: str) -> int:
        """Leases in a memfile CSV journal (with LFC's .1/.2 files): the last row per key wins,
        valid_lifetime 0 deletes."""
        last = max(*self.lease_key, self.lifetime_column)
        state: dict[tuple[str, ...], bool] = {}
        for suffix in (".2", ".1", ""):
            try:
                with open(path + suffix) as f:
                    next(f, None)
                    for line in f:
                        cols = line.split(",", last + 1)
                        if len(cols) > last:
                            state[tuple(cols[i] for i in self.lease_key)] = cols[self.lifetime_column] != "0"
            except OSError:
                continue
        return sum(state.values())

    def write_leases(self, path: str, n: int) -> None:
        """N leases in Kea 2.2's memfile CSV format, valid for an hour."""
        expire = int(time.time()) + 3600
        with open(path, "w") as f:
            f.write(self.lease_header)
            for chunk in range(0, n, 10000):
                f.write("".join(self.lease_row(i, expire) for i in range(chunk, min(n, chunk + 10000))))


def sh(*argv: str, check: bool = True, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), check=check, capture_output=True, text=True, **kw)


def loadavg() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def lease_file(work: str, name: str, v: int) -> str:
    return os.path.join(work, f"{name}-leases{v}.csv")


def control_socket(work: str, name: str) -> str:
    return os.path.join(work, f"{name}.sock")


def server_config(v: int, name: str, work: str) -> dict[str, Any]:
    """The settings both families give server NAME: persisted memfile, control socket, WARN log."""
    return {
        "lease-database": {"type": "memfile", "persist": True, "lfc-interval": 0,
                           "name": lease_file(work, name, v)},
        "control-socket": {"socket-type": "unix", "socket-name": control_socket(work, name)},
        "loggers": [{"name": f"kea-dhcp{v}", "severity": "WARN",
                     "output_options": [{"output": "stdout"}]}],
    }


def add_ha(d: dict[str, Any], mode: str, name: str) -> None:
    """Make D (a Dhcp4/Dhcp6 map) one of an HA pair in MODE: the lease_cmds and HA hooks, with
    Kea's dedicated HTTP listener and multi-threading on; the peers talk over the lab's IPv4."""
    second = "standby" if mode == "hot-standby" else "secondary"
    d["multi-threading"] = {"enable-multi-threading": True, "thread-pool-size": 2,
                            "packet-queue-size": 256}
    d["hooks-libraries"] = [
        {"library": f"{HOOKS}/libdhcp_lease_cmds.so"},
        {"library": f"{HOOKS}/libdhcp_ha.so", "parameters": {"high-availability": [{
            "this-server-name": name, "mode": mode,
            "heartbeat-delay": 1000, "max-response-delay": 3000,
            "max-ack-delay": 1000, "max-unacked-clients": 0,
            "multi-threading": {"enable-multi-threading": True, "http-dedicated-listener": True,
                                "http-listener-threads": 2, "http-client-threads": 2},
            "peers": [
                {"name": "server1", "url": "http://198.51.100.1:8001/", "role": "primary"},
                {"name": "server2", "url": "http://198.51.100.2:8001/", "role": second}]}]}}]


def server_argv(v: int, flavor: str, cfg: str) -> list[str]:
    if flavor == "kea":
        return [f"kea-dhcp{v}", "-c", cfg]
    if flavor == "base":
        return [os.environ["HAKEA_BASELINE"], "-c", cfg]
    exe = os.environ.get(f"HAKEA_DHCP{v}", os.path.join(ROOT, ".venv", "bin", f"hakea-dhcp{v}"))
    return [exe, "-c", cfg]


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of process PID (`ip netns exec` execs the server in place)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def snmp_value(text: str, row: str, field: str) -> int:
    """FIELD of ROW in /proc/net/snmp6 ("Udp6RcvbufErrors  N" per line) or /proc/net/snmp (a line
    "Udp: InDatagrams ... RcvbufErrors ..." of names, then "Udp: ..." of values)."""
    m = re.search(rf"^{row}{field}\s+(\d+)", text, re.M)
    if m:
        return int(m.group(1))
    rows = [line.split() for line in text.splitlines() if line.startswith(f"{row}:")]
    if len(rows) >= 2 and field in rows[0]:
        return int(rows[1][rows[0].index(field)])
    return 0


def perfdhcp_figures(rate: int, out: str) -> dict[str, Any]:
    """perfdhcp's achieved rate and the worse of its drop ratios (100 % if it reported none)."""
    rate_m = re.search(r"^Rate: ([\d.]+)", out, re.M)
    drops = [float(x) for x in re.findall(r"drops ratio: ([\d.]+|-?nan)", out) if "nan" not in x]
    return {"offered": rate, "achieved": float(rate_m.group(1)) if rate_m else 0.0,
            "drops": max(drops) if drops else 100.0}


class Lab:
    """bench/netlab.sh's namespaces LAB_cl, LAB_s1, LAB_s2 (LAB: $LAB, default b4 / b6), a work
    directory for configurations, lease files, sockets and logs, and the servers started there."""

    def __init__(self, family: Family) -> None:
        self.family = family
        self.prefix = os.environ.get("LAB", f"b{family.v}")
        self.work = tempfile.mkdtemp(prefix=f"bench{family.v}-{self.prefix}-")
        self.procs: list[subprocess.Popen[bytes]] = []

    def up(self) -> None:
        self.down()
        sh(os.path.join(HERE, "netlab.sh"), "up", self.prefix)

    def down(self) -> None:
        sh(os.path.join(HERE, "netlab.sh"), "down", self.prefix, check=False)

    def cleanup(self) -> None:
        for p in self.procs:
            self.stop(p)
        self.down()
        shutil.rmtree(self.work, ignore_errors=True)

    def netns(self, space: str, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", f"{self.prefix}_{space}", *argv]

    def lease_file(self, name: str) -> str:
        return lease_file(self.work, name, self.family.v)

    def start(self, flavor: str, mode: str, name: str, fresh: bool = True) -> subprocess.Popen[bytes]:
        idx = name[-1]
        cfg = os.path.join(self.work, f"{name}.json")
        with open(cfg, "w") as f:
            json.dump(self.family.config(mode, name, self.work), f, indent=1)
        if fresh:
            stem = os.path.basename(self.lease_file(name)).removesuffix(".csv")
            for leftover in os.listdir(self.work):
                if leftover.startswith(stem):
                    os.remove(os.path.join(self.work, leftover))
        lock = os.path.join(self.work, f"lock{idx}")
        os.makedirs(lock, exist_ok=True)
        env = dict(os.environ, KEA_PIDFILE_DIR=self.work, KEA_LOCKFILE_DIR=lock)
        with open(os.path.join(self.work, f"{name}.log"), "ab") as log:  # the child keeps its own copy
            p = subprocess.Popen(self.netns(f"s{idx}", *server_argv(self.family.v, flavor, cfg)),
                                 stdout=log, stderr=subprocess.STDOUT, env=env)
        self.procs.append(p)
        return p

    @staticmethod
    def stop(p: subprocess.Popen[bytes]) -> None:
        if p.poll() is None:
            p.kill()
            p.wait()

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            with open(os.path.join(self.work, f"{name}.log"), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def ha_state(self, idx: int) -> str | None:
        code = ("import json,urllib.request as u;"
                f"r=u.urlopen(u.Request('http://198.51.100.{idx}:8001/',"
                f"data=b'{{\"command\":\"ha-heartbeat\",\"service\":[\"dhcp{self.family.v}\"]}}',"
                "headers={'Content-Type':'application/json'}),timeout=1);"
                "a=json.loads(r.read());a=a[0] if isinstance(a,list) else a;"
                "print(a['arguments']['state'])")
        r = sh(*self.netns("cl", sys.executable, "-c", code), check=False, timeout=10)
        return r.stdout.strip() or None

    def wait_states(self, want: dict[int, str], seconds: float) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            if all(self.ha_state(i) == s for i, s in want.items()):
                return time.monotonic() - t0
            time.sleep(0.1)
        states = [self.ha_state(i) for i in want]
        tails = "".join(f"--- server{i} log ---\n{self.log_tail(f'server{i}')}" for i in want)
        raise SystemExit(f"timeout after {seconds:.0f} s: states {states} != {list(want.values())}\n{tails}")

    def wait_ready(self, idx: int, seconds: float = 20.0) -> None:
        """Until server IDX answers (a short perfdhcp probe, bounded), or 1.5 s without probing."""
        if not self.family.probe_ready:
            time.sleep(1.5)
            return
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            # perfdhcp stops once it has sent -n queries, without waiting for the last answer: 3.
            r = sh(*self.netns("cl", "perfdhcp", *self.family.perfdhcp_flags, "-l", "eth0", "-r", "20",
                               "-n", "3", "-R", "1", self.family.server_address(idx)),
                   check=False, timeout=10)
            if re.search(r"received packets: [1-9]", r.stdout):
                return
            time.sleep(0.2)
        raise SystemExit(f"server{idx} not answering after {seconds:.0f} s\n{self.log_tail(f'server{idx}')}")

    def perfdhcp(self, mode: str, rate: int, seconds: int, num: int | None = None) -> dict[str, Any]:
        """perfdhcp acting as a relay towards server1, or in load-balancing mode towards both."""
        argv = self.netns("cl", "perfdhcp", *self.family.perfdhcp_flags, "-r", str(rate),
                          "-R", "100000000", "-p", str(seconds), "-l", "eth0")
        if num:
            argv += ["-n", str(num)]
        if mode != "load-balancing":
            argv.append(self.family.server_address(1))
        elif self.family.load_balancing_target:
            argv.append(self.family.load_balancing_target)
        r = sh(*argv, check=False, timeout=seconds + 30)
        return perfdhcp_figures(rate, r.stdout)

    def server_counter(self, name: str, statistic: str) -> int | None:
        """The value of STATISTIC on server NAME, asked on its control socket (Kea's and hakea's)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(control_socket(self.work, name))
                s.sendall(json.dumps({"command": "statistic-get", "arguments": {"name": statistic}}).encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            return int(json.loads(data)["arguments"][statistic][0][0])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            return None

    def udp_buffer_drops(self, space: str) -> int:
        """UdpRcvbufErrors (v4) or Udp6RcvbufErrors (v6) of namespace LAB_<space>."""
        path, row = self.family.snmp
        r = sh(*self.netns(space, "cat", path), check=False, timeout=10)
        return snmp_value(r.stdout, row, "RcvbufErrors")


def run_rate(lab: Lab, flavor: str, mode: str, rate: int, seconds: int) -> dict[str, Any]:
    v = lab.family.v
    load = loadavg()
    procs = [lab.start(flavor, mode, "server1")]
    if mode != "standalone":
        procs.append(lab.start(flavor, mode, "server2"))
        lab.wait_states({1: mode, 2: mode}, 60)
    else:
        lab.wait_ready(1)
    names = [f"server{i + 1}" for i in range(len(procs))]
    try:
        before = [cpu_split(p.pid) for p in procs]
        spaces = ["cl"] + [f"s{i + 1}" for i in range(len(procs))]
        full_before = [lab.udp_buffer_drops(n) for n in spaces]
        res = lab.perfdhcp(mode, rate, seconds)
        after = [cpu_split(p.pid) for p in procs]
        # Datagrams the kernel dropped for a full socket buffer: perfdhcp's ("cl") or a server's.
        res["rcvbuf_drops"] = {n: lab.udp_buffer_drops(n) - before_n
                               for n, before_n in zip(spaces, full_before, strict=True)}
        # What each server received and dropped itself (malformed, shed from a standing queue...).
        res["server_drops"] = [lab.server_counter(n, f"pkt{v}-receive-drop") for n in names]
        res["server_received"] = [lab.server_counter(n, f"pkt{v}-received") for n in names]
    finally:
        for p in procs:
            lab.stop(p)
    res["load"] = load
    # CPU time of each server per completed exchange: the cost, independent of who got the cores.
    done = res["achieved"] * seconds
    used = [(a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before, strict=True)]
    res["cpu_us"] = [round((u + k) / done * 1e6) if done else None for u, k in used]
    res["sys_us"] = [round(k / done * 1e6) if done else None for _u, k in used]
    return res


def run_sync(lab: Lab, flavor: str, leases: int, fill: str) -> dict[str, Any]:
    mode = "hot-standby"
    load = loadavg()
    if fill == "file":
        lab.family.write_leases(lab.lease_file("server2"), leases)
        s2 = lab.start(flavor, mode, "server2", fresh=False)
    else:
        s2 = lab.start(flavor, mode, "server2")
    s1 = lab.start(flavor, mode, "server1")
    t_start = lab.wait_states({1: mode, 2: mode}, 300)
    if fill == "perfdhcp":
        lab.perfdhcp(mode, 2000, leases // 2000 + 2, num=leases)
    held = lab.family.count_leases(lab.lease_file("server2"))
    lab.stop(s1)
    lab.wait_states({2: "partner-down"}, 30)
    t0 = time.monotonic()
    s1 = lab.start(flavor, mode, "server1", fresh=True)
    took = lab.wait_states({1: mode, 2: mode}, 300)
    wall = time.monotonic() - t0
    got = lab.family.count_leases(lab.lease_file("server1"))
    lab.stop(s1)
    lab.stop(s2)
    if os.environ.get("BENCH_VERBOSE"):  # the restarted primary's HA milestones, with times
        with open(os.path.join(lab.work, "server1.log"), errors="replace") as f:
            lines = f.readlines()
        restart = max((i for i, line in enumerate(lines) if re.search("STARTED|STARTING", line)), default=0)
        milestones = r"HA_SYNC|HA_STATE_TRANSITION|HA_LEASES_SYNC|STARTED|STARTING|CONFIG_COMPLETE"
        for line in lines[max(0, restart - 2):]:
            if re.search(milestones, line):
                print("   ", line.rstrip()[:200])
    return {"flavor": flavor, "leases_on_standby": held, "leases_synced": got,
            "first_start_s": round(t_start, 1), "resync_s": round(took, 1), "wall_s": round(wall, 1),
            "load": load}


def flavors(arg: str) -> list[str]:
    if arg == "both":
        return ["kea", "hakea"] + (["base"] if os.environ.get("HAKEA_BASELINE") else [])
    return [arg]


def cmd_max(lab: Lab, args: list[str]) -> None:
    mode = args[1]
    secs = int(args[2]) if len(args) > 2 else 6
    start_rate = int(args[3]) if len(args) > 3 else 1000
    step = int(args[4]) if len(args) > 4 else 1000
    rounds = int(args[5]) if len(args) > 5 else 1
    for flavor in flavors(args[0]):
        best, rate = 0.0, start_rate
        while rate <= 40000:
            runs = [run_rate(lab, flavor, mode, rate, secs) for _ in range(rounds)]
            drops = statistics.median(r["drops"] for r in runs)
            achieved = statistics.median(r["achieved"] for r in runs)
            print(json.dumps({"flavor": flavor, "mode": mode, "offered": rate, "achieved": achieved,
                              "drops": drops, "runs": runs}), flush=True)
            if drops >= 1.0:
                break
            best, rate = achieved, rate + step
        print(f"max {flavor} {mode}: {best:.0f} exchanges/s with < 1 % drops "
              f"(median of {rounds}, steps of {step}/s)", flush=True)


def cmd_versus(lab: Lab, args: list[str]) -> None:
    mode, rate = args[0], int(args[1])
    secs = int(args[2]) if len(args) > 2 else 8
    rounds = int(args[3]) if len(args) > 3 else 3
    contenders = ["kea", "hakea"] + (["base"] if os.environ.get("HAKEA_BASELINE") else [])
    got: dict[str, list[dict[str, Any]]] = {flavor: [] for flavor in contenders}
    ratios: dict[str, list[float]] = {flavor: [] for flavor in contenders[1:]}  # each against kea
    for i in range(rounds):
        shift = i % len(contenders)  # rotate the order: no contender always runs first
        order = contenders[shift:] + contenders[:shift]
        res = {flavor: run_rate(lab, flavor, mode, rate, secs) for flavor in order}
        for flavor, r in res.items():
            got[flavor].append(r)
        print(json.dumps({"round": i + 1, **res}), flush=True)
        kea = res["kea"]["achieved"]
        for flavor, per_round in ratios.items():
            per_round.append(res[flavor]["achieved"] / kea if kea else float("inf"))
    for flavor, runs in got.items():
        print(f"{flavor:>5} {mode} {rate}/s offered: achieved median "
              f"{statistics.median(r['achieved'] for r in runs):.0f}/s, drops median "
              f"{statistics.median(r['drops'] for r in runs):.2f} % "
              f"(drops per round {[round(r['drops'], 2) for r in runs]})")
    for flavor, per_round in ratios.items():
        print(f"{flavor}/kea achieved-rate ratio ({mode}, {rate}/s offered): "
              f"median {statistics.median(per_round):.2f} over {rounds} rounds "
              f"(per round {[round(x, 2) for x in per_round]})")


def cmd_sync(lab: Lab, args: list[str]) -> None:
    leases = int(args[1])
    fill = args[2] if len(args) > 2 else "file"
    results = []
    for flavor in flavors(args[0]):
        r = run_sync(lab, flavor, leases, fill)
        results.append(r)
        print(json.dumps(r), flush=True)
        print(f"{flavor}: {r['leases_synced']} of {r['leases_on_standby']} leases synced, back to "
              f"hot-standby {r['resync_s']:.1f} s after the restart", flush=True)
    if len(results) >= 2 and results[0]["resync_s"]:
        for r in results[1:]:
            print(f"{r['flavor']}/kea resync time ratio: {r['resync_s'] / results[0]['resync_s']:.2f}")


def main(family: Family, usage: str | None) -> None:
    """The command line of bench4.py / bench6.py: rate, max, versus, sync (USAGE: the script's doc)."""
    argv = sys.argv
    if len(argv) < 3 or argv[1] not in ("rate", "max", "versus", "sync"):
        raise SystemExit(usage)
    lab = Lab(family)
    atexit.register(lab.cleanup)
    lab.up()
    cmd, args = argv[1], argv[2:]
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv[1:])}; {os.cpu_count()} CPUs, "
          f"load {loadavg():.2f}", flush=True)
    if cmd == "rate":
        flavor, mode, rate = args[0], args[1], int(args[2])
        secs = int(args[3]) if len(args) > 3 else 8
        print(json.dumps({"flavor": flavor, "mode": mode, **run_rate(lab, flavor, mode, rate, secs)}))
    elif cmd == "max":
        cmd_max(lab, args)
    elif cmd == "versus":
        cmd_versus(lab, args)
    else:
        cmd_sync(lab, args)
