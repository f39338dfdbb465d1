"""A mixed DHCPv6 hot-standby pair: hakea-dhcp6 and Debian's kea-dhcp6 2.2 as HA partners on
loopback, running the same Kea configuration (HA over Kea's dedicated HTTP listener, with
multi-threading on, as Kea 2.2 requires for it).

Both orders are run: hakea primary with Kea standby (Kea takes hakea's lease6-bulk-apply and
answers its lease6-get-page), and Kea primary with hakea standby (hakea takes Kea's). In each, the
standby is then restarted with an empty lease file and syncs from the primary.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp6_client as dc
from tests.e2e.dhcp6_fixtures import HA_HOOK, HAKEA_DHCP6, dhcp6_config, free_udp6_port
from tests.e2e.ha_fixtures import free_port_on
from tests.e2e.lab import Procs, post, wait_until

pytestmark = pytest.mark.e2e

HTTP = {"server1": "127.0.0.81", "server2": "127.0.0.82"}
ROLES = {"server1": "primary", "server2": "standby"}
SUBNET = {
    "id": 1,
    "subnet": "2001:db8:1::/64",
    "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
    "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56}],
}


@dataclass
class Peer6:
    name: str
    program: str  # "hakea" or "kea"
    workdir: Path
    procs: Procs
    config: dict[str, Any]
    port: int
    url: str
    proc: subprocess.Popen[bytes] | None = None

    @property
    def lease_file(self) -> Path:
        return Path(self.config["Dhcp6"]["lease-database"]["name"])

    def start(self) -> None:
        path = self.workdir / f"interop6-{self.name}.json"
        path.write_text(json.dumps(self.config, indent=2))
        if self.program == "kea":
            argv = ["kea-dhcp6", "-c", str(path), "-p", str(self.port)]
            env = {"KEA_PIDFILE_DIR": str(self.workdir), "KEA_LOCKFILE_DIR": str(self.workdir)}
        else:
            argv = [HAKEA_DHCP6, "-c", str(path), "-p", str(self.port), "-d"]
            env = {}
        proc = self.procs.start(f"interop6-{self.name}", argv, env=env)
        self.proc = proc

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"{self.name} ({self.program}) exited: {self.log()[-3000:]}")
            try:
                return self.command("status-get", timeout=1.0).get("result") == 0  # type: ignore[no-any-return]
            except Exception:
                return False

        wait_until(up, 15.0, interval=0.1, what=f"{self.name} ({self.program}) up")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            self.procs.kill(self.proc, sig)

    def log(self) -> str:
        return self.procs.log(f"interop6-{self.name}")

    def command(self, command: str, arguments: dict[str, Any] | None = None, timeout: float = 5.0) -> Any:
        return post(self.url, command, arguments, service="dhcp6", timeout=timeout)

    def state(self) -> str | None:
        try:
            return self.command("ha-heartbeat", timeout=1.0).get("arguments", {}).get("state")  # type: ignore[no-any-return]
        except Exception:
            return None

    def wait_state(self, state: str, timeout: float = 20.0) -> None:
        wait_until(lambda: self.state() == state, timeout, interval=0.1,
                   what=f"{self.name} ({self.program}) in {state}: {self.log()[-2000:]}")  # fmt: skip

    def leases(self) -> list[str]:
        answer = self.command("lease6-get-all")
        assert answer["result"] in (0, 3), answer
        return sorted(json.dumps(le, sort_keys=True) for le in answer["arguments"]["leases"])


def _config(workdir: Path, name: str, peers: list[dict[str, str]]) -> dict[str, Any]:
    ha = {
        "library": HA_HOOK,
        "parameters": {"high-availability": [{
            "this-server-name": name, "mode": "hot-standby", "heartbeat-delay": 500,
            "max-response-delay": 2000, "max-ack-delay": 1000, "max-unacked-clients": 0, "sync-page-limit": 3,
            "multi-threading": {"enable-multi-threading": True, "http-dedicated-listener": True,
                                "http-listener-threads": 2, "http-client-threads": 2},
            "peers": peers,
        }]},
    }  # fmt: skip
    mt = {"enable-multi-threading": True, "thread-pool-size": 2, "packet-queue-size": 16}
    return dhcp6_config(workdir, f"interop6-{name}", interfaces=["lo/::1"], subnets=[SUBNET], hooks=[ha],
                        extra={"multi-threading": mt})  # fmt: skip


@pytest.fixture(params=["hakea-primary", "kea-primary"])
def pair(request: pytest.FixtureRequest, workdir: Path, procs: Procs) -> Iterator[tuple[Peer6, Peer6]]:
    if shutil.which("kea-dhcp6") is None or not os.path.exists(HA_HOOK):
        pytest.skip("kea-dhcp6 2.2 with the HA hook is not installed")
    programs = {"server1": "hakea", "server2": "kea"}
    if request.param == "kea-primary":
        programs = {"server1": "kea", "server2": "hakea"}
    http = free_port_on(*HTTP.values(), kind=1)
    peers = [{"name": n, "url": f"http://{a}:{http}/", "role": ROLES[n]} for n, a in HTTP.items()]
    servers = []
    for name, address in HTTP.items():
        config = _config(workdir, f"{request.param}-{name}", peers)
        config["Dhcp6"]["hooks-libraries"][1]["parameters"]["high-availability"][0]["this-server-name"] = name
        servers.append(
            Peer6(name, programs[name], workdir, procs, config, free_udp6_port(), f"http://{address}:{http}/")
        )
    for s in servers:
        s.lease_file.unlink(missing_ok=True)
        s.start()
    try:
        yield servers[0], servers[1]
    finally:
        for s in servers:
            s.stop()


def test_mixed_pair_replicates_and_resyncs(pair: tuple[Peer6, Peer6]) -> None:
    primary, standby = pair
    primary.wait_state("hot-standby")
    standby.wait_state("hot-standby")
    relay = dc.Relay6(("::1", primary.port))
    try:
        replies = [relay.sarr(dc.duid_ll(0xA00 + n), pd=True)[1] for n in range(4)]
        # the primary answered each client only once the standby acknowledged the lease6-bulk-apply
        assert standby.leases() == primary.leases() and len(primary.leases()) == 8
        last = replies[-1]
        assert last.server_id is not None
        released = relay.release(dc.duid_ll(0xA03), last.server_id, dc.ia_na(1, last.address),
                                 dc.ia_pd(1, (last.prefixes()[0].split("/")[0], 56)))  # fmt: skip
        assert released is not None and released.status is not None and released.status[0] == 0
        wait_until(lambda: len(standby.leases()) == 6, 5.0, what="release replicated")
        assert standby.leases() == primary.leases()
    finally:
        relay.close()
    # the standby loses its lease file and comes back: it syncs from the primary (lease6-get-page)
    standby.stop(signal.SIGKILL)
    standby.lease_file.unlink(missing_ok=True)
    standby.start()
    standby.wait_state("hot-standby", timeout=30.0)
    assert standby.leases() == primary.leases()
    # and the standby stays silent
    silent = dc.Relay6(("::1", standby.port))
    try:
        assert silent.solicit(dc.duid_ll(0xAFF), timeout=1.0) is None
    finally:
        silent.close()
