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
  bench6.py sync   FLAVOR LEASES [FILL]            time a hot-standby resync of LEASES leases:
                                                   restart the primary empty while the standby
                                                   holds them, until both are hot-standby again
FLAVOR: kea | hakea | base | both (sync and max only: kea then hakea).
MODE: standalone | hot-standby | load-balancing.
FILL (sync): "file" (default) writes LEASES leases into the standby's lease file before it starts;
"perfdhcp" fills the pair through DHCP at 2000/s.

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
perfdhcp reports as completed, "sys_us" its system part, "rcvbuf_drops" (Udp6RcvbufErrors counted
in each namespace during the run: cl is perfdhcp) and "server_drops" / "server_received" (each
server's pkt6-receive-drop / pkt6-received): the machine is shared, compare figures from the same
invocation only. What DHCPv6 needs is here (configuration, perfdhcp -6 targets, the memfile CSV);
the lab, the servers and the commands are benchlab.py's, shared with bench4.py.
"""
from __future__ import annotations

from typing import Any

import benchlab  # bench/, the script's own directory, is first on sys.path

LEASE_HEADER = ("address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,"
                "fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source\n")
PREFIX = "2001:db8:1::"


def config(mode: str, name: str, work: str) -> dict[str, Any]:
    """A Kea 2.2 DHCPv6 configuration for server NAME (server1/server2) in MODE, its files in WORK."""
    idx = name[-1]
    # Pool well away from the servers' and perfdhcp's own addresses (::1 - ::10).
    subnet: dict[str, Any] = {"id": 1, "subnet": f"{PREFIX}/64", "interface": "eth0",
                              "pools": [{"pool": f"{PREFIX}1:0 - {PREFIX}ffff:ffff"}]}
    d: dict[str, Any] = {
        "interfaces-config": {"interfaces": [f"eth0/{PREFIX}{idx}"]},
        "server-id": {"type": "LL", "htype": 1, "identifier": f"02000000000{idx}", "persist": False},
        "preferred-lifetime": 3000, "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000,
        "subnet6": [subnet],
        **benchlab.server_config(6, name, work),
    }
    if mode == "standalone":
        return {"Dhcp6": d}
    benchlab.add_ha(d, mode, name)
    if mode == "hot-standby":
        subnet["pools"][0]["client-class"] = "HA_server1"
    else:
        subnet["pools"] = [
            {"pool": f"{PREFIX}1:0 - {PREFIX}7fff:ffff", "client-class": "HA_server1"},
            {"pool": f"{PREFIX}8000:0 - {PREFIX}ffff:ffff", "client-class": "HA_server2"}]
    return {"Dhcp6": d}


def lease_row(i: int, expire: int) -> str:
    """Client I's address lease in subnet 1: PREFIX 1:0 + I, DUID-LL of MAC 02:00:<I>, iaid I."""
    a = 0x10000 + i
    mac = ":".join(f"{b:02x}" for b in (0x02, 0x00, *((i >> s) & 0xFF for s in (24, 16, 8, 0))))
    return (f"{PREFIX}{a >> 16:x}:{a & 0xFFFF:x},00:03:00:01:{mac},4000,{expire},1,3000,0,"
            f"{i & 0xFFFF},128,0,0,,{mac},0,,1,0\n")


FAMILY = benchlab.Family(
    v=6, config=config,
    perfdhcp_flags=("-6", "-A", "1"),  # -A 1: every query in a Relay-forw, like a relay would
    server_address=lambda idx: f"{PREFIX}{idx}",
    load_balancing_target="all",  # All_DHCP_Relay_Agents_and_Servers (ff02::1:2)
    snmp=("/proc/net/snmp6", "Udp6"),
    lease_header=LEASE_HEADER, lease_row=lease_row,
    lease_key=(0, 6), lifetime_column=2,  # (address, lease_type), valid_lifetime
    probe_ready=True,
)

if __name__ == "__main__":
    benchlab.main(FAMILY, __doc__)
