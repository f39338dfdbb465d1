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

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e import dhcp6_client as dc
from tests.e2e.conftest import LEASE_CMDS
from tests.e2e.dhcp6_fixtures import HAKEA_DHCP6
from tests.e2e.kea import RELAY, Netns, Server, add_ha
from tests.e2e.lab import Lab, lab

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
    if mode == "load-balancing":
        d["subnet6"] = [_lb_subnet()]
    if mode is not None:
        add_ha(d, name, mode, agent=agent, heartbeat_delay=heartbeat_delay,
               max_response_delay=max_response_delay, sync_page_limit=sync_page_limit,
               ha_extra=ha_extra)  # fmt: skip
    return d


@dataclass(eq=False)
class Server6(Server):
    """One DHCPv6 server of the lab (kea-dhcp6 or hakea-dhcp6); server1 in s1, server2 in s2."""

    FAMILY = 6
    HAKEA = HAKEA_DHCP6
    SUFFIX = "-6"

    @property
    def address6(self) -> str:
        return server_v6(self.index)

    def config_map(self, **kw: Any) -> dict[str, Any]:
        return {"Dhcp6": dhcp6_config(self.name, self.mode, self.workdir, agent=self.agent, **kw)}

    def lease_keys(self, over_http: bool = True) -> set[Any]:
        return lease6_set(self.leases(over_http))

    def relay_from(self, cl: Netns) -> Relay:
        """A relay agent in the client namespace forwarding to this server's global address."""
        return cl.run(lambda: Relay((self.address6, 547), bind=RELAY6, link=LINK))


@contextmanager
def pair_lab6(prefix: str) -> Iterator[Lab]:
    """The namespaces of a mixed v6 pair: "cl" (the relay agent), "s1" and "s2", each with its
    IPv4 and IPv6 address, out of DAD."""
    with lab(prefix) as the_lab:
        the_lab.add_host("cl", f"{RELAY}/24", f"{RELAY6}/64")
        for n in (1, 2):
            the_lab.add_host(f"s{n}", f"198.51.100.{n}/24", f"{server_v6(n)}/64")
        the_lab.wait_dad("cl", "s1", "s2")
        yield the_lab


# ------------------------------------------------------------------------------------ leases


def lease6_key(lease: dict[str, Any]) -> str:
    """A lease6 as both partners must hold it: every field Kea lists (as canonical JSON)."""
    return json.dumps(lease, sort_keys=True)


def lease6_set(leases: Iterable[dict[str, Any]]) -> set[str]:
    return {lease6_key(le) for le in leases}


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

    def keeps(self, reply: dc.Reply6 | None) -> bool:
        """`reply` is a Reply extending exactly this client's address and prefix."""
        return (reply is not None and reply.msg_type == dc.REPLY and reply.addresses() == [self.address]
                and reply.prefixes() == [f"{self.prefix}/{DELEGATED_LEN}"])


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
