"""The HA hook library's configuration: Kea's "high-availability" parameters, parsed and validated.

Input is the "parameters" map of the hooks-libraries entry ending in libdhcp_ha.so, exactly as in a
Kea 2.2 configuration file. Defaults and refusals follow Kea's HA config parser (ha_config_unittest);
every refusal raises ConfigError with the JSON path of the offending value. One addition: a
max-response-delay lower than heartbeat-delay is refused (the manual says it "should be greater";
such a pair would declare communication interrupted between two healthy heartbeats).

Delays stay in milliseconds, as configured; `*_s` properties give seconds for the core.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from hakea.config.errors import ConfigError
from hakea.ha.states import SERVER_STATES, State

UINT32_MAX = 0xFFFFFFFF


class Mode(StrEnum):
    LOAD_BALANCING = "load-balancing"
    HOT_STANDBY = "hot-standby"
    PASSIVE_BACKUP = "passive-backup"


class Role(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    STANDBY = "standby"
    BACKUP = "backup"


class Pausing(StrEnum):
    ALWAYS = "always"
    NEVER = "never"
    ONCE = "once"


@dataclass(frozen=True, slots=True)
class PeerConfig:
    name: str
    url: str
    role: Role
    auto_failover: bool = True
    basic_auth_user: str | None = None
    basic_auth_password: str | None = None  # from basic-auth-password or the password file
    trust_anchor: str | None = None  # TLS files: the peer's own, else the relationship's
    cert_file: str | None = None
    key_file: str | None = None
    scheme: str = "http"
    host: str = ""
    port: int = 80

    @property
    def log_label(self) -> str:
        """Kea's "name (url)" label for log messages."""
        return f"{self.name} ({self.url})"


@dataclass(frozen=True, slots=True)
class MultiThreadingConfig:
    enable_multi_threading: bool = True
    http_dedicated_listener: bool = True
    http_listener_threads: int = 0  # 0: as many as the DHCP thread pool
    http_client_threads: int = 0


@dataclass(frozen=True, slots=True)
class ResolvedMultiThreading:
    enabled: bool
    dedicated_listener: bool
    listener_threads: int
    client_threads: int


@dataclass(frozen=True, slots=True)
class HAConfig:
    """One HA relationship, validated."""

    this_server_name: str
    mode: Mode
    peers: tuple[PeerConfig, ...]
    heartbeat_delay: int = 10000  # ms
    max_response_delay: int = 60000  # ms
    max_ack_delay: int = 10000  # ms
    max_unacked_clients: int = 10
    max_rejected_lease_updates: int = 10
    delayed_updates_limit: int = 0  # 100 by default in load-balancing (set by the parser)
    send_lease_updates: bool = True
    sync_leases: bool = True
    sync_timeout: int = 60000  # ms
    sync_page_limit: int = 10000
    wait_backup_ack: bool = False
    require_client_certs: bool = True
    restrict_commands: bool = True
    trust_anchor: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    multi_threading: MultiThreadingConfig = MultiThreadingConfig()
    state_pausing: Mapping[State, Pausing] = field(default_factory=dict)

    def peer(self, name: str) -> PeerConfig | None:
        for p in self.peers:
            if p.name == name:
                return p
        return None

    @property
    def this_server(self) -> PeerConfig:
        me = self.peer(self.this_server_name)
        assert me is not None  # guaranteed by parse_ha_config
        return me

    @property
    def other_peers(self) -> tuple[PeerConfig, ...]:
        return tuple(p for p in self.peers if p.name != self.this_server_name)

    @property
    def failover_peer(self) -> PeerConfig | None:
        """The active partner (Kea's getFailoverPeerConfig): the first other non-backup peer."""
        for p in self.other_peers:
            if p.role is not Role.BACKUP:
                return p
        return None

    @property
    def role(self) -> Role:
        return self.this_server.role

    @property
    def comm_recovery_allowed(self) -> bool:
        """communication-recovery exists only in load-balancing with a non-zero backlog limit."""
        return self.mode is Mode.LOAD_BALANCING and self.delayed_updates_limit > 0

    def pausing(self, state: State) -> Pausing:
        return self.state_pausing.get(state, Pausing.NEVER)

    @property
    def heartbeat_delay_s(self) -> float:
        return self.heartbeat_delay / 1000.0

    @property
    def max_response_delay_s(self) -> float:
        return self.max_response_delay / 1000.0

    @property
    def sync_timeout_s(self) -> float:
        return self.sync_timeout / 1000.0


def resolve_multi_threading(
    mt: MultiThreadingConfig, dhcp_mt_enabled: bool, dhcp_thread_pool_size: int, hardware_concurrency: int
) -> ResolvedMultiThreading:
    """HA's MT settings once the DHCP server's own are known (Kea's multiThreadingPermutations).

    HA MT needs DHCP MT; thread counts of 0 mean "as many as the DHCP thread pool", whose own 0
    means the hardware concurrency; if that is 0 too, HA MT is turned off.
    """
    off = ResolvedMultiThreading(False, False, 0, 0)
    if not mt.enable_multi_threading or not dhcp_mt_enabled:
        return off
    pool = dhcp_thread_pool_size or hardware_concurrency
    listener = mt.http_listener_threads or pool
    client = mt.http_client_threads or pool
    if listener == 0 or client == 0:
        return off
    return ResolvedMultiThreading(True, mt.http_dedicated_listener, listener, client)


# ----------------------------------------------------------------------------- parsing helpers


def _int(
    m: Mapping[str, Any], key: str, default: int, path: str, low: int = 0, high: int = UINT32_MAX
) -> int:
    if key not in m:
        return default
    v = m[key]
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(f"{path}/{key}", f"'{key}' must be an integer")
    if v < low or v > high:
        raise ConfigError(f"{path}/{key}", f"'{key}' value {v} is out of range {low}..{high}")
    return v


def _bool(m: Mapping[str, Any], key: str, default: bool, path: str) -> bool:
    if key not in m:
        return default
    v = m[key]
    if not isinstance(v, bool):
        raise ConfigError(f"{path}/{key}", f"'{key}' must be a boolean")
    return v


def _str(m: Mapping[str, Any], key: str, path: str) -> str | None:
    if key not in m:
        return None
    v = m[key]
    if not isinstance(v, str):
        raise ConfigError(f"{path}/{key}", f"'{key}' must be a string")
    return v


def _map(v: Any, path: str, what: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise ConfigError(path, f"{what} must be a map")
    return v


def _parse_url(url: str, path: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(path, f"invalid URL '{url}': {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(path, f"invalid URL '{url}': the scheme must be http or https")
    if not parts.hostname:
        raise ConfigError(path, f"invalid URL '{url}': no host name")
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname, port


def _check_file(name: str, key: str, path: str) -> None:
    # trust-anchor may be a directory of hashed CA certificates (OpenSSL capath).
    ok = os.path.exists(name) if key == "trust-anchor" else os.path.isfile(name)
    if not ok or not os.access(name, os.R_OK):
        raise ConfigError(f"{path}/{key}", f"cannot read {key} '{name}'")


def _tls(m: Mapping[str, Any], path: str) -> tuple[str | None, str | None, str | None]:
    values = tuple(_str(m, k, path) or None for k in ("trust-anchor", "cert-file", "key-file"))
    for key, value in zip(("trust-anchor", "cert-file", "key-file"), values, strict=True):
        if value is not None:
            _check_file(value, key, path)
    return values[0], values[1], values[2]


def _parse_peer(m: Mapping[str, Any], path: str, global_tls: tuple[str | None, ...]) -> PeerConfig:
    name = _str(m, "name", path)
    if name is None:
        raise ConfigError(path, "'name' is mandatory")
    name = name.strip()
    if not name:
        raise ConfigError(f"{path}/name", "peer name must not be empty")
    url = _str(m, "url", path)
    if url is None:
        raise ConfigError(path, "'url' is mandatory")
    scheme, host, port = _parse_url(url, f"{path}/url")
    role_text = _str(m, "role", path)
    if role_text is None:
        raise ConfigError(path, "'role' is mandatory")
    try:
        role = Role(role_text)
    except ValueError:
        raise ConfigError(f"{path}/role", f"unsupported value '{role_text}' for role parameter") from None
    auto_failover = _bool(m, "auto-failover", True, path)

    user = _str(m, "basic-auth-user", path) or None
    if user is not None and ":" in user:
        raise ConfigError(f"{path}/basic-auth-user", "user name must not contain a ':'")
    password = _str(m, "basic-auth-password", path)
    password_file = _str(m, "basic-auth-password-file", path)
    if password is not None and password_file is not None:
        raise ConfigError(
            path, "only one of 'basic-auth-password' and 'basic-auth-password-file' may be given"
        )
    if password_file is not None:
        try:
            with open(password_file, encoding="utf-8") as f:
                password = f.read()
        except OSError as exc:
            raise ConfigError(
                f"{path}/basic-auth-password-file", f"cannot read '{password_file}': {exc.strerror}"
            ) from None
    if password and user is None:
        raise ConfigError(path, "a basic-auth password is given without 'basic-auth-user'")

    own = _tls(m, path)
    # A peer's TLS files replace the relationship's as a set (Kea: peer values override globals).
    trust_anchor, cert_file, key_file = own if any(own) else global_tls
    if scheme == "https" and not (trust_anchor and cert_file and key_file):
        raise ConfigError(
            f"{path}/url",
            f"bad TLS config for server {name}: an https URL needs trust-anchor, cert-file and key-file",
        )
    if any((trust_anchor, cert_file, key_file)) and not all((trust_anchor, cert_file, key_file)):
        raise ConfigError(
            path, f"bad TLS config for server {name}: trust-anchor, cert-file and key-file go together"
        )
    return PeerConfig(
        name=name,
        url=url,
        role=role,
        auto_failover=auto_failover,
        basic_auth_user=user,
        basic_auth_password=password if user is not None else None,
        trust_anchor=trust_anchor,
        cert_file=cert_file,
        key_file=key_file,
        scheme=scheme,
        host=host,
        port=port,
    )


def _parse_state_machine(v: Any, path: str) -> dict[State, Pausing]:
    m = _map(v, path, "'state-machine'")
    states = m.get("states", [])
    if not isinstance(states, list):
        raise ConfigError(f"{path}/states", "'states' must be a list")
    out: dict[State, Pausing] = {}
    for i, entry in enumerate(states):
        epath = f"{path}/states[{i}]"
        e = _map(entry, epath, "a state entry")
        name = _str(e, "state", epath)
        if name is None:
            raise ConfigError(epath, "'state' is mandatory")
        try:
            state = State(name)
        except ValueError:
            state = None
        if state is None or state not in SERVER_STATES:
            raise ConfigError(f"{epath}/state", f"unsupported state '{name}'")
        if state in out:
            raise ConfigError(f"{epath}/state", f"duplicated configuration for the '{name}' state")
        pause = _str(e, "pause", epath)
        if pause is None:
            raise ConfigError(epath, "'pause' is mandatory")
        try:
            out[state] = Pausing(pause)
        except ValueError:
            raise ConfigError(f"{epath}/pause", f"unsupported value {pause} of 'pause' parameter") from None
    return out


def _parse_mt(v: Any, path: str) -> MultiThreadingConfig:
    m = _map(v, path, "'multi-threading'")
    return MultiThreadingConfig(
        enable_multi_threading=_bool(m, "enable-multi-threading", True, path),
        http_dedicated_listener=_bool(m, "http-dedicated-listener", True, path),
        http_listener_threads=_int(m, "http-listener-threads", 0, path, high=65535),
        http_client_threads=_int(m, "http-client-threads", 0, path, high=65535),
    )


def _check_roles(mode: Mode, peers: list[PeerConfig], wait_backup_ack: bool, path: str) -> None:
    count = {r: sum(1 for p in peers if p.role is r) for r in Role}
    for role in (Role.PRIMARY, Role.SECONDARY, Role.STANDBY):
        if count[role] > 1:
            raise ConfigError(f"{path}/peers", f"multiple {role.value} servers specified")
    if mode is Mode.LOAD_BALANCING:
        if count[Role.STANDBY]:
            raise ConfigError(
                f"{path}/peers", "standby servers not allowed in the load balancing configuration"
            )
        if not count[Role.SECONDARY]:
            raise ConfigError(
                f"{path}/peers", "secondary server required in the load balancing configuration"
            )
        if not count[Role.PRIMARY]:
            raise ConfigError(f"{path}/peers", "primary server required in the load balancing configuration")
        if wait_backup_ack:
            raise ConfigError(
                f"{path}/wait-backup-ack",
                "'wait-backup-ack' must be set to false in the load balancing configuration",
            )
    elif mode is Mode.HOT_STANDBY:
        if count[Role.SECONDARY]:
            raise ConfigError(
                f"{path}/peers", "secondary servers not allowed in the hot standby configuration"
            )
        if not count[Role.STANDBY]:
            raise ConfigError(f"{path}/peers", "standby server required in the hot standby configuration")
        if not count[Role.PRIMARY]:
            raise ConfigError(f"{path}/peers", "primary server required in the hot standby configuration")
        if wait_backup_ack:
            raise ConfigError(
                f"{path}/wait-backup-ack",
                "'wait-backup-ack' must be set to false in the hot standby configuration",
            )
    else:
        if count[Role.SECONDARY]:
            raise ConfigError(
                f"{path}/peers", "secondary servers not allowed in the passive backup configuration"
            )
        if count[Role.STANDBY]:
            raise ConfigError(
                f"{path}/peers", "standby servers not allowed in the passive backup configuration"
            )
        if not count[Role.PRIMARY]:
            raise ConfigError(f"{path}/peers", "primary server required in the passive backup configuration")


def _parse_relationship(m: Mapping[str, Any], path: str) -> HAConfig:
    name = _str(m, "this-server-name", path)
    if name is None:
        raise ConfigError(path, "'this-server-name' is mandatory")
    name = name.strip()
    if not name:
        raise ConfigError(f"{path}/this-server-name", "'this-server-name' value must not be empty")

    mode_text = _str(m, "mode", path)
    if mode_text is None:
        raise ConfigError(path, "'mode' is mandatory")
    try:
        mode = Mode(mode_text)
    except ValueError:
        raise ConfigError(f"{path}/mode", f"unsupported value '{mode_text}' for mode parameter") from None

    heartbeat_delay = _int(m, "heartbeat-delay", 10000, path, low=1)
    max_response_delay = _int(m, "max-response-delay", 60000, path)
    if max_response_delay < heartbeat_delay:
        raise ConfigError(
            f"{path}/max-response-delay",
            f"'max-response-delay' ({max_response_delay}) must not be lower than "
            f"'heartbeat-delay' ({heartbeat_delay})",
        )
    delayed_default = 100 if mode is Mode.LOAD_BALANCING else 0
    delayed_updates_limit = _int(m, "delayed-updates-limit", delayed_default, path)
    if delayed_updates_limit and mode is not Mode.LOAD_BALANCING:
        raise ConfigError(
            f"{path}/delayed-updates-limit",
            "'delayed-updates-limit' must be set to 0 in the configuration other than load balancing",
        )
    sync_page_limit = _int(m, "sync-page-limit", 10000, path, low=1)
    wait_backup_ack = _bool(m, "wait-backup-ack", False, path)

    global_tls = _tls(m, path)
    if any(global_tls) and not all(global_tls):
        raise ConfigError(path, "trust-anchor, cert-file and key-file go together")

    raw_peers = m.get("peers")
    if raw_peers is None:
        raise ConfigError(path, "'peers' is mandatory")
    if not isinstance(raw_peers, list):
        raise ConfigError(f"{path}/peers", "'peers' must be a list")
    peers: list[PeerConfig] = []
    for i, raw in enumerate(raw_peers):
        ppath = f"{path}/peers[{i}]"
        peer = _parse_peer(_map(raw, ppath, "a peer"), ppath, global_tls)
        if any(p.name == peer.name for p in peers):
            raise ConfigError(f"{ppath}/name", f"peer with name '{peer.name}' already specified")
        peers.append(peer)
    if len(peers) < 2:
        raise ConfigError(f"{path}/peers", "at least two peers must be configured")
    if not any(p.name == name for p in peers):
        raise ConfigError(f"{path}/this-server-name", f"no peer configuration specified for the '{name}'")
    _check_roles(mode, peers, wait_backup_ack, path)

    pausing = (
        _parse_state_machine(m["state-machine"], f"{path}/state-machine") if "state-machine" in m else {}
    )
    mt = _parse_mt(m["multi-threading"], f"{path}/multi-threading") if "multi-threading" in m else None

    return HAConfig(
        this_server_name=name,
        mode=mode,
        peers=tuple(peers),
        heartbeat_delay=heartbeat_delay,
        max_response_delay=max_response_delay,
        max_ack_delay=_int(m, "max-ack-delay", 10000, path),
        max_unacked_clients=_int(m, "max-unacked-clients", 10, path),
        max_rejected_lease_updates=_int(m, "max-rejected-lease-updates", 10, path),
        delayed_updates_limit=delayed_updates_limit,
        send_lease_updates=_bool(m, "send-lease-updates", True, path),
        sync_leases=_bool(m, "sync-leases", True, path),
        sync_timeout=_int(m, "sync-timeout", 60000, path),
        sync_page_limit=sync_page_limit,
        wait_backup_ack=wait_backup_ack,
        require_client_certs=_bool(m, "require-client-certs", True, path),
        restrict_commands=_bool(m, "restrict-commands", True, path),
        trust_anchor=global_tls[0],
        cert_file=global_tls[1],
        key_file=global_tls[2],
        multi_threading=mt if mt is not None else MultiThreadingConfig(),
        state_pausing=pausing,
    )


def parse_ha_config(params: Mapping[str, Any], path: str) -> list[HAConfig]:
    """Parse the libdhcp_ha.so "parameters" map; `path` is where that map sits in the file.

    Returns one HAConfig per relationship (several only for hub-and-spoke hot-standby).
    """
    if not isinstance(params, Mapping):
        raise ConfigError(path, "parameters must be a map")
    if "high-availability" not in params:
        raise ConfigError(path, "'high-availability' parameter not specified")
    ha_path = f"{path}/high-availability"
    relationships = params["high-availability"]
    if not isinstance(relationships, list) or not relationships:
        raise ConfigError(ha_path, "'high-availability' must be a non-empty list of maps")
    configs = [
        _parse_relationship(_map(r, f"{ha_path}[{i}]", "a relationship"), f"{ha_path}[{i}]")
        for i, r in enumerate(relationships)
    ]
    if len(configs) > 1:
        for i, c in enumerate(configs):
            if c.mode is not Mode.HOT_STANDBY:
                raise ConfigError(
                    f"{ha_path}[{i}]/mode",
                    "multiple HA relationships are only supported in the hot-standby mode",
                )
        seen: set[str] = set()
        for i, c in enumerate(configs):
            if c.this_server_name in seen:
                raise ConfigError(
                    f"{ha_path}[{i}]/this-server-name",
                    f"'this-server-name' '{c.this_server_name}' is used in more than one relationship",
                )
            seen.add(c.this_server_name)
    return configs
