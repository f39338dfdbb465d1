"""Configuration handling of the real hakea-dhcp4 process: `-t`, a bad file at start, and config-set /
config-reload over the UNIX control socket while a relay's clients are served."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import dhcp_client as dc
from tests.e2e.conftest import HAKEA_DHCP4, LEASE_CMDS, free_udp_port, write_config
from tests.e2e.ha_fixtures import RelayedServer4, relayed
from tests.e2e.lab import Procs

pytestmark = pytest.mark.e2e

SERVER = "127.0.0.2"
RELAY = "127.0.0.3"
BAD_POOL_PATH = "Dhcp4/subnet4[0]/pools[0]/pool: "


def dhcp4(workdir: Path, pool: str) -> dict[str, Any]:
    return {
        "interfaces-config": {"interfaces": [f"lo/{SERVER}"], "dhcp-socket-type": "udp"},
        "lease-database": {"type": "memfile", "name": str(workdir / "leases4.csv"), "lfc-interval": 0},
        "control-socket": {"socket-type": "unix", "socket-name": str(workdir / "ctl.sock")},
        "hooks-libraries": [{"library": LEASE_CMDS}],
        "valid-lifetime": 600,
        "subnet4": [
            {
                "id": 1,
                "subnet": "192.0.2.0/24",
                "relay": {"ip-addresses": [RELAY]},
                "pools": [{"pool": pool}],
                "option-data": [{"name": "routers", "data": "192.0.2.1"}],
            }
        ],
    }


def bad(workdir: Path) -> dict[str, Any]:
    return dhcp4(workdir, "10.9.9.1 - 10.9.9.9")  # outside the subnet


def in_range(address: str, first: str, last: str) -> bool:
    return dc.ip(first) <= dc.ip(address) <= dc.ip(last)


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=20)


# ---- hakea-dhcp4 -t -----------------------------------------------------------------------------


def test_check_accepts_a_good_config(tmp_path: Path) -> None:
    good = write_config(tmp_path / "good.conf", dhcp4(tmp_path, "192.0.2.10 - 192.0.2.20"))
    r = run(HAKEA_DHCP4, "-t", str(good))
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (tmp_path / "ctl.sock").exists() and not (tmp_path / "leases4.csv").exists()


def test_check_refuses_a_bad_config_naming_the_key(tmp_path: Path) -> None:
    path = write_config(tmp_path / "bad.conf", bad(tmp_path))
    r = run(HAKEA_DHCP4, "-t", str(path))
    assert r.returncode == 1
    assert BAD_POOL_PATH in r.stdout + r.stderr


def test_check_reports_a_syntax_error_with_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "syntax.conf"
    path.write_text('{\n  "Dhcp4": {\n    "subnet4": [ }\n}\n')
    r = run(HAKEA_DHCP4, "-t", str(path))
    assert r.returncode == 1
    assert f"{path}:3:" in r.stdout + r.stderr


def test_check_reports_an_unknown_key(tmp_path: Path) -> None:
    config = dhcp4(tmp_path, "192.0.2.10 - 192.0.2.20")
    config["subnet4"][0]["no-such-key"] = 1
    r = run(HAKEA_DHCP4, "-t", str(write_config(tmp_path / "unknown.conf", config)))
    assert r.returncode == 1
    assert "Dhcp4/subnet4[0]/no-such-key" in r.stdout + r.stderr


def test_bad_config_is_refused_at_start(tmp_path: Path) -> None:
    path = write_config(tmp_path / "bad.conf", bad(tmp_path))
    r = run(HAKEA_DHCP4, "-c", str(path), "-p", str(free_udp_port(SERVER)))
    assert r.returncode == 1
    assert BAD_POOL_PATH in r.stdout + r.stderr
    assert not (tmp_path / "ctl.sock").exists()


# ---- config-set / config-reload on a running server -----------------------------------------------


class Server(RelayedServer4):
    next_mac = 0x500

    def new_client(self) -> str:
        self.next_mac += 1
        _, ack = self.relay.dora(dc.mac_of(self.next_mac))
        assert ack.ip_option(3) == ["192.0.2.1"]
        return ack.address

    def pools(self) -> list[str]:
        answer = self.command("config-get")
        assert answer["result"] == 0, answer
        return [p["pool"] for p in answer["arguments"]["Dhcp4"]["subnet4"][0]["pools"]]


@pytest.fixture(scope="module")
def server(workdir: Path, procs: Procs) -> Iterator[Server]:
    s = Server("hakea-dhcp4", workdir, procs, {"Dhcp4": dhcp4(workdir, "192.0.2.10 - 192.0.2.19")},
               port=free_udp_port(SERVER), control_socket=workdir / "ctl.sock")  # fmt: skip
    with relayed(s, RELAY):
        yield s


def test_config_set_with_a_bad_config_keeps_the_old_one_serving(server: Server) -> None:
    assert in_range(server.new_client(), "192.0.2.10", "192.0.2.19")
    answer = server.command("config-set", {"Dhcp4": bad(server.workdir)})
    assert answer["result"] == 1
    assert BAD_POOL_PATH in answer["text"]
    assert server.pools() == ["192.0.2.10 - 192.0.2.19"]
    assert in_range(server.new_client(), "192.0.2.10", "192.0.2.19")
    test = server.command("config-test", {"Dhcp4": bad(server.workdir)})
    assert test["result"] == 1 and BAD_POOL_PATH in test["text"]
    assert server.command("config-set", {"NotDhcp4": {}})["result"] == 1
    assert server.command("config-set")["result"] == 1


def test_config_set_with_a_good_config_changes_the_pool(server: Server) -> None:
    earlier = server.new_client()
    answer = server.command("config-set", {"Dhcp4": dhcp4(server.workdir, "192.0.2.100 - 192.0.2.109")})
    assert answer["result"] == 0, answer
    assert server.pools() == ["192.0.2.100 - 192.0.2.109"]
    assert in_range(server.new_client(), "192.0.2.100", "192.0.2.109")
    # The lease store carried over: leases from the old pool are still known.
    assert server.command("lease4-get", {"ip-address": earlier})["result"] == 0
    # The control socket survived the reconfiguration it carried.
    assert server.command("status-get")["result"] == 0


def test_config_reload_and_sighup_read_the_file_again(server: Server) -> None:
    config = dhcp4(server.workdir, "192.0.2.150 - 192.0.2.159")
    write_config(server.config_path, config)
    answer = server.command("config-reload")
    assert answer["result"] == 0, answer
    assert in_range(server.new_client(), "192.0.2.150", "192.0.2.159")

    broken = copy.deepcopy(config)
    broken["subnet4"][0]["pools"][0]["pool"] = "10.9.9.1 - 10.9.9.9"
    server.config_path.write_text(json.dumps({"Dhcp4": broken}))
    answer = server.command("config-reload")
    assert answer["result"] == 1 and BAD_POOL_PATH in answer["text"]
    assert in_range(server.new_client(), "192.0.2.150", "192.0.2.159")

    config["subnet4"][0]["pools"][0]["pool"] = "192.0.2.160 - 192.0.2.169"
    write_config(server.config_path, config)
    server.signal(signal.SIGHUP)
    from tests.e2e.lab import wait_until

    wait_until(lambda: server.pools() == ["192.0.2.160 - 192.0.2.169"], 5.0, what="SIGHUP reload")
    assert in_range(server.new_client(), "192.0.2.160", "192.0.2.169")
