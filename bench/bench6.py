#!/usr/bin/env python3
"""Side-by-side DHCPv6 benchmark of Kea 2.2 and hakea with perfdhcp -6, in network namespaces.

bench4.py's twin for DHCPv6 (issue 5: "at least Kea 2.2's kea-dhcp6 Solicit-Advertise-Request-Reply
rate (perfdhcp -6) side by side in one run, standalone and as a hot-standby pair").

Usage (as root; needs Debian's kea-dhcp6-server, kea-common, kea-admin for perfdhcp):
  bench6.py rate   FLAVOR MODE RATE [SECONDS]      one run: offered/achieved rate and drops
  bench6.py max    FLAVOR MODE [SECONDS] [START] [STEP] [ROUNDS]
                                                   highest rate whose median drops over ROUNDS
                                                   runs stay < 1 % (START, START+STEP, ...)
  bench6.py versus MODE RATE [SECONDS] [ROUNDS]    kea and hakea in turn (order alternates per
                                                   round), same settings; medians and ratios
  bench6.py sync   FLAVOR LEASES                   time a hot-standby resync of LEASES leases:
                                                   restart the primary empty while the standby
                                                   holds them, until both are hot-standby again
FLAVOR: kea | hakea | base | both (sync and max only: kea then hakea).
MODE: standalone | hot-standby | load-balancing.

hakea is started as $HAKEA_DHCP6 (default: <repo>/.venv/bin/hakea-dhcp6) with the very same Kea
configuration file as Kea ("server-id" LL with "persist": false, so neither writes a DUID file).
With $HAKEA_BASELINE set (another hakea-dhcp6, e.g. an older version) "base" runs it, and
`versus` runs it too as a third contender, for before/after figures.

The lab is bench/netlab.sh's (namespaces prefixed with $LAB, default "b6", removed at exit): the
client namespace holds 2001:db8:1::10, server N 2001:db8:1::N, all on one bridge. perfdhcp -6 runs
as a relay (-A 1: every Solicit and Request is wrapped in a Relay-forw, answered with a Relay-repl
to perfdhcp's port 547) and sends to server1's unicast address 2001:db8:1::1 (the servers listen
on "eth0/2001:db8:1::N"); in load-balancing mode it sends to All_DHCP_Relay_Agents_and_Servers
(ff02::1:2) so both servers see every query. Every run is bounded (perfdhcp -p SECONDS, subprocess
timeouts, state waits with deadlines); servers are stopped by PID. Each result carries the 1-minute
load average before the run and "cpu_us", each server's CPU time (user + system) per exchange
perfdhcp reports as completed: the machine is shared, compare figures from the same invocation only.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LAB = os.environ.get("LAB", "b6")
HOOKS = "/usr/lib/x86_64-linux-gnu/kea/hooks"
WORK = tempfile.mkdtemp(prefix=f"bench6-{LAB}-")
PROCS: list[subprocess.Popen] = []
LEASE_HEADER = ("address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,"
                "fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source\n")
PREFIX = "2001:db8:1::"


def sh(*argv: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), check=check, capture_output=True, text=True, **kw)


def lab_up() -> None:
    lab_down()
    sh(os.path.join(HERE, "netlab.sh"), "up", LAB)


def lab_down() -> None:
    sh(os.path.join(HERE, "netlab.sh"), "down", LAB, check=False)


def cleanup() -> None:
    for p in PROCS:
        if p.poll() is None:
            p.kill()
            p.wait()
    lab_down()
    shutil.rmtree(WORK, ignore_errors=True)


def loadavg() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def config(mode: str, name: str) -> dict:
    """A Kea 2.2 DHCPv6 configuration for server NAME (server1/server2) in MODE."""
    idx = name[-1]
    # Pool well away from the servers' and perfdhcp's own addresses (::1 - ::10).
    subnet = {"id": 1, "subnet": f"{PREFIX}/64", "interface": "eth0",
              "pools": [{"pool": f"{PREFIX}1:0 - {PREFIX}ffff:ffff"}]}
    d: dict = {
        "interfaces-config": {"interfaces": [f"eth0/{PREFIX}{idx}"]},
        "server-id": {"type": "LL", "htype": 1, "identifier": f"02000000000{idx}", "persist": False},
        "lease-database": {"type": "memfile", "persist": True, "lfc-interval": 0,
                           "name": lease_file(name)},
        "control-socket": {"socket-type": "unix", "socket-name": os.path.join(WORK, f"{name}.sock")},
        "preferred-lifetime": 3000, "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000,
        "subnet6": [subnet],
        "loggers": [{"name": "kea-dhcp6", "severity": "WARN",
                     "output_options": [{"output": "stdout"}]}],
    }
    if mode == "standalone":
        return {"Dhcp6": d}
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
    if mode == "hot-standby":
        subnet["pools"][0]["client-class"] = "HA_server1"
    else:
        subnet["pools"] = [
            {"pool": f"{PREFIX}1:0 - {PREFIX}7fff:ffff", "client-class": "HA_server1"},
            {"pool": f"{PREFIX}8000:0 - {PREFIX}ffff:ffff", "client-class": "HA_server2"}]
    return {"Dhcp6": d}


def server_argv(flavor: str, cfg: str) -> list[str]:
    if flavor == "kea":
        return ["kea-dhcp6", "-c", cfg]
    if flavor == "base":
        return [os.environ["HAKEA_BASELINE"], "-c", cfg]
    exe = os.environ.get("HAKEA_DHCP6", os.path.join(ROOT, ".venv", "bin", "hakea-dhcp6"))
    return [exe, "-c", cfg]


def lease_file(name: str) -> str:
    return os.path.join(WORK, f"{name}-leases6.csv")


def start(flavor: str, mode: str, name: str, fresh: bool = True) -> subprocess.Popen:
    idx = name[-1]
    cfg = os.path.join(WORK, f"{name}.json")
    with open(cfg, "w") as f:
        json.dump(config(mode, name), f, indent=1)
    if fresh:
        for leftover in os.listdir(WORK):
            if leftover.startswith(f"{name}-leases6"):
                os.remove(os.path.join(WORK, leftover))
    lock = os.path.join(WORK, f"lock{idx}")
    os.makedirs(lock, exist_ok=True)
    env = dict(os.environ, KEA_PIDFILE_DIR=WORK, KEA_LOCKFILE_DIR=lock)
    with open(os.path.join(WORK, f"{name}.log"), "ab") as log:  # the child keeps its own copy
        p = subprocess.Popen(["ip", "netns", "exec", f"{LAB}_s{idx}", *server_argv(flavor, cfg)],
                             stdout=log, stderr=subprocess.STDOUT, env=env)
    PROCS.append(p)
    return p


def stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.kill()
        p.wait()


def log_tail(name: str, lines: int = 15) -> str:
    try:
        with open(os.path.join(WORK, f"{name}.log"), errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def ha_state(idx: int) -> str | None:
    code = ("import json,urllib.request as u;"
            f"r=u.urlopen(u.Request('http://198.51.100.{idx}:8001/',"
            "data=b'{\"command\":\"ha-heartbeat\",\"service\":[\"dhcp6\"]}',"
            "headers={'Content-Type':'application/json'}),timeout=1);"
            "a=json.loads(r.read());a=a[0] if isinstance(a,list) else a;"
            "print(a['arguments']['state'])")
    r = sh("ip", "netns", "exec", f"{LAB}_cl", sys.executable, "-c", code, check=False, timeout=10)
    return r.stdout.strip() or None


def wait_states(want: dict[int, str], seconds: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if all(ha_state(i) == s for i, s in want.items()):
            return time.monotonic() - t0
        time.sleep(0.1)
    states = [ha_state(i) for i in want]
    tails = "".join(f"--- server{i} log ---\n{log_tail(f'server{i}')}" for i in want)
    raise SystemExit(f"timeout after {seconds:.0f} s: states {states} != {list(want.values())}\n{tails}")


def wait_ready(idx: int, seconds: float = 20.0) -> None:
    """Until server IDX answers one relayed Solicit (a short perfdhcp -i probe, bounded)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        # perfdhcp stops once it has sent -n Solicits, without waiting for the last answer: 3.
        r = sh("ip", "netns", "exec", f"{LAB}_cl", "perfdhcp", "-6", "-A", "1", "-l", "eth0", "-r", "20",
               "-n", "3", "-R", "1", f"{PREFIX}{idx}", check=False, timeout=10)
        if re.search(r"received packets: [1-9]", r.stdout):
            return
        time.sleep(0.2)
    raise SystemExit(f"server{idx} not answering after {seconds:.0f} s\n{log_tail(f'server{idx}')}")


def perfdhcp(mode: str, rate: int, seconds: int, num: int | None = None) -> dict:
    argv = ["ip", "netns", "exec", f"{LAB}_cl", "perfdhcp", "-6", "-A", "1", "-r", str(rate),
            "-R", "100000000", "-p", str(seconds), "-l", "eth0"]
    if num:
        argv += ["-n", str(num)]
    argv.append("all" if mode == "load-balancing" else f"{PREFIX}1")
    r = sh(*argv, check=False, timeout=seconds + 30)
    rate_m = re.search(r"^Rate: ([\d.]+)", r.stdout, re.M)
    drops = [float(x) for x in re.findall(r"drops ratio: ([\d.]+|-?nan)", r.stdout) if "nan" not in x]
    return {"offered": rate, "achieved": float(rate_m.group(1)) if rate_m else 0.0,
            "drops": max(drops) if drops else 100.0}


def run_rate(flavor: str, mode: str, rate: int, seconds: int) -> dict:
    load = loadavg()
    procs = [start(flavor, mode, "server1")]
    if mode != "standalone":
        procs.append(start(flavor, mode, "server2"))
        wait_states({1: mode, 2: mode}, 60)
    else:
        wait_ready(1)
    try:
        before = [cpu_split(p.pid) for p in procs]
        spaces = ["cl"] + [f"s{i + 1}" for i in range(len(procs))]
        full_before = [udp_buffer_drops(n) for n in spaces]
        res = perfdhcp(mode, rate, seconds)
        after = [cpu_split(p.pid) for p in procs]
        # Datagrams the kernel dropped for a full socket buffer: perfdhcp's ("cl") or a server's.
        res["rcvbuf_drops"] = {n: udp_buffer_drops(n) - b for n, b in zip(spaces, full_before, strict=True)}
        # What each server received and dropped itself (malformed, shed from a standing queue...).
        res["server_drops"] = [server_counter(f"server{i + 1}", "pkt6-receive-drop") for i in range(len(procs))]
        res["server_received"] = [server_counter(f"server{i + 1}", "pkt6-received") for i in range(len(procs))]
    finally:
        for p in procs:
            stop(p)
    res["load"] = load
    # CPU time of each server per completed exchange: the cost, independent of who got the cores.
    done = res["achieved"] * seconds
    used = [(a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before, strict=True)]
    res["cpu_us"] = [round((u + k) / done * 1e6) if done else None for u, k in used]
    res["sys_us"] = [round(k / done * 1e6) if done else None for _u, k in used]
    return res


def server_counter(name: str, statistic: str) -> int | None:
    """The value of STATISTIC on server NAME, asked on its control socket (Kea's and hakea's)."""
    import socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(os.path.join(WORK, f"{name}.sock"))
            s.sendall(json.dumps({"command": "statistic-get", "arguments": {"name": statistic}}).encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return int(json.loads(data)["arguments"][statistic][0][0])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def udp_buffer_drops(space: str) -> int:
    """Udp6RcvbufErrors of namespace LAB_<space>."""
    r = sh("ip", "netns", "exec", f"{LAB}_{space}", "cat", "/proc/net/snmp6", check=False, timeout=10)
    m = re.search(r"^Udp6RcvbufErrors\s+(\d+)", r.stdout, re.M)
    return int(m.group(1)) if m else 0


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of process PID (`ip netns exec` execs the server in place)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def count_leases(path: str) -> int:
    """Leases in a memfile CSV journal: the last row per (address, type) wins, valid_lifetime 0
    deletes."""
    state: dict[tuple[str, str], bool] = {}
    for suffix in (".2", ".1", ""):
        try:
            with open(path + suffix) as f:
                next(f, None)
                for line in f:
                    cols = line.split(",", 7)
                    if len(cols) >= 7:
                        state[(cols[0], cols[6])] = cols[2] != "0"
        except OSError:
            continue
    return sum(state.values())


def write_leases(path: str, n: int) -> None:
    """n address leases in subnet 1 in Kea 2.2's memfile CSV format, valid for an hour."""
    expire = int(time.time()) + 3600
    with open(path, "w") as f:
        f.write(LEASE_HEADER)
        rows = []
        for i in range(n):
            a = 0x10000 + i
            mac = ":".join(f"{b:02x}" for b in (0x02, 0x00, *((i >> s) & 0xFF for s in (24, 16, 8, 0))))
            rows.append(f"{PREFIX}{a >> 16:x}:{a & 0xFFFF:x},00:03:00:01:{mac},4000,{expire},1,3000,0,"
                        f"{i & 0xFFFF},128,0,0,,{mac},0,,1,0\n")
            if len(rows) >= 10000:
                f.write("".join(rows))
                rows.clear()
        f.write("".join(rows))


def run_sync(flavor: str, leases: int) -> dict:
    mode = "hot-standby"
    load = loadavg()
    write_leases(lease_file("server2"), leases)
    s2 = start(flavor, mode, "server2", fresh=False)
    s1 = start(flavor, mode, "server1")
    t_start = wait_states({1: mode, 2: mode}, 300)
    held = count_leases(lease_file("server2"))
    stop(s1)
    wait_states({2: "partner-down"}, 30)
    t0 = time.monotonic()
    s1 = start(flavor, mode, "server1", fresh=True)
    took = wait_states({1: mode, 2: mode}, 300)
    wall = time.monotonic() - t0
    got = count_leases(lease_file("server1"))
    stop(s1)
    stop(s2)
    return {"flavor": flavor, "leases_on_standby": held, "leases_synced": got,
            "first_start_s": round(t_start, 1), "resync_s": round(took, 1), "wall_s": round(wall, 1),
            "load": load}


def flavors(arg: str) -> list[str]:
    if arg == "both":
        return ["kea", "hakea"] + (["base"] if os.environ.get("HAKEA_BASELINE") else [])
    return [arg]


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    atexit.register(cleanup)
    lab_up()
    cmd = sys.argv[1]
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(sys.argv[1:])}; {os.cpu_count()} CPUs, "
          f"load {loadavg():.2f}", flush=True)
    if cmd == "rate":
        flavor, mode, rate = sys.argv[2], sys.argv[3], int(sys.argv[4])
        secs = int(sys.argv[5]) if len(sys.argv) > 5 else 8
        print(json.dumps({"flavor": flavor, "mode": mode, **run_rate(flavor, mode, rate, secs)}))
    elif cmd == "max":
        mode = sys.argv[3]
        secs = int(sys.argv[4]) if len(sys.argv) > 4 else 6
        start_rate = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
        step = int(sys.argv[6]) if len(sys.argv) > 6 else 1000
        rounds = int(sys.argv[7]) if len(sys.argv) > 7 else 1
        for flavor in flavors(sys.argv[2]):
            best, rate = 0.0, start_rate
            while rate <= 40000:
                runs = [run_rate(flavor, mode, rate, secs) for _ in range(rounds)]
                drops = statistics.median(r["drops"] for r in runs)
                achieved = statistics.median(r["achieved"] for r in runs)
                print(json.dumps({"flavor": flavor, "mode": mode, "offered": rate, "achieved": achieved,
                                  "drops": drops, "runs": runs}), flush=True)
                if drops >= 1.0:
                    break
                best, rate = achieved, rate + step
            print(f"max {flavor} {mode}: {best:.0f} exchanges/s with < 1 % drops "
                  f"(median of {rounds}, steps of {step}/s)", flush=True)
    elif cmd == "versus":
        mode, rate = sys.argv[2], int(sys.argv[3])
        secs = int(sys.argv[4]) if len(sys.argv) > 4 else 8
        rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
        contenders = ["kea", "hakea"] + (["base"] if os.environ.get("HAKEA_BASELINE") else [])
        got: dict[str, list[dict]] = {flavor: [] for flavor in contenders}
        ratios = []
        base_ratios = []
        for i in range(rounds):
            k = i % len(contenders)  # rotate the order: no contender always runs first
            order = contenders[k:] + contenders[:k]
            res = {flavor: run_rate(flavor, mode, rate, secs) for flavor in order}
            for flavor, r in res.items():
                got[flavor].append(r)
            print(json.dumps({"round": i + 1, **res}), flush=True)
            k_res, h_res = res["kea"], res["hakea"]
            ratios.append(h_res["achieved"] / k_res["achieved"] if k_res["achieved"] else float("inf"))
            if "base" in res:
                b = res["base"]
                base_ratios.append(b["achieved"] / k_res["achieved"] if k_res["achieved"] else float("inf"))
        for flavor, runs in got.items():
            print(f"{flavor:>5} {mode} {rate}/s offered: achieved median "
                  f"{statistics.median(r['achieved'] for r in runs):.0f}/s, drops median "
                  f"{statistics.median(r['drops'] for r in runs):.2f} % "
                  f"(drops per round {[round(r['drops'], 2) for r in runs]})")
        print(f"hakea/kea achieved-rate ratio ({mode}, {rate}/s offered): "
              f"median {statistics.median(ratios):.2f} over {rounds} rounds "
              f"(per round {[round(x, 2) for x in ratios]})")
        if base_ratios:
            print(f"base/kea achieved-rate ratio ({mode}, {rate}/s offered): "
                  f"median {statistics.median(base_ratios):.2f} over {rounds} rounds "
                  f"(per round {[round(x, 2) for x in base_ratios]})")
    elif cmd == "sync":
        leases = int(sys.argv[3])
        results = []
        for flavor in flavors(sys.argv[2]):
            r = run_sync(flavor, leases)
            results.append(r)
            print(json.dumps(r), flush=True)
            print(f"{flavor}: {r['leases_synced']} of {r['leases_on_standby']} leases synced, back to "
                  f"hot-standby {r['resync_s']:.1f} s after the restart", flush=True)
        if len(results) >= 2 and results[0]["resync_s"]:
            for r in results[1:]:
                print(f"{r['flavor']}/kea resync time ratio: {r['resync_s'] / results[0]['resync_s']:.2f}")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
