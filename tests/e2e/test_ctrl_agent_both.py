"""A control agent fronting both a DHCPv4 and a DHCPv6 daemon, as in the manual's "Control Agent
Configuration" example (one "Control-agent" with "control-sockets" for "dhcp4" and "dhcp6", UNIX).

Real processes: hakea-dhcp4 and hakea-dhcp6 with their UNIX control sockets, hakea-ctrl-agent on
loopback, and -- when installed -- Debian's kea-ctrl-agent 2.2 with the same configuration beside
it, so every answer of hakea's agent is checked against Kea's. Commands go over plain HTTP and
through ISC's kea-shell. "service": ["dhcp4"] and ["dhcp6"] each get a list of one answer from the
named daemon; ["dhcp4", "dhcp6"] a list of two, in that order. A daemon that is gone gives Kea's
"unable to forward command to the dhcp6 service: ..." answer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LEASE_CMDS, ctl, free_tcp_port, free_udp_port, need
from tests.e2e.dhcp6_fixtures import Server6, dhcp6_config, free_udp6_port
from tests.e2e.lab import VENV_BIN, Procs, wait_until

pytestmark = pytest.mark.e2e

AGENT_HOST = "127.0.0.1"
DHCP4_ADDRESS = "127.0.0.2"


@dataclass
class Setup:
    procs: Procs
    workdir: Path
    dhcp4: subprocess.Popen[bytes]
    dhcp6: Server6
    sockets: dict[str, Path]
    agents: dict[str, int]  # "hakea" / "kea" -> HTTP port

    def post(self, body: dict[str, Any], agent: str = "hakea") -> Any:
        url = f"http://{AGENT_HOST}:{self.agents[agent]}/"
        req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def shell(self, command: str, *services: str, arguments: str = "", agent: str = "hakea") -> Any:
        """ISC's kea-shell: arguments come on stdin without their outer braces."""
        argv = ["kea-shell", "--host", AGENT_HOST, "--port", str(self.agents[agent]), "--timeout", "10"]
        for service in services:
            argv += ["--service", service]
        done = subprocess.run([*argv, command], input=arguments, capture_output=True, text=True, timeout=20)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def agent_config(port: int, sockets: dict[str, Path]) -> dict[str, Any]:
    """The manual's example: only the address, port and socket paths differ."""
    return {
        "Control-agent": {
            "http-host": AGENT_HOST,
            "http-port": port,
            "control-sockets": {
                service: {"socket-type": "unix", "socket-name": str(path)}
                for service, path in sockets.items()
            },
        }
    }


def start_agent(procs: Procs, workdir: Path, program: str, sockets: dict[str, Path]) -> int:
    port = free_tcp_port()
    path = workdir / f"ca-{program}.conf"
    path.write_text(json.dumps(agent_config(port, sockets), indent=2))
    if program == "kea":
        env = {"KEA_PIDFILE_DIR": str(workdir), "KEA_LOCKFILE_DIR": str(workdir)}
        proc = procs.start("ca-kea-ctrl-agent", ["kea-ctrl-agent", "-c", str(path)], env=env)
    else:
        proc = procs.start("ca-hakea-ctrl-agent", [str(VENV_BIN / "hakea-ctrl-agent"), "-c", str(path)])

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"{program} agent exited: {procs.log(f'ca-{program}-ctrl-agent')[-2000:]}")
        try:
            body = json.dumps({"command": "status-get"}).encode()
            req = urllib.request.Request(f"http://{AGENT_HOST}:{port}/", data=body,
                                         headers={"Content-Type": "application/json"})  # fmt: skip
            with urllib.request.urlopen(req, timeout=1) as r:
                return bool(json.loads(r.read())[0]["result"] == 0)
        except OSError:
            return False

    wait_until(up, 15.0, interval=0.1, what=f"{program} control agent")
    return port


@pytest.fixture(scope="module")
def setup(workdir: Path, procs: Procs) -> Iterator[Setup]:
    need("kea-shell")
    sockets = {"dhcp4": workdir / "ca-dhcp4.sock", "dhcp6": workdir / "ca-dhcp6.sock"}
    dhcp4_conf = workdir / "ca-dhcp4.json"
    dhcp4_conf.write_text(json.dumps({"Dhcp4": {
        "interfaces-config": {"interfaces": [f"lo/{DHCP4_ADDRESS}"], "dhcp-socket-type": "udp"},
        "control-socket": {"socket-type": "unix", "socket-name": str(sockets["dhcp4"])},
        "lease-database": {"type": "memfile", "name": str(workdir / "ca-leases4.csv"), "lfc-interval": 0},
        "hooks-libraries": [{"library": LEASE_CMDS}],
        "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.200"}]}],
    }}))  # fmt: skip
    dhcp4 = procs.start("ca-hakea-dhcp4", [str(VENV_BIN / "hakea-dhcp4"), "-c", str(dhcp4_conf), "-d",
                                           "-p", str(free_udp_port(DHCP4_ADDRESS))])  # fmt: skip
    subnet6 = {"id": 1, "subnet": "2001:db8:1::/64", "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}]}
    config6 = dhcp6_config(workdir, "ca-dhcp6", interfaces=["lo/::1"], subnets=[subnet6],
                           control_socket=sockets["dhcp6"])  # fmt: skip
    dhcp6 = Server6("ca-hakea-dhcp6", workdir, procs, config6, port=free_udp6_port(),
                    control_socket=sockets["dhcp6"]).start()  # fmt: skip
    wait_until(lambda: ctl(sockets["dhcp4"], "status-get", timeout=1.0)["result"] == 0
               if sockets["dhcp4"].exists() else False, 10.0, what="hakea-dhcp4 control socket")  # fmt: skip
    agents = {"hakea": start_agent(procs, workdir, "hakea", sockets)}
    if shutil.which("kea-ctrl-agent"):
        agents["kea"] = start_agent(procs, workdir, "kea", sockets)
    try:
        yield Setup(procs, workdir, dhcp4, dhcp6, sockets, agents)
    finally:
        for p in reversed(procs.procs):
            procs.kill(p, signal.SIGTERM)


def pid_of(answer: dict[str, Any]) -> int:
    assert answer["result"] == 0, answer
    return int(answer["arguments"]["pid"])


def commands_of(answer: dict[str, Any]) -> set[str]:
    assert answer["result"] == 0, answer
    return set(answer["arguments"])


def test_one_service_each_over_http(setup: Setup) -> None:
    assert setup.dhcp6.proc is not None
    for service, pid in (("dhcp4", setup.dhcp4.pid), ("dhcp6", setup.dhcp6.proc.pid)):
        answer = setup.post({"command": "status-get", "service": [service]})
        assert isinstance(answer, list) and len(answer) == 1, answer
        assert pid_of(answer[0]) == pid
    # each command reaches the daemon of its family only
    v4 = commands_of(setup.post({"command": "list-commands", "service": ["dhcp4"]})[0])
    v6 = commands_of(setup.post({"command": "list-commands", "service": ["dhcp6"]})[0])
    assert "lease4-get-all" in v4 and "lease6-get-all" not in v4
    assert "lease6-get-all" in v6 and "lease4-get-all" not in v6
    added = setup.post({"command": "lease6-add", "service": ["dhcp6"], "arguments": {
        "ip-address": "2001:db8:1::150", "duid": "00:03:00:01:02:00:00:00:00:50", "iaid": 1, "subnet-id": 1,
    }})  # fmt: skip
    assert added == [{"result": 0, "text": "Lease for address 2001:db8:1::150, subnet-id 1 added."}]
    assert setup.dhcp6.lease("2001:db8:1::150") is not None


def test_both_services_give_a_list_of_two_in_order(setup: Setup) -> None:
    assert setup.dhcp6.proc is not None
    both = setup.post({"command": "status-get", "service": ["dhcp4", "dhcp6"]})
    assert isinstance(both, list) and len(both) == 2, both
    assert [pid_of(a) for a in both] == [setup.dhcp4.pid, setup.dhcp6.proc.pid]
    reverse = setup.post({"command": "status-get", "service": ["dhcp6", "dhcp4"]})
    assert [pid_of(a) for a in reverse] == [setup.dhcp6.proc.pid, setup.dhcp4.pid]
    # a family's command sent to both: the other daemon answers "not supported"
    mixed = setup.post({"command": "lease6-get-all", "service": ["dhcp4", "dhcp6"]})
    assert mixed[0] == {"result": 2, "text": "'lease6-get-all' command not supported."}
    assert mixed[1]["result"] == 0 and len(mixed[1]["arguments"]["leases"]) >= 1


def test_kea_shell_through_the_agent(setup: Setup) -> None:
    assert setup.dhcp6.proc is not None
    one = setup.shell("status-get", "dhcp6")
    assert len(one) == 1 and pid_of(one[0]) == setup.dhcp6.proc.pid
    two = setup.shell("status-get", "dhcp4", "dhcp6")
    assert [pid_of(a) for a in two] == [setup.dhcp4.pid, setup.dhcp6.proc.pid]
    got = setup.shell("lease6-get", "dhcp6", arguments='"ip-address": "2001:db8:1::150"')
    assert got[0]["result"] == 0 and got[0]["arguments"]["duid"] == "00:03:00:01:02:00:00:00:00:50"
    v4 = setup.shell("lease4-get", "dhcp4", arguments='"ip-address": "192.0.2.77"')
    assert v4 == [{"result": 3, "text": "Lease not found."}]
    # no service: the agent itself answers
    own = setup.shell("list-commands")
    assert own[0]["result"] == 0 and "config-get" in own[0]["arguments"]


def test_same_answers_as_kea_ctrl_agent(setup: Setup) -> None:
    if "kea" not in setup.agents:
        pytest.skip("kea-ctrl-agent is not installed")
    for body in (
        {"command": "list-commands", "service": ["dhcp4", "dhcp6"]},
        {"command": "lease6-get", "service": ["dhcp6"], "arguments": {"ip-address": "2001:db8:1::150"}},
        {"command": "lease6-get-all", "service": ["dhcp4", "dhcp6"]},
        {"command": "lease4-get", "service": ["dhcp6", "dhcp4"], "arguments": {"ip-address": "192.0.2.7"}},
        {"command": "version-get", "service": ["d2"]},
    ):
        assert setup.post(body) == setup.post(body, "kea"), body


def test_a_missing_daemon(setup: Setup) -> None:
    # kill -9: the socket file stays, nobody listens on it
    assert setup.dhcp6.proc is not None
    setup.procs.kill(setup.dhcp6.proc, signal.SIGKILL)
    assert setup.sockets["dhcp6"].exists()
    refused = ("unable to forward command to the dhcp6 service: Connection refused."
               " The server is likely to be offline")  # fmt: skip
    body = {"command": "status-get", "service": ["dhcp4", "dhcp6"]}
    answers = setup.post(body)
    assert pid_of(answers[0]) == setup.dhcp4.pid
    assert answers[1] == {"result": 1, "text": refused}
    assert setup.shell("status-get", "dhcp6") == [{"result": 1, "text": refused}]
    if "kea" in setup.agents:
        assert setup.post(body, "kea")[1] == answers[1]
    # and no socket file at all
    os.unlink(setup.sockets["dhcp6"])
    missing = ("unable to forward command to the dhcp6 service: No such file or directory."
               " The server is likely to be offline")  # fmt: skip
    assert setup.post({"command": "status-get", "service": ["dhcp6"]}) == [{"result": 1, "text": missing}]
    if "kea" in setup.agents:
        assert setup.post({"command": "status-get", "service": ["dhcp6"]}, "kea") == [
            {"result": 1, "text": missing}
        ]
    # the other daemon is served as before
    assert pid_of(setup.shell("status-get", "dhcp4")[0]) == setup.dhcp4.pid
