"""`./dev run`: a hot-standby HA pair on loopback with memfile leases, in the foreground.

server1 (primary) answers DHCP on 127.0.0.1:67 and HA/control on http://127.0.0.1:8001/,
server2 (standby) on 127.0.0.2:67 and http://127.0.0.1:8002/. Files go to ./run/.
Ctrl-C stops both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HOOKS = "/usr/lib/x86_64-linux-gnu/kea/hooks"


def server_config(name: str, address: str, run: Path, mode: str) -> dict[str, Any]:
    second_role = "standby" if mode == "hot-standby" else "secondary"
    pools: list[dict[str, Any]]
    if mode == "hot-standby":
        pools = [{"pool": "192.0.2.100 - 192.0.2.200", "client-class": "HA_server1"}]
    else:
        pools = [
            {"pool": "192.0.2.100 - 192.0.2.150", "client-class": "HA_server1"},
            {"pool": "192.0.2.151 - 192.0.2.200", "client-class": "HA_server2"},
        ]
    return {
        "Dhcp4": {
            "interfaces-config": {"interfaces": [f"lo/{address}"], "dhcp-socket-type": "udp"},
            "lease-database": {
                "type": "memfile",
                "persist": True,
                "name": str(run / f"{name}-leases4.csv"),
                "lfc-interval": 3600,
            },
            "control-socket": {"socket-type": "unix", "socket-name": str(run / f"{name}.sock")},
            "valid-lifetime": 3600,
            "renew-timer": 900,
            "rebind-timer": 1800,
            "hooks-libraries": [
                {"library": f"{HOOKS}/libdhcp_lease_cmds.so"},
                {
                    "library": f"{HOOKS}/libdhcp_ha.so",
                    "parameters": {
                        "high-availability": [
                            {
                                "this-server-name": name,
                                "mode": mode,
                                "heartbeat-delay": 1000,
                                "max-response-delay": 3000,
                                "max-ack-delay": 1000,
                                "max-unacked-clients": 0,
                                "peers": [
                                    {"name": "server1", "url": "http://127.0.0.1:8001/", "role": "primary"},
                                    {"name": "server2", "url": "http://127.0.0.1:8002/", "role": second_role},
                                ],
                            }
                        ]
                    },
                },
            ],
            "subnet4": [
                {
                    "id": 1,
                    "subnet": "192.0.2.0/24",
                    "pools": pools,
                    "relay": {"ip-addresses": ["127.0.0.3"]},
                    "option-data": [{"name": "routers", "data": "192.0.2.1"}],
                }
            ],
        }
    }


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    mode = sys.argv[1] if len(sys.argv) > 1 else "hot-standby"
    run = Path("run").resolve()
    run.mkdir(exist_ok=True)
    exe = Path(sys.executable).parent / "hakea-dhcp4"
    procs = []
    for name, address in (("server1", "127.0.0.1"), ("server2", "127.0.0.2")):
        cfg = run / f"{name}.json"
        cfg.write_text(json.dumps(server_config(name, address, run, mode), indent=2))
        log = open(run / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        procs.append(subprocess.Popen([str(exe), "-c", str(cfg)], stdout=log, stderr=subprocess.STDOUT))
        print(f"started {name} (pid {procs[-1].pid}): config {cfg}, log {run / (name + '.log')}")
    print("\nwatch it:      .venv/bin/hakea --url http://127.0.0.1:8001/ ha status")
    print("see a failover: kill -9 the primary's pid; within ~3 s server2 goes partner-down:")
    print("               .venv/bin/hakea --url http://127.0.0.1:8002/ ha status")
    print("Ctrl-C stops both.\n")
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
