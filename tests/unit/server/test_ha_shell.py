"""hakea.server.ha_shell through its two adapters (HA4Adapter, HA6Adapter) with a stub HTTP client:
both count the same ha-* statistics (lease updates, heartbeats, sync pages), merge synced pages into
their own lease store, release parked answers, and answer waiting HA commands when stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hakea.config.errors import ConfigError
from hakea.config.model import Dhcp4Config, HookLibrary
from hakea.config.model6 import Dhcp6Config
from hakea.control.errors import ConnectError, TransportError
from hakea.control.http_server import HttpCommandServer
from hakea.control.registry import CommandRegistry
from hakea.dhcp4.decision import LeaseChange
from hakea.dhcp6.decision6 import LeaseChange6
from hakea.ha.communication import format_rfc1123
from hakea.ha.states import State
from hakea.leases.json4 import lease4_to_json
from hakea.leases.json6 import lease6_to_json
from hakea.leases.memfile4 import MemfileLeaseStore4
from hakea.leases.memory6 import MemoryLeaseStore6
from hakea.leases.model import Lease4
from hakea.leases.model6 import Lease6, LeaseType
from hakea.server.ha4 import HA4Adapter
from hakea.server.ha6 import HA6Adapter
from hakea.server.ha_shell import ha_config_of
from hakea.server.network_state import NetworkState
from hakea.server.stats import Statistics

HA_LIB = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so"
OK = [{"result": 0, "text": "ok"}]
Done = Callable[[Any, TransportError | None], None]


class StubClient:
    """HttpCommandClient's post_command_nowait / close; the test answers each request."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], Done]] = []

    def post_command_nowait(self, url: str, command: dict[str, Any], timeout: float, done: Done) -> None:
        self.sent.append((command, done))

    async def close(self) -> None:
        pass

    def take(self, name: str) -> tuple[dict[str, Any], Done]:
        for item in self.sent:
            if item[0]["command"] == name:
                self.sent.remove(item)
                return item
        raise AssertionError(f"no {name}; sent: {[c['command'] for c, _ in self.sent]}")


class FakeDaemon:
    def __init__(self, store: Any) -> None:
        self.registry = CommandRegistry()
        self.http_servers: list[HttpCommandServer] = []
        self.network_state = NetworkState()
        self.stats = Statistics()
        self.store = store


def hooks(me: str) -> tuple[HookLibrary, ...]:
    peers = [
        {"name": "server1", "url": "http://192.0.2.1:8000/", "role": "primary"},
        {"name": "server2", "url": "http://192.0.2.2:8000/", "role": "standby"},
    ]
    entry = {"this-server-name": me, "mode": "hot-standby", "peers": peers, "heartbeat-delay": 1000,
             "max-response-delay": 1000, "sync-page-limit": 2}  # fmt: skip
    return (HookLibrary(HA_LIB, {"high-availability": [entry]}),)


def lease4(i: int, cltt: int) -> Lease4:
    return Lease4(0x0A000000 + i, bytes([2, 0, 0, 0, 0, i]), b"", 3600, cltt, 1)


def lease6(i: int, cltt: int) -> Lease6:
    return Lease6(0x20010DB8000100000000000000000000 + i, bytes([0, 3, 0, 1, 2, 0, 0, 0, 0, i]), 1, 4000,
                  3000, cltt, 1, LeaseType.NA, 128)  # fmt: skip


def adapter(family: int, me: str, tmp_path: Path) -> tuple[HA4Adapter | HA6Adapter, StubClient, FakeDaemon]:
    ha: HA4Adapter | HA6Adapter
    if family == 4:
        daemon = FakeDaemon(MemfileLeaseStore4(tmp_path / f"{me}.csv", persist=False, lfc_interval=0))
        ha = HA4Adapter(daemon, Dhcp4Config(hooks_libraries=hooks(me)))  # type: ignore[arg-type]
    else:
        daemon = FakeDaemon(MemoryLeaseStore6())
        ha = HA6Adapter(daemon, Dhcp6Config(hooks_libraries=hooks(me)))  # type: ignore[arg-type]
    client = StubClient()
    ha.client = client  # type: ignore[assignment]
    return ha, client, daemon


def change(family: int, i: int, cltt: int) -> Any:
    return LeaseChange("new", lease4(i, cltt)) if family == 4 else LeaseChange6("new", lease6(i, cltt))


def count(daemon: FakeDaemon, name: str) -> int | None:
    return daemon.stats.get(name)


@pytest.mark.parametrize("family", [4, 6])
async def test_updates_and_heartbeats_are_counted_in_both_families(family: int, tmp_path: Path) -> None:
    ha, client, daemon = adapter(family, "server1", tmp_path)
    now = ha._now()
    ha._execute(ha.core.start(now))
    ha._execute(ha.core.transition(State.HOT_STANDBY, now))
    update = "lease4-update" if family == 4 else "lease6-bulk-apply"

    parked = ha.commit([change(family, 1, int(now))], None, now)
    assert parked is not None and ha.parked == 1
    _, done = client.take(update)
    done(OK, None)
    assert parked.result() is True and ha.parked == 0
    assert count(daemon, "ha-lease-updates-sent") == 1

    parked = ha.commit([change(family, 2, int(now))], None, now)
    assert parked is not None
    _, done = client.take(update)
    done(None, ConnectError("Connection refused"))
    assert parked.result() is False
    assert count(daemon, "ha-lease-updates-sent") == 1 and count(daemon, "ha-lease-updates-failed") == 1

    due = ha.core.next_deadline()
    assert due is not None
    ha._clock_offset = due - now + 1  # the heartbeat is due
    ha._tick()
    _, done = client.take("ha-heartbeat")
    answer = {"date-time": format_rfc1123(ha._now()), "scopes": [], "state": "hot-standby",
              "unsent-update-count": 0}  # fmt: skip
    done([{"arguments": answer, "result": 0, "text": "HA peer status returned."}], None)
    assert count(daemon, "ha-heartbeats-sent") == 1 and count(daemon, "ha-heartbeats-failed") is None
    assert count(daemon, "ha-state-hot-standby") == 1
    await ha.stop()


@pytest.mark.parametrize("family", [4, 6])
async def test_sync_pages_are_counted_and_merged_into_the_familys_store(family: int, tmp_path: Path) -> None:
    ha, client, daemon = adapter(family, "server2", tmp_path)
    now = ha._now()
    ha._execute(ha.core.start(now))
    due = ha.core.next_deadline()
    assert due is not None
    ha._clock_offset = max(0.0, due - now) + 0.001
    ha._tick()
    _, done = client.take("ha-heartbeat")
    answer = {"date-time": format_rfc1123(ha._now()), "scopes": ["server1"], "state": "hot-standby",
              "unsent-update-count": 0}  # fmt: skip
    done([{"arguments": answer, "result": 0, "text": "HA peer status returned."}], None)
    _, done = client.take("dhcp-disable")
    done(OK, None)
    page = f"lease{family}-get-page"
    _, done = client.take(page)
    if family == 4:
        leases = [lease4_to_json(lease4(1, 1000)), lease4_to_json(lease4(2, 1000))]
    else:
        leases = [lease6_to_json(lease6(1, 1000)), lease6_to_json(lease6(2, 1000))]
    done([{"arguments": {"count": 2, "leases": leases}, "result": 0, "text": "2 leases found."}], None)
    assert count(daemon, "ha-sync-pages-received") == 1
    assert daemon.store.count() == 2
    _, done = client.take(page)  # the next page
    done(None, ConnectError("Connection refused"))
    assert count(daemon, "ha-sync-pages-failed") == 1
    await ha.stop()


@pytest.mark.parametrize("family", [4, 6])
async def test_stop_answers_waiting_commands_and_releases_parked(family: int, tmp_path: Path) -> None:
    ha, client, daemon = adapter(family, "server1", tmp_path)
    now = ha._now()
    ha._execute(ha.core.start(now))
    ha._execute(ha.core.transition(State.HOT_STANDBY, now))
    parked = ha.commit([change(family, 1, int(now))], None, now)
    sync = ha._command_handler("ha-sync")({"server-name": "server2"}, None)
    waiting = asyncio.ensure_future(sync)
    await asyncio.sleep(0)  # the handler sends dhcp-disable and waits for the partner
    client.take("dhcp-disable")
    await ha.stop()
    assert (await asyncio.wait_for(waiting, 5))["result"] == 1
    assert parked is not None and parked.result() is False
    _, done = client.take(f"lease{family}-update" if family == 4 else "lease6-bulk-apply")
    done(OK, None)  # an answer after stop: ignored, not counted
    assert count(daemon, "ha-lease-updates-sent") is None


def test_config_without_the_ha_library_names_the_family_section() -> None:
    with pytest.raises(ConfigError, match="Dhcp6/hooks-libraries"):
        ha_config_of((), "Dhcp6")
    assert ha_config_of(hooks("server2"), "Dhcp4").this_server.name == "server2"
