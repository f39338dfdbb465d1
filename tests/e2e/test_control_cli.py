"""The `hakea` operator CLI against a running hakea-dhcp4: tables by default, --json for scripts,
the exit status is the answer's result code.

The daemon serves its HA peer URL (one-server hot-standby, standby absent -> partner-down) with
basic auth; the CLI reaches it there (--url, --user/--password) and over the UNIX control socket
(--socket). Leases are added, listed (paged with lease4-get-page), shown and deleted through the CLI
and cross-checked with plain HTTP commands.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import free_tcp_port, start_hakea
from tests.e2e.control_helpers import Http, dhcp4_config, ha_one_server, hakea_cli, write_json
from tests.e2e.lab import Procs, wait_until

pytestmark = pytest.mark.e2e

HOST = "127.0.0.1"
USER, PASSWORD = "operator", "op-pass"
HW = "02:00:00:00:0c:01"


@dataclass
class Setup:
    url: str
    sock: Path
    pid: int
    http: Http

    def cli(self, *args: str, auth: bool = True) -> tuple[int, str]:
        creds = ("--user", USER, "--password", PASSWORD) if auth else ()
        done = hakea_cli("--url", self.url, *creds, *args)
        return done.returncode, done.stdout + done.stderr

    def cli_socket(self, *args: str) -> tuple[int, str]:
        done = hakea_cli("--socket", str(self.sock), *args)
        return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def setup(workdir: Path, procs: Procs) -> Iterator[Setup]:
    port = free_tcp_port()
    creds = {"basic-auth-user": USER, "basic-auth-password": PASSWORD}
    hook = ha_one_server(
        f"http://{HOST}:{port}/", f"http://{HOST}:{free_tcp_port()}/", this=creds, partner=creds
    )
    config = dhcp4_config(workdir, "cli", hooks=[hook])
    sock = workdir / "cli.sock"
    proc = start_hakea(procs, "hakea-cli", write_json(workdir / "cli.json", config), sock)
    http = Http(HOST, port, auth=(USER, PASSWORD))
    wait_until(lambda: ha_state(http) == "partner-down", 15.0, interval=0.2, what="partner-down")
    try:
        yield Setup(f"http://{HOST}:{port}/", sock, proc.pid, http)
    finally:
        http.close()


def ha_state(http: Http) -> str:
    return str(http.command("ha-heartbeat")["arguments"]["state"])


def table(output: str) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the CLI's aligned table (two or more blanks between columns)."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert set(lines[1].replace(" ", "")) == {"-"}, lines[:2]
    split = [re.split(r" {2,}", line.strip()) for line in lines]
    return split[0], split[2:]


def test_status_table_and_json(setup: Setup) -> None:
    code, out = setup.cli("status")
    assert code == 0, out
    fields = dict(re.split(r" {2,}", line.strip(), maxsplit=1) for line in out.split("\n\n")[0].splitlines())
    assert fields["pid"] == str(setup.pid) and fields["sockets"] == "ready"
    assert fields["multi-threading-enabled"] == "False" and int(fields["uptime"]) >= 0
    assert fields["dhcp-state"] == "enabled"
    headers, rows = table(out.split("\n\n")[1])
    assert headers == ["mode", "server", "role", "state", "scopes", "partner"]
    assert rows[0] == ["hot-standby", "local", "primary", "partner-down", "server1"], rows
    assert rows[1][:3] == ["remote", "standby", "unavailable"], rows
    assert rows[1][3].startswith("in touch, interrupted, age "), rows  # Kea 2.2's in-touch is true here
    code, out = setup.cli("--json", "status")
    answer = json.loads(out)
    assert code == 0 and answer["result"] == 0 and answer["arguments"]["pid"] == setup.pid
    assert isinstance(answer, dict) and list(answer) == ["arguments", "result"]  # one answer, not a list
    ha = answer["arguments"]["high-availability"][0]
    assert ha["ha-mode"] == "hot-standby" and ha["ha-servers"]["local"]["state"] == "partner-down"


def test_wrong_password_is_refused(setup: Setup) -> None:
    done = hakea_cli("--url", setup.url, "--user", USER, "--password", "nope", "status")
    assert done.returncode == 1 and "401" in done.stdout + done.stderr, done
    done = hakea_cli("--url", setup.url, "status")
    assert done.returncode == 1 and "401" in done.stdout + done.stderr, done


def test_leases_add_get_list_del(setup: Setup) -> None:
    setup.http.command("lease4-wipe")
    code, out = setup.cli("leases", "add", "192.0.2.50", "--hw-address", HW, "--hostname", "cli.example.org",
                          "--valid-lft", "3600")  # fmt: skip
    assert (code, out) == (0, "Lease for address 192.0.2.50, subnet-id 1 added.\n")
    code, out = setup.cli("leases", "add", "192.0.2.50", "--hw-address", HW)
    assert (code, out) == (1, "IPv4 lease already exists.\n")
    code, out = setup.cli("leases", "add", "192.0.2.51")
    assert code == 2 and "--hw-address is required" in out
    for n, address in enumerate(("192.0.2.52", "192.0.2.53", "10.0.0.7")):
        code, out = setup.cli_socket("leases", "add", address, "--hw-address", f"02:00:00:00:0d:0{n}",
                                     "--client-id", f"01:02:03:0{n}")  # fmt: skip
        assert code == 0, out
    # The lease as the server has it (plain HTTP), and as the CLI shows it.
    stored = setup.http.command("lease4-get", {"ip-address": "192.0.2.50"})["arguments"]
    assert stored["hostname"] == "cli.example.org" and stored["valid-lft"] == 3600
    code, out = setup.cli("leases", "get", "192.0.2.50")
    assert code == 0
    fields = dict(re.split(r" {2,}", line.strip(), maxsplit=1) for line in out.splitlines())
    assert fields["ip-address"] == "192.0.2.50" and fields["hw-address"] == HW
    assert fields["hostname"] == "cli.example.org" and fields["cltt"] == str(stored["cltt"])
    code, out = setup.cli("--json", "leases", "get", "192.0.2.50")
    assert code == 0 and json.loads(out) == {"arguments": stored, "result": 0, "text": "IPv4 lease found."}
    code, out = setup.cli("leases", "get", "192.0.2.99")
    assert (code, out) == (3, "Lease not found.\n")
    code, out = setup.cli("--json", "leases", "get", "bad")
    assert (
        code == 1 and json.loads(out)["text"] == "Failed to convert string to address 'bad': Invalid argument"
    )

    # list: pages of 2 (lease4-get-page), address order, the table and the JSON agree.
    code, out = setup.cli("leases", "list", "--page-size", "2")
    assert code == 0, out
    headers, rows = table("\n".join(out.splitlines()[:-1]))
    assert headers == [
        "address",
        "hw-address",
        "client-id",
        "subnet",
        "valid-lft",
        "expires",
        "state",
        "hostname",
    ]
    assert [r[0] for r in rows] == ["10.0.0.7", "192.0.2.50", "192.0.2.52", "192.0.2.53"]
    assert out.splitlines()[-1] == "4 lease(s)"
    row = rows[1]
    assert row[:2] == ["192.0.2.50", HW] and row[-2:] == ["default", "cli.example.org"]
    expires = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stored["cltt"] + 3600))
    assert expires in row, row
    code, out = setup.cli("--json", "leases", "list", "--page-size", "3")
    listed = json.loads(out)
    assert code == 0 and listed["result"] == 0 and listed["text"] == "4 IPv4 lease(s) found."
    assert listed["arguments"]["count"] == 4
    every = setup.http.command("lease4-get-all")["arguments"]["leases"]
    assert listed["arguments"]["leases"] == every
    code, out = setup.cli("--json", "leases", "list", "--subnet-id", "2")
    assert code == 0 and [x["ip-address"] for x in json.loads(out)["arguments"]["leases"]] == ["10.0.0.7"]
    code, out = setup.cli("leases", "list", "--limit", "1")
    assert code == 0 and out.splitlines()[-1] == "1 lease(s)"

    # del, over HTTP and over the socket; exit status = result code.
    code, out = setup.cli("leases", "del", "192.0.2.50")
    assert (code, out) == (0, "IPv4 lease deleted.\n")
    code, out = setup.cli_socket("--json", "leases", "del", "192.0.2.50")
    assert (code, json.loads(out)) == (3, {"result": 3, "text": "IPv4 lease not found."})
    assert setup.http.command("lease4-get", {"ip-address": "192.0.2.50"})["result"] == 3
    setup.http.command("lease4-wipe")
    code, out = setup.cli("leases", "list")
    assert (code, out.splitlines()[-1]) == (3, "0 lease(s)")


def test_ha_status_table_and_json(setup: Setup) -> None:
    code, out = setup.cli("ha", "status")
    assert code == 0, out
    headers, rows = table(out)
    assert headers == ["mode", "server", "role", "state", "scopes", "partner"]
    assert rows[0] == ["hot-standby", "local", "primary", "partner-down", "server1"], rows
    assert rows[1][:3] == ["remote", "standby", "unavailable"] and "interrupted" in rows[1][3], rows
    code, out = setup.cli_socket("--json", "ha", "status")
    answer = json.loads(out)
    assert code == 0 and answer["result"] == 0
    status = setup.http.command("status-get")["arguments"]["high-availability"]
    got = answer["arguments"]["high-availability"]
    assert [r["ha-servers"]["local"] for r in got] == [r["ha-servers"]["local"] for r in status]


def test_ha_status_without_ha(workdir: Path, procs: Procs) -> None:
    """A daemon without libdhcp_ha.so: `hakea ha status` says so, exit 3 (empty)."""
    config = dhcp4_config(workdir, "cli-noha")
    sock = workdir / "cli-noha.sock"
    proc = start_hakea(procs, "hakea-cli-noha", write_json(workdir / "cli-noha.json", config), sock)
    try:
        done = hakea_cli("--socket", str(sock), "ha", "status")
        assert (done.returncode, done.stdout) == (3, "HA is not configured on this server.\n")
        done = hakea_cli("--socket", str(sock), "--json", "ha", "status")
        assert json.loads(done.stdout) == {"result": 3, "text": "HA is not configured on this server."}
    finally:
        procs.kill(proc, 15)
