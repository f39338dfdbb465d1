"""The life cycle and own commands both daemons share (hakea.server.daemon_base, daemon_commands),
driven through Dhcp4Daemon and Dhcp6Daemon with no sockets: each family keeps its Kea message ids
and answers as its Kea 2.2 daemon does (kea-dhcp6 answers the own commands as kea-dhcp4 does but
for the names in the texts: tests/e2e/test_control_commands6.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hakea.server.dhcp4_daemon import Dhcp4Daemon
from hakea.server.dhcp4_daemon import check_config_file as check4
from hakea.server.dhcp6_daemon import Dhcp6Daemon
from hakea.server.dhcp6_daemon import check_config_file as check6

Daemon = Dhcp4Daemon | Dhcp6Daemon


@dataclass(frozen=True)
class Family:
    v: str
    daemon: type[Dhcp4Daemon] | type[Dhcp6Daemon]

    @property
    def section(self) -> str:
        return f"Dhcp{self.v}"

    def config(self, tmp: Path, **extra: Any) -> dict[str, Any]:
        db = {"type": "memfile", "persist": False, "name": str(tmp / f"leases{self.v}.csv")}
        if self.v == "4":
            subnet = {"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10 - 192.0.2.20"}]}
        else:
            pool = {"pool": "2001:db8:1::10-2001:db8:1::20"}
            subnet = {"id": 1, "subnet": "2001:db8:1::/64", "pools": [pool]}
        return {self.section: {"lease-database": db, f"subnet{self.v}": [subnet], **extra}}

    def make(self, tmp: Path, **extra: Any) -> Daemon:
        path = tmp / "kea.json"
        path.write_text(json.dumps(self.config(tmp, **extra)))
        return self.daemon(str(path))


V4, V6 = Family("4", Dhcp4Daemon), Family("6", Dhcp6Daemon)
BOTH = pytest.mark.parametrize("fam", [V4, V6], ids=["v4", "v6"])


async def call(daemon: Daemon, name: str, arguments: Any = None) -> dict[str, Any]:
    command: dict[str, Any] = {"command": name}
    if arguments is not None:
        command["arguments"] = arguments
    return await daemon.registry.dispatch(command)


# ---- commands: the same names, each family's texts -------------------------------------------


@BOTH
async def test_both_register_the_same_commands(fam: Family, tmp_path: Path) -> None:
    names = set(fam.make(tmp_path).registry.commands())
    own = {"config-get", "config-test", "config-set", "config-reload", "config-write", "shutdown"}
    own |= {"dhcp-disable", "dhcp-enable", "status-get", "statistic-get", "statistic-reset-all"}
    assert own <= names


@pytest.mark.parametrize(
    ("fam", "text"), [(V4, "DHCPv4 service disabled"), (V6, "DHCPv6 service disabled")], ids=["v4", "v6"]
)
async def test_dhcp_disable_names_the_family(fam: Family, text: str, tmp_path: Path) -> None:
    daemon = fam.make(tmp_path)
    assert await call(daemon, "dhcp-disable") == {"result": 0, "text": text}
    answer = await call(daemon, "dhcp-disable", {"max-period": 30, "origin": "ha-partner"})
    assert answer == {"result": 0, "text": f"{text} for 30 seconds"}
    assert daemon.network_state.origins() == ["ha-partner", "user"]
    assert await call(daemon, "dhcp-enable") == {"result": 0, "text": "DHCP service successfully enabled"}


@BOTH
async def test_config_get_has_no_text(fam: Family, tmp_path: Path) -> None:
    daemon = fam.make(tmp_path)
    await daemon.start(daemon.read_config(daemon.config_path))  # type: ignore[arg-type]
    try:
        answer = await call(daemon, "config-get")
    finally:
        await daemon.stop()
    assert list(answer) == ["arguments", "result"] and answer["result"] == 0
    assert answer["arguments"] == fam.config(tmp_path)


@BOTH
async def test_config_test_argument_checks(fam: Family, tmp_path: Path) -> None:
    daemon = fam.make(tmp_path)
    assert await call(daemon, "config-test") == {
        "result": 1,
        "text": "Missing mandatory 'arguments' parameter.",
    }
    assert await call(daemon, "config-test", {"Dhcp5": {}}) == {
        "result": 1,
        "text": f"Missing mandatory '{fam.section}' parameter.",
    }
    answer = await call(daemon, "config-test", fam.config(tmp_path))
    assert answer["result"] == 0 and answer["text"].startswith("Configuration seems sane.")


@BOTH
@pytest.mark.parametrize("command", ["config-test", "config-set"])
@pytest.mark.parametrize("value", [5, [], "x", None])
async def test_config_section_not_a_map(fam: Family, command: str, value: Any, tmp_path: Path) -> None:
    answer = await call(fam.make(tmp_path), command, {fam.section: value})
    assert answer == {"result": 1, "text": f"'{fam.section}' parameter expected to be a map."}


@BOTH
@pytest.mark.parametrize("command", ["config-test", "config-set"])
async def test_config_empty_arguments_name_the_section(fam: Family, command: str, tmp_path: Path) -> None:
    # kea-dhcp4 and kea-dhcp6 2.2 both name the missing section for "arguments": {} (seen).
    answer = await call(fam.make(tmp_path), command, {})
    assert answer == {"result": 1, "text": f"Missing mandatory '{fam.section}' parameter."}


@BOTH
async def test_config_write(fam: Family, tmp_path: Path) -> None:
    daemon = fam.make(tmp_path)
    target = tmp_path / "out.json"
    answer = await call(daemon, "config-write", {"filename": str(target)})
    size = len(target.read_bytes())
    assert answer == {
        "arguments": {"filename": str(target), "size": size},
        "result": 0,
        "text": f"Configuration written to {target} successful",
    }
    assert await call(daemon, "config-write", {"filename": 5}) == {
        "result": 1,
        "text": "passed parameter 'filename' is not a string",
    }


@BOTH
async def test_config_write_failures(fam: Family, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = str(tmp_path / "missing" / "x.json")
    caplog.set_level(logging.WARNING)
    answer = await call(fam.make(tmp_path), "config-write", {"filename": bad})
    text = f"Error during write-config:Unable to open file {bad} for writing"  # Kea 2.2's, both daemons
    assert answer == {"result": 1, "text": text}
    assert any(r.name == f"hakea.dhcp{fam.v}" and "config-write to" in r.getMessage() for r in caplog.records)
    # An empty name: the configuration file (as Kea).
    daemon = fam.make(tmp_path)
    answer = await call(daemon, "config-write", {"filename": ""})
    assert answer["result"] == 0 and answer["arguments"]["filename"] == daemon.config_path


@BOTH
async def test_status_get(fam: Family, tmp_path: Path) -> None:
    daemon = fam.make(tmp_path)
    status = (await call(daemon, "status-get"))["arguments"]
    # Kea's keys in Kea's (alphabetical) order, after hakea's own "dhcp-state".
    keys = ["dhcp-state", "multi-threading-enabled", "pid", "reload", "sockets", "uptime"]
    assert list(status) == keys and status["sockets"] == {"status": "ready"}  # none configured
    assert status["dhcp-state"] == {"disabled-by": [], "enabled": True}


@BOTH
async def test_status_get_sockets_failed_when_configured_interfaces_are_not_open(
    fam: Family, tmp_path: Path
) -> None:
    daemon = fam.make(tmp_path, **{"interfaces-config": {"interfaces": ["eth9"]}})
    await daemon.start(daemon.read_config(daemon.config_path))  # type: ignore[arg-type]  # eth9 does not exist: skipped
    try:
        assert daemon.sockets == []
        status = (await call(daemon, "status-get"))["arguments"]
    finally:
        await daemon.stop()
    assert status["sockets"] == {"status": "failed"}


@BOTH
async def test_shutdown_command_stops_the_daemon(fam: Family, tmp_path: Path) -> None:
    daemon = fam.make(tmp_path)
    assert await call(daemon, "shutdown") == {"result": 0, "text": "Shutting down."}
    await asyncio.wait_for(daemon.wait_stopped(), 1)


# ---- the life cycle ----------------------------------------------------------------------------


@BOTH
async def test_apply_reload_and_rollback(
    fam: Family, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from hakea.server.dhcp4_daemon import read_config as read4
    from hakea.server.dhcp6_daemon import read_config as read6

    caplog.set_level(logging.INFO)
    daemon = fam.make(tmp_path)
    config = (read4 if fam.v == "4" else read6)(daemon.config_path)
    await daemon.start(config)  # type: ignore[arg-type]
    try:
        assert daemon.store is not None and daemon.engine is not None and daemon.sockets == []
        complete = [r.getMessage() for r in caplog.records if "CONFIG_COMPLETE" in r.getMessage()]
        assert complete and complete[-1].startswith(f"DHCP{fam.v}_CONFIG_COMPLETE 1 subnet(s), 0 lease(s), ")
        assert complete[-1].endswith("listening on none")
        assert daemon.stats.get(f"pkt{fam.v}-received") is not None
        store = daemon.store
        assert await call(daemon, "config-reload") == {"result": 0, "text": "Configuration successful."}
        assert daemon.store is store  # the same lease file: the store is kept

        running = daemon.config
        bad = fam.config(tmp_path)
        bad[fam.section]["lease-database"]["type"] = "mysql"
        answer = await call(daemon, "config-set", bad)
        assert answer["result"] == 1 and answer["text"].startswith("Configuration rejected: ")
        assert f"Dhcp{fam.v}/lease-database/type" in answer["text"]
        assert daemon.config is running and daemon.store is store

        Path(daemon.config_path).write_text("{")
        answer = await call(daemon, "config-reload")
        assert answer["result"] == 1 and answer["text"].startswith("Config reload failed: ")
        assert daemon.config is running
    finally:
        await daemon.stop()


@BOTH
async def test_control_socket_follows_the_configuration(fam: Family, tmp_path: Path) -> None:
    from hakea.server.dhcp4_daemon import read_config as read4
    from hakea.server.dhcp6_daemon import read_config as read6

    sock = str(tmp_path / "ctl")
    daemon = fam.make(tmp_path, **{"control-socket": {"socket-type": "unix", "socket-name": sock}})
    await daemon.start((read4 if fam.v == "4" else read6)(daemon.config_path))  # type: ignore[arg-type]
    try:
        server = daemon.unix_server
        assert server is not None and server.path == sock
        assert (await call(daemon, "config-reload"))["result"] == 0
        assert daemon.unix_server is server  # unchanged path: kept, the answer goes out on it
        assert (await call(daemon, "config-set", fam.config(tmp_path)))["result"] == 0
        assert daemon.unix_server is None
    finally:
        await daemon.stop()


# ---- timers ------------------------------------------------------------------------------------


class _Engine:
    def __init__(self, reclaimed: list[Any] | Exception, flushed: list[Any] | Exception) -> None:
        self.reclaimed, self.flushed = reclaimed, flushed

    def reclaim_expired(self, now: float) -> list[Any]:
        if isinstance(self.reclaimed, Exception):
            raise self.reclaimed
        return self.reclaimed

    def flush_reclaimed(self, now: float) -> list[Any]:
        if isinstance(self.flushed, Exception):
            raise self.flushed
        return self.flushed


class _HA:
    def __init__(self) -> None:
        self.commits: list[tuple[Any, Any]] = []

    def commit(self, changes: Any, query: Any, now: float) -> None:
        self.commits.append((changes, query))


@BOTH
async def test_failing_timer_passes_are_logged_and_rescheduled(
    fam: Family, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = fam.make(tmp_path)
    daemon.engine = _Engine(RuntimeError("disk full"), RuntimeError("gone"))  # type: ignore[assignment]
    try:
        daemon._reclaim_tick()
        daemon._flush_tick()
        messages = [r.getMessage() for r in caplog.records if r.name == f"hakea.dhcp{fam.v}"]
        assert f"ALLOC_ENGINE_V{fam.v}_LEASES_RECLAIMATION_FAILED disk full" in messages
        assert f"ALLOC_ENGINE_V{fam.v}_RECLAIMED_LEASES_DELETE_FAILED gone" in messages
        assert len(daemon._timers) == 2  # both passes come again
    finally:
        for t in daemon._timers:
            t.cancel()


async def test_reclaimed_leases_go_to_the_partner_in_v6_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for fam in (V4, V6):
        daemon = fam.make(tmp_path)
        daemon.engine = _Engine([], ["flushed"])  # type: ignore[assignment]
        daemon.ha = _HA()
        daemon._reclaim_tick()  # nothing reclaimed: nothing counted, logged or sent
        daemon._flush_tick()
        for t in daemon._timers:
            t.cancel()
        sent = daemon.ha.commits
        assert sent == ([] if fam.v == "4" else [(["flushed"], None)])
    messages = [r.getMessage() for r in caplog.records]
    assert "DHCPSRV_MEMFILE_DELETE_EXPIRED_RECLAIMED4 1 lease(s)" in messages
    assert not any("RECLAIMATION_COMPLETE" in m for m in messages)


# ---- the process: -c FILE, -t FILE ------------------------------------------------------------


@BOTH
async def test_start_failures_are_kea_init_fail(
    fam: Family, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from hakea.server.daemon_base import _main
    from hakea.server.dhcp4_daemon import read_config as read4
    from hakea.server.dhcp6_daemon import read_config as read6

    read = read4 if fam.v == "4" else read6
    path = tmp_path / "kea.json"
    path.write_text("{")
    assert await _main(fam.daemon, read, str(path), None, None) == 1
    config = fam.config(tmp_path)
    config[fam.section]["lease-database"]["type"] = "mysql"  # loads, but cannot be put in place
    path.write_text(json.dumps(config))
    assert await _main(fam.daemon, read, str(path), None, None) == 1
    logged = [r.getMessage() for r in caplog.records if r.name == f"hakea.dhcp{fam.v}"]
    assert logged[0].startswith(f"DHCP{fam.v}_INIT_FAIL configuration refused: ")
    assert logged[1].startswith(f"DHCP{fam.v}_INIT_FAIL Dhcp{fam.v}/lease-database/type")


@pytest.mark.parametrize(("fam", "check"), [(V4, check4), (V6, check6)], ids=["v4", "v6"])
def test_check_config_file(
    fam: Family, check: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(fam.config(tmp_path)))
    assert check(str(good)) == 0
    assert capsys.readouterr().out == f"configuration {good} is valid\n"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({fam.section: {"subnet" + fam.v: 5}}))
    assert check(str(bad)) == 1
    assert capsys.readouterr().err.startswith("configuration check failed: ")
