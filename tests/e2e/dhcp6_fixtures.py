"""Helpers for the DHCPv6 end-to-end tests: hakea-dhcp6 (and kea-dhcp6) processes kept by PID, their
Kea configurations, the commands they answer (over the UNIX control socket, or over HTTP at the HA
peer URL), and HA relationships of such servers on loopback.

On loopback each server listens on its own UDP port on ::1 (the test is the relay agent) and has
its peer URL on its own 127.0.0.x, one TCP port for all of them.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path
from typing import Any, Self

import pytest

from hakea.ha.query_filter import lb_hash
from tests.e2e import dhcp6_client as dc
from tests.e2e.conftest import LEASE_CMDS, need
from tests.e2e.ha_fixtures import HA_HOOK, Daemon, LoopbackHA
from tests.e2e.lab import VENV_BIN, Procs

HAKEA_DHCP6 = str(VENV_BIN / "hakea-dhcp6")

# The hot-standby subnet: one address pool and one pd-pool (/56 prefixes).
SUBNET = {
    "id": 1,
    "subnet": "2001:db8:1::/64",
    "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
    "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56}],
}
# The load-balancing subnet: an address pool and a pd-pool (/64 prefixes) per HA scope class.
LB_POOLS = {"server1": "2001:db8:1::1:0/112", "server2": "2001:db8:1::2:0/112"}
LB_PD_POOLS = {"server1": "2001:db8:10::/48", "server2": "2001:db8:20::/48"}
LB_SUBNET = {
    "id": 1,
    "subnet": "2001:db8:1::/64",
    "pools": [{"pool": pool, "client-class": f"HA_{n}"} for n, pool in LB_POOLS.items()],
    "pd-pools": [
        {"prefix": p.split("/")[0], "prefix-len": 48, "delegated-len": 64, "client-class": f"HA_{n}"}
        for n, p in LB_PD_POOLS.items()
    ],
}
# Kea 2.2's HA over its dedicated listener needs multi-threading on.
MT_HA = {"enable-multi-threading": True, "http-dedicated-listener": True, "http-listener-threads": 2,
         "http-client-threads": 2}  # fmt: skip
MT = {"enable-multi-threading": True, "thread-pool-size": 2, "packet-queue-size": 512}


def free_udp6_port(address: str = "::1") -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def dhcp6_config(workdir: Path, name: str, *, interfaces: list[str], subnets: list[dict[str, Any]],
                 control_socket: Path | None = None, hooks: list[dict[str, Any]] | None = None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    config: dict[str, Any] = {
        "interfaces-config": {"interfaces": interfaces},
        # A fixed server DUID, not persisted (as running-kea.md advises for Kea in tests).
        "server-id": {
            "type": "LL",
            "htype": 1,
            "identifier": "0200000000" + f"{sum(name.encode()) % 256:02x}",
            "persist": False,
        },
        "lease-database": {
            "type": "memfile",
            "name": str(workdir / f"{name}-leases6.csv"),
            "lfc-interval": 0,
        },
        "hooks-libraries": [{"library": LEASE_CMDS}, *(hooks or [])],
        "preferred-lifetime": 3000,
        "valid-lifetime": 4000,
        "subnet6": subnets,
        **(extra or {}),
    }
    if control_socket is not None:
        config["control-socket"] = {"socket-type": "unix", "socket-name": str(control_socket)}
    return {"Dhcp6": config}


class Server6(Daemon):
    """One hakea-dhcp6 process (tests.e2e.ha_fixtures.Daemon)."""

    FAMILY = 6
    PROGRAM = HAKEA_DHCP6

    def lease(self, address: str, kind: str = "IA_NA") -> dict[str, Any] | None:
        answer = self.command("lease6-get", {"ip-address": address, "type": kind})
        if answer["result"] == 3:
            return None
        assert answer["result"] == 0, answer
        return answer["arguments"]  # type: ignore[no-any-return]

    # ---- the test as a relay agent on loopback --------------------------------------------------

    def relay(self, **kw: Any) -> dc.Relay6:
        """A relay agent on ::1 forwarding to this server's port (close it, or use it in `with`)."""
        assert self.port is not None
        return dc.Relay6(("::1", self.port), **kw)

    def sarr(self, duid: bytes, pd: bool = False) -> dc.Reply6:
        """Solicit/Advertise/Request/Reply through this server (asserts the Reply came)."""
        with self.relay() as relay:
            return relay.sarr(duid, pd=pd)[1]

    def ignores(self, duid: bytes, timeout: float = 0.5, **solicit: Any) -> bool:
        """No answer to a Solicit from `duid` within `timeout`."""
        with self.relay() as relay:
            return relay.solicit(duid, timeout=timeout, **solicit) is None


def need_kea6() -> None:
    """Skip unless Debian's kea-dhcp6 2.2 and its HA hook are installed."""
    need("kea-dhcp6")
    if not os.path.exists(HA_HOOK):
        pytest.skip(f"not installed: {HA_HOOK}")


class KeaServer6(Server6):
    """kea-dhcp6 2.2 on the same kind of configuration; commands over its HA listener (the peer URL)."""

    def argv(self) -> list[str]:
        assert self.port is not None
        return ["kea-dhcp6", "-c", str(self.config_path), "-p", str(self.port)]

    def start(self, timeout: float = 15.0) -> Self:
        self.env = {"KEA_PIDFILE_DIR": str(self.workdir), "KEA_LOCKFILE_DIR": str(self.workdir)}
        return super().start(timeout)


# ------------------------------------------------------------------------------------ HA on loopback


class LoopbackHA6(LoopbackHA[Server6]):
    """hakea-dhcp6 servers on loopback (tests.e2e.ha_fixtures.LoopbackHA): each on "lo/::1" on a
    port of its own, serving SUBNET (LB_SUBNET in load-balancing); with `threads`, multi-threaded
    (MT, MT_HA)."""

    def __init__(self, workdir: Path, procs: Procs, label: str, mode: str,
                 peers: dict[str, tuple[str, str]], *, threads: bool = False,
                 ha_extra: dict[str, Any] | None = None,
                 normal: dict[str, str] | None = None) -> None:  # fmt: skip
        if threads:  # as Kea 2.2 needs for HA over its dedicated listener
            ha_extra = {"multi-threading": MT_HA, **(ha_extra or {})}
        super().__init__(Server6, workdir, procs, label, mode, peers, ha_extra=ha_extra, normal=normal)
        self.subnet = LB_SUBNET if mode == "load-balancing" else SUBNET
        self.extra = {"multi-threading": MT} if threads else None

    def config(self, name: str, **ha_extra: Any) -> dict[str, Any]:
        return dhcp6_config(self.workdir, f"{self.label}-{name}", interfaces=["lo/::1"],
                            subnets=[self.subnet], hooks=[self.hook(name, **ha_extra)],
                            extra=self.extra)  # fmt: skip

    def dhcp_port(self) -> int:
        return free_udp6_port()


# ------------------------------------------------------------------------------------ load balancing


def lb_owner(duid: bytes) -> str:
    """Kea's load-balancing owner in v6: the RFC 3074 hash of the whole client-identifier option
    data; peer index 0 (the primary) for an even hash."""
    return "server1" if lb_hash(duid) % 2 == 0 else "server2"


def duids_of(name: str, count: int, start: int) -> list[bytes]:
    """The first `count` DUID-LLs from `start` on that hash to `name`."""
    found: list[bytes] = []
    n = start
    while len(found) < count:
        if lb_owner(dc.duid_ll(n)) == name:
            found.append(dc.duid_ll(n))
        n += 1
    return found


def in_net(text: str, net: str) -> bool:
    """`text` (an address or a prefix) lies in `net`."""
    return ipaddress.IPv6Network(text, strict=False).subnet_of(ipaddress.IPv6Network(net))


def lb_scope_of(text: str) -> str | None:
    """Whose LB_SUBNET pool holds `text`: an address ("a" or "a/128") in LB_POOLS, a prefix in
    LB_PD_POOLS; None: nobody's."""
    pools = LB_POOLS if ipaddress.IPv6Network(text, strict=False).prefixlen == 128 else LB_PD_POOLS
    return next((name for name, net in pools.items() if in_net(text, net)), None)


# ------------------------------------------------------------------------------------ resync


def restart_and_sync(server: Server6, partner: Server6, normal: str, timeout: float = 20.0, *,
                     paged: tuple[int, int] | None = None) -> str:  # fmt: skip
    """Start `server` again; both reach `normal`. Returns `server`'s log of this run only, in which,
    given `paged` (total, page): waiting -> syncing -> ready -> `normal`, `total` leases received
    from `partner` in pages of `page` (a shorter page ends the sync), the sync reported successful."""
    log_start = len(server.log())
    server.start()
    server.wait_state(normal, timeout=timeout)
    partner.wait_state(normal, timeout=5.0)
    log = server.log()[log_start:]
    if paged is not None:
        total, page = paged
        order = [m.group(1) for m in re.finditer(r"server transitions from \S+ to (\S+) state", log)]
        assert order[:3] == ["SYNCING", "READY", normal.upper()], order
        source = partner.name.rsplit("-", 1)[-1]  # its name in the HA configuration
        pages = re.findall(rf"HA_LEASES_SYNC_LEASE_PAGE_RECEIVED received (\d+) leases from {source}", log)
        assert [int(p) for p in pages] == [page] * (total // page) + [total % page], pages
        assert "HA_SYNC_SUCCESSFUL" in log
    return log
