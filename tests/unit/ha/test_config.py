"""HA configuration: defaults and refusals (kea-ha-behaviour.md 2.10)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from hakea.config.errors import ConfigError
from hakea.ha.config import (
    Mode,
    MultiThreadingConfig,
    Pausing,
    Role,
    parse_ha_config,
    resolve_multi_threading,
)
from hakea.ha.states import State

BASE = "Dhcp4/hooks-libraries[1]/parameters"
REL = f"{BASE}/high-availability[0]"


def _rel(**over: Any) -> dict[str, Any]:
    rel: dict[str, Any] = {
        "this-server-name": "server1",
        "mode": "load-balancing",
        "peers": [
            {"name": "server1", "url": "http://192.168.56.33:8080/", "role": "primary"},
            {"name": "server2", "url": "http://192.168.56.66:8080/", "role": "secondary"},
            {
                "name": "server3",
                "url": "http://192.168.56.99:8080/",
                "role": "backup",
                "auto-failover": False,
            },
        ],
    }
    rel.update(over)
    return rel


def _parse(rel: dict[str, Any]) -> Any:
    return parse_ha_config({"high-availability": [rel]}, BASE)[0]


def _error(rel: dict[str, Any] | None = None, params: Any = None) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        parse_ha_config(params if params is not None else {"high-availability": [rel]}, BASE)
    return exc.value


def test_defaults() -> None:
    c = _parse(_rel())
    assert c.this_server_name == "server1" and c.mode is Mode.LOAD_BALANCING
    assert (c.heartbeat_delay, c.max_response_delay, c.max_ack_delay) == (10000, 60000, 10000)
    assert (c.max_unacked_clients, c.max_rejected_lease_updates) == (10, 10)
    assert (c.sync_timeout, c.sync_page_limit, c.delayed_updates_limit) == (60000, 10000, 100)
    assert c.send_lease_updates and c.sync_leases and not c.wait_backup_ack
    assert c.require_client_certs and c.restrict_commands
    assert c.multi_threading == MultiThreadingConfig(True, True, 0, 0)
    assert c.pausing(State.WAITING) is Pausing.NEVER
    assert [p.role for p in c.peers] == [Role.PRIMARY, Role.SECONDARY, Role.BACKUP]
    assert c.peers[0].auto_failover and not c.peers[2].auto_failover
    assert (c.peers[0].host, c.peers[0].port, c.peers[0].scheme) == ("192.168.56.33", 8080, "http")
    assert c.failover_peer is not None and c.failover_peer.name == "server2"
    assert c.comm_recovery_allowed


def test_hot_standby_defaults_no_backlog() -> None:
    peers = _rel()["peers"]
    peers[1]["role"] = "standby"
    c = _parse(_rel(mode="hot-standby", peers=peers))
    assert c.delayed_updates_limit == 0 and not c.comm_recovery_allowed


def test_explicit_values_and_large_delays() -> None:
    c = _parse(
        _rel(
            **{
                "heartbeat-delay": 70000,  # above 65535 ms must be accepted (Kea ChangeLog 2521)
                "max-response-delay": 140000,
                "max-ack-delay": 5000,
                "max-unacked-clients": 0,
                "sync-leases": False,
                "send-lease-updates": False,
                "sync-page-limit": 3,
                "delayed-updates-limit": 0,
                "state-machine": {
                    "states": [{"state": "waiting", "pause": "once"}, {"state": "ready", "pause": "always"}]
                },
                "multi-threading": {
                    "enable-multi-threading": False,
                    "http-listener-threads": 5,
                    "http-client-threads": 6,
                },
            }
        )
    )
    assert c.heartbeat_delay == 70000 and c.max_unacked_clients == 0
    assert c.pausing(State.WAITING) is Pausing.ONCE and c.pausing(State.READY) is Pausing.ALWAYS
    assert c.multi_threading == MultiThreadingConfig(False, True, 5, 6)
    assert not c.comm_recovery_allowed


def _peers(*roles: str) -> list[dict[str, Any]]:
    return [
        {"name": f"server{i + 1}", "url": f"http://10.0.0.{i + 1}:8000/", "role": r}
        for i, r in enumerate(roles)
    ]


@pytest.mark.parametrize(
    ("over", "path", "reason"),
    [
        ({"this-server-name": ""}, f"{REL}/this-server-name", "must not be empty"),
        ({"this-server-name": "  "}, f"{REL}/this-server-name", "must not be empty"),
        (
            {"this-server-name": "server9"},
            f"{REL}/this-server-name",
            "no peer configuration specified for the 'server9'",
        ),
        ({"mode": "hot-spare"}, f"{REL}/mode", "unsupported value 'hot-spare' for mode parameter"),
        ({"heartbeat-delay": -1}, f"{REL}/heartbeat-delay", "out of range"),
        ({"heartbeat-delay": 0}, f"{REL}/heartbeat-delay", "out of range"),
        ({"heartbeat-delay": 2**32}, f"{REL}/heartbeat-delay", "out of range"),
        ({"heartbeat-delay": "10"}, f"{REL}/heartbeat-delay", "must be an integer"),
        (
            {"heartbeat-delay": 10000, "max-response-delay": 9999},
            f"{REL}/max-response-delay",
            "must not be lower than 'heartbeat-delay'",
        ),
        ({"max-ack-delay": True}, f"{REL}/max-ack-delay", "must be an integer"),
        ({"sync-page-limit": 0}, f"{REL}/sync-page-limit", "out of range"),
        ({"sync-leases": "yes"}, f"{REL}/sync-leases", "must be a boolean"),
        ({"peers": _peers("primary")}, f"{REL}/peers", "at least two peers"),
        ({"peers": _peers("primary", "primary")}, f"{REL}/peers", "multiple primary servers specified"),
        (
            {"peers": _peers("primary", "secondary", "secondary")},
            f"{REL}/peers",
            "multiple secondary servers specified",
        ),
        (
            {"peers": _peers("primary", "backup")},
            f"{REL}/peers",
            "secondary server required in the load balancing",
        ),
        (
            {"peers": _peers("secondary", "backup")},
            f"{REL}/peers",
            "primary server required in the load balancing",
        ),
        (
            {"peers": _peers("primary", "secondary", "standby")},
            f"{REL}/peers",
            "standby servers not allowed in the load balancing",
        ),
        (
            {"peers": _peers("primary", "friend")},
            f"{REL}/peers[1]/role",
            "unsupported value 'friend' for role parameter",
        ),
        ({"wait-backup-ack": True}, f"{REL}/wait-backup-ack", "must be set to false in the load balancing"),
        (
            {"peers": [{"name": "", "url": "http://a:1/", "role": "primary"}]},
            f"{REL}/peers[0]/name",
            "must not be empty",
        ),
        (
            {
                "peers": [
                    *_peers("primary", "secondary"),
                    {"name": "server1", "url": "http://a:1/", "role": "backup"},
                ]
            },
            f"{REL}/peers[2]/name",
            "peer with name 'server1' already specified",
        ),
        (
            {"peers": [{"name": "server1", "url": "localhost:8080", "role": "primary"}]},
            f"{REL}/peers[0]/url",
            "invalid URL",
        ),
        (
            {"peers": [{"name": "server1", "url": "http:/10.0.0.1:8080/", "role": "primary"}]},
            f"{REL}/peers[0]/url",
            "invalid URL",
        ),
        (
            {"peers": [{"name": "server1", "url": "http://10.0.0.1:ab/", "role": "primary"}]},
            f"{REL}/peers[0]/url",
            "invalid URL",
        ),
        (
            {"peers": [{"name": "server1", "url": "ftp://10.0.0.1/", "role": "primary"}]},
            f"{REL}/peers[0]/url",
            "invalid URL",
        ),
        (
            {"peers": [{"name": "server1", "url": "https://10.0.0.1/", "role": "primary"}]},
            f"{REL}/peers[0]/url",
            "bad TLS config for server server1",
        ),
        ({"peers": [{"name": "server1", "role": "primary"}]}, f"{REL}/peers[0]", "'url' is mandatory"),
        ({"peers": [{"name": "server1", "url": "http://a:1/"}]}, f"{REL}/peers[0]", "'role' is mandatory"),
        (
            {"state-machine": {"states": [{"state": "waiting", "pause": "sometimes"}]}},
            f"{REL}/state-machine/states[0]/pause",
            "unsupported value sometimes of 'pause' parameter",
        ),
        (
            {"state-machine": {"states": [{"state": "sleeping", "pause": "once"}]}},
            f"{REL}/state-machine/states[0]/state",
            "unsupported state 'sleeping'",
        ),
        (
            {"state-machine": {"states": [{"state": "unavailable", "pause": "once"}]}},
            f"{REL}/state-machine/states[0]/state",
            "unsupported state",
        ),
        (
            {
                "state-machine": {
                    "states": [{"state": "ready", "pause": "once"}, {"state": "ready", "pause": "never"}]
                }
            },
            f"{REL}/state-machine/states[1]/state",
            "duplicated configuration for the 'ready' state",
        ),
        (
            {
                "trust-anchor": "/nonexistent/ca.pem",
                "cert-file": "/nonexistent/c.pem",
                "key-file": "/nonexistent/k.pem",
            },
            f"{REL}/trust-anchor",
            "cannot read trust-anchor",
        ),
    ],
)
def test_refusals(over: dict[str, Any], path: str, reason: str) -> None:
    err = _error(_rel(**over))
    assert err.path == path
    assert reason in err.reason
    assert str(err) == f"{err.path}: {err.reason}"


@pytest.mark.parametrize(
    ("mode", "roles", "reason"),
    [
        ("hot-standby", ("primary", "secondary"), "secondary servers not allowed in the hot standby"),
        ("hot-standby", ("primary", "backup"), "standby server required in the hot standby"),
        ("hot-standby", ("standby", "backup"), "primary server required in the hot standby"),
        ("hot-standby", ("primary", "standby", "standby"), "multiple standby servers specified"),
        ("passive-backup", ("primary", "secondary"), "secondary servers not allowed in the passive backup"),
        ("passive-backup", ("primary", "standby"), "standby servers not allowed in the passive backup"),
        ("passive-backup", ("backup", "backup"), "primary server required in the passive backup"),
    ],
)
def test_role_refusals_per_mode(mode: str, roles: tuple[str, ...], reason: str) -> None:
    rel = _rel(mode=mode, peers=_peers(*roles))
    rel["this-server-name"] = "server2"
    assert reason in _error(rel).reason


def test_delayed_updates_limit_only_in_load_balancing() -> None:
    rel = _rel(mode="hot-standby", peers=_peers("primary", "standby"), **{"delayed-updates-limit": 10})
    err = _error(rel)
    assert err.path == f"{REL}/delayed-updates-limit"
    rel["delayed-updates-limit"] = 0
    assert _parse(rel).delayed_updates_limit == 0


def test_wait_backup_ack_in_hot_standby_and_passive_backup() -> None:
    assert (
        "hot standby"
        in _error(
            _rel(mode="hot-standby", peers=_peers("primary", "standby"), **{"wait-backup-ack": True})
        ).reason
    )
    c = _parse(
        _rel(mode="passive-backup", peers=_peers("primary", "backup", "backup"), **{"wait-backup-ack": True})
    )
    assert c.wait_backup_ack and c.failover_peer is None


def test_top_level_refusals() -> None:
    assert _error(params={}).reason == "'high-availability' parameter not specified"
    assert _error(params={"high-availability": []}).path == f"{BASE}/high-availability"
    assert _error(params={"high-availability": {}}).path == f"{BASE}/high-availability"
    assert (
        "'this-server-name' is mandatory"
        in _error({k: v for k, v in _rel().items() if k != "this-server-name"}).reason
    )
    assert "'mode' is mandatory" in _error({k: v for k, v in _rel().items() if k != "mode"}).reason


def test_hub_and_spoke() -> None:
    hs = _rel(mode="hot-standby", peers=_peers("primary", "standby"))
    other = copy.deepcopy(hs)
    other["this-server-name"] = "server3"
    other["peers"] = [
        {"name": "server3", "url": "http://10.0.0.3:8000/", "role": "primary"},
        {"name": "server4", "url": "http://10.0.0.4:8000/", "role": "standby"},
    ]
    configs = parse_ha_config({"high-availability": [hs, other]}, BASE)
    assert [c.this_server_name for c in configs] == ["server1", "server3"]
    with pytest.raises(ConfigError, match="only supported in the hot-standby mode"):
        parse_ha_config({"high-availability": [_rel(), _rel()]}, BASE)
    with pytest.raises(ConfigError, match="more than one relationship") as exc:
        parse_ha_config({"high-availability": [hs, copy.deepcopy(hs)]}, BASE)
    assert exc.value.path == f"{BASE}/high-availability[1]/this-server-name"


def test_ipv6_url_accepted() -> None:
    rel = _rel()
    rel["peers"][1]["url"] = "http://[2001:db8::1]:8080/"
    c = _parse(rel)
    assert (c.peers[1].host, c.peers[1].port) == ("2001:db8::1", 8080)


def test_basic_auth(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret")
    rel = _rel()
    rel["peers"][1].update({"basic-auth-user": "admin", "basic-auth-password-file": str(secret)})
    rel["peers"][0].update({"basic-auth-user": "admin", "basic-auth-password": "1234"})
    c = _parse(rel)
    assert (c.peers[1].basic_auth_user, c.peers[1].basic_auth_password) == ("admin", "s3cret")
    assert c.peers[0].basic_auth_password == "1234"
    rel["peers"][1]["basic-auth-password"] = "x"
    assert "only one of" in _error(rel).reason
    del rel["peers"][1]["basic-auth-password"]
    rel["peers"][1]["basic-auth-password-file"] = str(tmp_path / "missing")
    assert _error(rel).path == f"{REL}/peers[1]/basic-auth-password-file"
    rel = _rel()
    rel["peers"][1]["basic-auth-user"] = "ad:min"
    assert "':'" in _error(rel).reason


def test_tls_files(tmp_path: Path) -> None:
    files = {}
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("-----")
        files[name] = str(tmp_path / name)
    rel = _rel(
        **{"trust-anchor": files["ca.pem"], "cert-file": files["cert.pem"], "key-file": files["key.pem"]}
    )
    for peer in rel["peers"]:
        peer["url"] = peer["url"].replace("http:", "https:")
    c = _parse(rel)
    assert c.peers[1].trust_anchor == files["ca.pem"] and c.peers[1].scheme == "https"
    rel["trust-anchor"] = str(tmp_path)  # a directory of CA certificates is fine
    assert _parse(rel).trust_anchor == str(tmp_path)
    del rel["key-file"]
    assert "go together" in _error(rel).reason


def test_multi_threading_resolution() -> None:
    mt = MultiThreadingConfig()
    r = resolve_multi_threading(mt, True, 4, 2)
    assert (r.enabled, r.dedicated_listener, r.listener_threads, r.client_threads) == (True, True, 4, 4)
    assert not resolve_multi_threading(MultiThreadingConfig(enable_multi_threading=False), True, 4, 2).enabled
    assert not resolve_multi_threading(mt, False, 4, 2).enabled  # DHCP MT off forces HA MT off
    r = resolve_multi_threading(MultiThreadingConfig(http_dedicated_listener=False), True, 4, 2)
    assert r.enabled and not r.dedicated_listener and r.client_threads == 4
    r = resolve_multi_threading(
        MultiThreadingConfig(http_listener_threads=5, http_client_threads=6), True, 4, 2
    )
    assert (r.listener_threads, r.client_threads) == (5, 6)
    assert resolve_multi_threading(mt, True, 8, 2).listener_threads == 8
    assert resolve_multi_threading(mt, True, 0, 3).client_threads == 3  # pool 0: hardware concurrency
    assert not resolve_multi_threading(mt, True, 0, 0).enabled
