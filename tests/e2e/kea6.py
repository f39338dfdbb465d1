"""Mixed DHCPv6 HA pairs in network namespaces: one Kea 2.2 "Dhcp6" configuration, run by kea-dhcp6
or hakea-dhcp6 (the v6 counterpart of tests.e2e.kea, whose lab, Netns, Sniffer and Server it reuses).

The lab has a client namespace "cl" (198.51.100.10 and 2001:db8:ff::10: the scripted relay agent)
and server namespaces "s1"/"s2" (198.51.100.N and 2001:db8:ff::N) on one bridge. Each DHCPv6
server listens on its global address on eth0 (`"eth0/2001:db8:ff::N"`, Kea's unicast socket for
relayed traffic); the relay's link-address 2001:db8:1::1 selects subnet 2001:db8:1::/64. The HA
peers talk HTTP over IPv4 (`http://198.51.100.N:8001/`, so tests.e2e.kea.Sniffer sees them), over
Kea's dedicated HA listener with multi-threading -- or, with `agent`, Kea single-threaded behind a
kea-ctrl-agent that owns the peer URL and forwards "service": ["dhcp6"] to kea-dhcp6's socket.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e import dhcp6_client as dc
from tests.e2e.conftest import ctl_ready
from tests.e2e.dhcp6_fixtures import HAKEA_DHCP6
from tests.e2e.kea import HA_HOOK, LEASE_CMDS, PEER_PORT, Netns, Server, Sniffer
from tests.e2e.lab import Lab, wait_until

RELAY6 = "2001:db8:ff::10"  # the client namespace's relay agent
LINK = "2001:db8:1::1"  # the relay's link-address: selects SUBNET6
SUBNET6 = "2001:db8:1::/64"
POOL6 = "2001:db8:1::100 - 2001:db8:1::1ff"
PD_PREFIX, PD_LEN, DELEGATED_LEN = "2001:db8:8::", 48, 56
# load-balancing: one address pool and one pd-pool per HA scope (512 delegated /56 each)
POOLS6_LB = {"server1": "2001:db8:1::1:0/112", "server2": "2001:db8:1::2:0/112"}
PD_POOLS6_LB = {"server1": "2001:db8:8::/47", "server2": "2001:db8:a::/47"}


def server_v6(index: int) -> str:
    return f"2001:db8:ff::{index}"


def server_duid(name: str) -> bytes:
    """The server DUID dhcp6_config gives NAME: DUID-LL, hardware type 1, 02:00:00:00:00:0N."""
    return bytes.fromhex(f"000300010200000000{int(name[-1]):02x}")


def http_command6(url: str, command: str, arguments: dict[str, Any] | None = None,
                  timeout: float = 3.0) -> dict[str, Any]:
    """One command with "service": ["dhcp6"] over HTTP; the single answer of Kea's list."""
    body: dict[str, Any] = {"command": command, "service": ["dhcp6"]}
    if arguments is not None:
        body["arguments"] = arguments
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        answer = json.loads(r.read())
    assert isinstance(answer, list) and len(answer) == 1, answer
    assert isinstance(answer[0], dict)
    return answer[0]


def _lb_subnet() -> dict[str, Any]:
    """SUBNET6 with each server's own pool and pd-pool, selected by its HA_serverN scope class."""
    plen = int(next(iter(PD_POOLS6_LB.values())).split("/")[1])
    return {"id": 1, "subnet": SUBNET6,
            "pools": [{"pool": pool, "client-class": f"HA_{n}"} for n, pool in POOLS6_LB.items()],
            "pd-pools": [{"prefix": p.split("/")[0], "prefix-len": plen, "delegated-len": DELEGATED_LEN,
                          "client-class": f"HA_{n}"} for n, p in PD_POOLS6_LB.items()]}


def dhcp6_config(name: str, mode: str | None, workdir: Path, *, agent: bool = False,
                 heartbeat_delay: int = 1000, max_response_delay: int = 3000,
                 sync_page_limit: int = 4, ha_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Kea 2.2 "Dhcp6" map for NAME ("server1" primary, "server2") in MODE ("hot-standby",
    "load-balancing" or None: standalone). The server DUID is fixed per name and not persisted
    (running-kea.md), so a program replacing another under the same name keeps the identity its
    clients know. `ha_extra` adds keys to the HA entry (e.g. "state-machine")."""
    index = int(name[-1])
    scope: dict[str, Any] = {"client-class": "HA_server1"} if mode == "hot-standby" else {}
    d: dict[str, Any] = {
        "interfaces-config": {"interfaces": [f"eth0/{server_v6(index)}"]},
        "server-id": {"type": "LL", "htype": 1, "identifier": f"0200000000{index:02x}", "persist": False},
        "lease-database": {"type": "memfile", "persist": True, "lfc-interval": 0,
                           "name": str(workdir / f"{name}-leases6.csv")},
        "control-socket": {"socket-type": "unix", "socket-name": str(workdir / f"{name}.sock")},
        "preferred-lifetime": 3000, "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000,
        "subnet6": [{"id": 1, "subnet": SUBNET6, "pools": [{"pool": POOL6, **scope}],
                     "pd-pools": [{"prefix": PD_PREFIX, "prefix-len": PD_LEN,
                                   "delegated-len": DELEGATED_LEN, **scope}]}],
        "hooks-libraries": [{"library": LEASE_CMDS}],
        "loggers": [{"name": "kea-dhcp6", "severity": "INFO", "output_options": [{"output": "stdout"}]}],
    }
    if mode is None:
        return d
    if mode == "load-balancing":
        d["subnet6"] = [_lb_subnet()]
    ha: dict[str, Any] = {
        "this-server-name": name, "mode": mode,
        "heartbeat-delay": heartbeat_delay, "max-response-delay": max_response_delay,
        "max-ack-delay": 1000, "max-unacked-clients": 0, "sync-page-limit": sync_page_limit,
        **(ha_extra or {}),
    }
    if agent:
        d["multi-threading"] = {"enable-multi-threading": False}
        ha["multi-threading"] = {"enable-multi-threading": False}
    else:
        d["multi-threading"] = {"enable-multi-threading": True, "thread-pool-size": 2,
                                "packet-queue-size": 64}
        ha["multi-threading"] = {"enable-multi-threading": True, "http-dedicated-listener": True,
                                 "http-listener-threads": 2, "http-client-threads": 2}
    second = "standby" if mode == "hot-standby" else "secondary"
    d["hooks-libraries"].append({"library": HA_HOOK, "parameters": {"high-availability": [{
        **ha,
        "peers": [
            {"name": "server1", "url": f"http://198.51.100.1:{PEER_PORT}/", "role": "primary"},
            {"name": "server2", "url": f"http://198.51.100.2:{PEER_PORT}/", "role": second},
        ]}]}})
    return d


@dataclass(eq=False)
class Server6(Server):
    """One DHCPv6 server of the lab (kea-dhcp6 or hakea-dhcp6); server1 in s1, server2 in s2."""

    @property
    def address6(self) -> str:
        return server_v6(self.index)

    @property
    def lease_file(self) -> Path:
        return self.workdir / f"{self.name}-leases6.csv"

    @property
    def config_file(self) -> Path:
        return self.workdir / f"{self.name}-6.json"

    @property
    def log_name(self) -> str:
        return f"{self.workdir.name}-{self.name}-{self.flavor}6"

    def write_config(self, **kw: Any) -> None:
        d = dhcp6_config(self.name, self.mode, self.workdir, agent=self.agent, **kw)
        self.config_file.write_text(json.dumps({"Dhcp6": d}, indent=1))
        if self.agent and self.flavor == "kea":
            (self.workdir / f"{self.name}-agent6.json").write_text(json.dumps({"Control-agent": {
                "http-host": self.address, "http-port": PEER_PORT,
                "control-sockets": {"dhcp6": {"socket-type": "unix", "socket-name": str(self.sock)}},
                "loggers": [{"name": "kea-ctrl-agent", "severity": "INFO",
                             "output_options": [{"output": "stdout"}]}],
            }}, indent=1))

    def start(self, *, empty: bool = False, timeout: float = 15.0) -> None:
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} is running"
        if empty:
            for old in self.workdir.glob(f"{self.name}-leases6.csv*"):
                old.unlink()
        with contextlib.suppress(FileNotFoundError):
            self.sock.unlink()
        self.starts += 1
        with open(self.procs.workdir / f"{self.log_name}.log", "a") as f:
            f.write(f"\n===== start #{self.starts} at {time.strftime('%H:%M:%S')} =====\n")
        env: dict[str, str] = {}
        if self.flavor == "kea":
            lock = self.workdir / f"lock-{self.name}"
            lock.mkdir(exist_ok=True)
            env = {"KEA_PIDFILE_DIR": str(self.workdir), "KEA_LOCKFILE_DIR": str(lock)}
            argv = ["kea-dhcp6", "-c", str(self.config_file)]
        else:
            argv = [HAKEA_DHCP6, "-c", str(self.config_file), "-d"]
        self.proc = self.procs.start(self.log_name, self.lab.exec_argv(f"s{self.index}", argv), env)

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} ({self.flavor}) exited with {self.proc.returncode}:\n"
                                     f"{self.log()[-4000:]}")
            return ctl_ready(self.sock)

        wait_until(ready, timeout, interval=0.1, what=f"{self.name} ({self.flavor}) control socket")
        agent_down = self.agent_proc is None or self.agent_proc.poll() is not None
        if self.agent and self.flavor == "kea" and agent_down:
            argv = ["kea-ctrl-agent", "-c", str(self.workdir / f"{self.name}-agent6.json")]
            self.agent_proc = self.procs.start(f"{self.log_name}-agent",
                                               self.lab.exec_argv(f"s{self.index}", argv), env)

            def listening() -> bool:
                assert self.agent_proc is not None
                if self.agent_proc.poll() is not None:
                    agent_log = self.procs.log(f"{self.log_name}-agent")
                    raise AssertionError(f"kea-ctrl-agent exited:\n{agent_log}")
                try:
                    return bool(self.http("version-get", timeout=1.0)["result"] == 0)
                except (OSError, urllib.error.URLError):
                    return False

            wait_until(listening, timeout, interval=0.1, what=f"{self.name}'s kea-ctrl-agent")

    def http(self, command: str, arguments: dict[str, Any] | None = None,
             timeout: float = 3.0) -> dict[str, Any]:
        """A dhcp6 command over this server's HA listener (or its kea-ctrl-agent)."""
        return self.ns.run(http_command6, self.url, command, arguments, timeout, timeout=timeout + 5)

    def leases(self, over_http: bool = False) -> list[dict[str, Any]]:
        """lease6-get-all, over the control socket or the HA listener."""
        answer = self.http("lease6-get-all") if over_http else self.ctl("lease6-get-all")
        assert answer["result"] in (0, 3), answer
        leases = (answer.get("arguments") or {}).get("leases", [])
        assert isinstance(leases, list)
        return leases


# ------------------------------------------------------------------------------------ leases


def lease6_key(lease: dict[str, Any]) -> str:
    """A lease6 as both partners must hold it: every field Kea lists (as canonical JSON)."""
    return json.dumps(lease, sort_keys=True)


def lease6_set(leases: Iterable[dict[str, Any]]) -> set[str]:
    return {lease6_key(le) for le in leases}


def wait_lab_v6(lab: Lab, shorts: Iterable[str], timeout: float = 10.0) -> None:
    """Wait until no address in these namespaces is still tentative (DAD on the link-locals):
    kea-dhcp6 opens its sockets once, at start."""
    from tests.e2e.lab import sh

    def settled(short: str) -> bool:
        return not sh("ip", "-n", lab.ns(short), "-6", "addr", "show", "tentative").stdout.strip()

    for short in shorts:
        wait_until(lambda: settled(short), timeout, interval=0.1, what=f"DAD in {short}")  # noqa: B023


# ------------------------------------------------------------------------------------ clients


@dataclass
class Client6:
    """One relayed DHCPv6 client with an IA_NA and an IA_PD (IAID 1 for both)."""

    duid: bytes
    address: str = ""
    prefix: str = ""  # "2001:db8:8:100::" (length DELEGATED_LEN)
    server_id: bytes = b""

    def ias(self) -> tuple[bytes, bytes]:
        return dc.ia_na(1, self.address), dc.ia_pd(1, (self.prefix, DELEGATED_LEN))


class Relay(dc.Relay6):
    """tests.e2e.dhcp6_client.Relay6 with its socket opened in the client namespace."""

    def rebind(self, client: Client6, timeout: float = 2.0) -> dc.Reply6 | None:
        return self.exchange(dc.REBIND, dc.opt(dc.OPT_CLIENTID, client.duid), *client.ias(), timeout=timeout)

    def renew6(self, client: Client6, timeout: float = 2.0) -> dc.Reply6 | None:
        return self.renew(client.duid, client.server_id, *client.ias(), timeout=timeout)

    def lease(self, client: Client6) -> Client6:
        """Solicit/Advertise/Request/Reply for an address and a prefix; fills `client`."""
        _, reply = self.sarr(client.duid, pd=True)
        assert reply.server_id is not None
        (client.address,), (prefix,) = reply.addresses(), reply.prefixes()
        client.prefix, client.server_id = prefix.split("/")[0], reply.server_id
        return client


def relay_to(cl: Netns, server: Server6) -> Relay:
    """A relay agent in the client namespace forwarding to `server`'s global address, port 547."""
    return cl.run(lambda: Relay((server.address6, 547), bind=RELAY6, link=LINK))


def same_lease(reply: dc.Reply6 | None, client: Client6) -> bool:
    """`reply` is a Reply extending exactly the client's address and prefix."""
    return (reply is not None and reply.msg_type == dc.REPLY and reply.addresses() == [client.address]
            and reply.prefixes() == [f"{client.prefix}/{DELEGATED_LEN}"])


# ------------------------------------------------------------------------------------ pair checks


def same_leases(a: Server6, b: Server6, at_least: int, timeout: float = 5.0) -> set[str]:
    """Both hold the same lease6 set (lease6-get-all over each one's HA listener), >= `at_least`."""
    seen: dict[str, int] = {}

    def same() -> bool:
        la, lb = lease6_set(a.leases(over_http=True)), lease6_set(b.leases(over_http=True))
        seen.update({a.name: len(la), b.name: len(lb), "common": len(la & lb)})
        return la == lb

    try:
        wait_until(same, timeout, interval=0.2, what=f"{a.name} and {b.name} to hold the same leases")
    except AssertionError as exc:
        only_a = lease6_set(a.leases(True)) - lease6_set(b.leases(True))
        only_b = lease6_set(b.leases(True)) - lease6_set(a.leases(True))
        raise AssertionError(f"{exc}; sizes {seen}\nonly {a.name}: {sorted(only_a)[:10]}\n"
                             f"only {b.name}: {sorted(only_b)[:10]}") from None
    leases = lease6_set(a.leases(over_http=True))
    assert len(leases) >= at_least, (len(leases), at_least)
    return leases


def synced_from(sniffer: Sniffer, syncer: Server6, source: Server6, page: int) -> list[str]:
    """`syncer` synchronised from `source` as Kea 2.2 does: dhcp-disable (origin ha-partner),
    lease6-get-page from "start" and on (`page` leases each: the syncer's sync-page-limit), then one
    ha-sync-complete-notify and no dhcp-enable. Returns the commands seen."""
    sent = [s for s in sniffer.seen if s.src == syncer.address and s.dst == source.address
            and s.command != "ha-heartbeat"]
    names = [s.command for s in sent]
    assert "dhcp-disable" in names, names
    first = names.index("dhcp-disable")
    disable = sent[first].body
    assert disable is not None and disable["arguments"]["origin"] == "ha-partner", disable
    assert disable["service"] == ["dhcp6"], disable
    pages = [s for s in sent[first:] if s.command == "lease6-get-page"]
    assert len(pages) >= 2, names
    assert pages[0].body is not None and pages[0].body["arguments"] == {"from": "start", "limit": page}
    assert pages[1].body is not None and pages[1].body["arguments"]["from"] != "start", pages[1].body
    assert "lease4-get-page" not in names
    assert names[first:].count("ha-sync-complete-notify") == 1, names
    assert names[-1] == "ha-sync-complete-notify", names
    assert "dhcp-enable" not in names[first:], names
    return names
