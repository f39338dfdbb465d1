"""Load Kea 2.2's "Control-agent" configuration into CtrlAgentConfig.

Keys and refusals checked against kea-ctrl-agent 2.2.0 (`-t`): control sockets are "unix" only;
"authentication" needs "type": "basic" and its clients name a user ("user" or "user-file", or a
"password-file" holding "user:password"), "user" never empty nor containing ':', and "user" /
"user-file" (likewise "password" / "password-file") are mutually exclusive; the TLS files
trust-anchor, cert-file and key-file are all set or none; http-port is 0..65535.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hakea.config import jsonc
from hakea.config.errors import ConfigError
from hakea.config.globals4 import check_logger
from hakea.config.loader import toplevel_section
from hakea.config.model import ControlSocket, HookLibrary
from hakea.config.values import (
    BOOL,
    LIST,
    MAP,
    STR,
    U16,
    Kind,
    as_list,
    as_map,
    check_keys,
    one_of,
    require,
)

_CTRL_AGENT: dict[str, Kind] = {
    "http-host": STR,
    "http-port": U16,
    "control-sockets": MAP,
    "authentication": MAP,
    "trust-anchor": STR,
    "cert-file": STR,
    "key-file": STR,
    "cert-required": BOOL,
    "hooks-libraries": LIST,
    "loggers": LIST,
    "user-context": MAP,
    "comment": STR,
}
_SOCKET: dict[str, Kind] = {"socket-type": STR, "socket-name": STR, "user-context": MAP, "comment": STR}
_AUTHENTICATION: dict[str, Kind] = {
    "type": STR,
    "realm": STR,
    "directory": STR,
    "clients": LIST,
    "user-context": MAP,
    "comment": STR,
}
_CLIENT: dict[str, Kind] = {
    "user": STR,
    "password": STR,
    "user-file": STR,
    "password-file": STR,
    "user-context": MAP,
    "comment": STR,
}
_SERVICES = ("dhcp4", "dhcp6", "d2")
_TLS_KEYS = ("trust-anchor", "cert-file", "key-file")


@dataclass(frozen=True, slots=True)
class BasicAuthClient:
    user: str = ""
    password: str = ""
    user_file: str = ""  # paths as configured (relative ones are under Authentication.directory)
    password_file: str = ""


@dataclass(frozen=True, slots=True)
class Authentication:
    type: str = "basic"
    realm: str = "kea-control-agent"
    directory: str = ""
    clients: tuple[BasicAuthClient, ...] = ()


@dataclass(frozen=True, slots=True)
class CtrlAgentConfig:
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    control_sockets: dict[str, ControlSocket] = field(default_factory=dict)  # "dhcp4"/"dhcp6"/"d2"
    authentication: Authentication | None = None
    trust_anchor: str = ""
    cert_file: str = ""
    key_file: str = ""
    cert_required: bool = True
    hooks_libraries: tuple[HookLibrary, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)  # {"Control-agent": {...}} as loaded

    @property
    def tls(self) -> bool:
        return bool(self.cert_file)


def load_ctrl_agent(
    source: str | Mapping[str, Any],
    *,
    base_dir: str | None = None,
    warnings: list[str] | None = None,
    source_name: str = "<string>",
) -> CtrlAgentConfig:
    """Kea JSON text or a parsed dict whose top level holds "Control-agent" -> CtrlAgentConfig."""
    notes: list[str] = [] if warnings is None else warnings
    if isinstance(source, str):
        top: Any = jsonc.loads(source, source=source_name, base_dir=base_dir, warnings=notes)
    else:
        top = source
    path = "Control-agent"
    obj = toplevel_section(top, path, notes)
    check_keys(obj, path, _CTRL_AGENT)

    tls = [key for key in _TLS_KEYS if obj.get(key)]
    if tls and len(tls) != len(_TLS_KEYS):
        missing = next(key for key in _TLS_KEYS if key not in tls)
        raise ConfigError(
            f"{path}/{missing}", "missing or empty: all or none of the TLS parameters must be set"
        )
    for i, logger in enumerate(as_list(obj.get("loggers", []), f"{path}/loggers")):
        check_logger(logger, f"{path}/loggers[{i}]")

    return CtrlAgentConfig(
        http_host=obj.get("http-host", "127.0.0.1"),
        http_port=obj.get("http-port", 8000),
        control_sockets=_control_sockets(obj.get("control-sockets", {}), f"{path}/control-sockets"),
        authentication=(
            _authentication(obj["authentication"], f"{path}/authentication")
            if "authentication" in obj
            else None
        ),
        trust_anchor=obj.get("trust-anchor", ""),
        cert_file=obj.get("cert-file", ""),
        key_file=obj.get("key-file", ""),
        cert_required=obj.get("cert-required", True),
        hooks_libraries=_hooks(obj.get("hooks-libraries", []), f"{path}/hooks-libraries"),
        raw={path: obj},
    )


def load_ctrl_agent_file(path: str, *, warnings: list[str] | None = None) -> CtrlAgentConfig:
    top = jsonc.load_file(path, warnings=warnings)
    return load_ctrl_agent(top, warnings=warnings)


def _control_sockets(value: Any, path: str) -> dict[str, ControlSocket]:
    obj = as_map(value, path)
    sockets: dict[str, ControlSocket] = {}
    for service, entry in obj.items():
        item_path = f"{path}/{service}"
        if service not in _SERVICES:
            raise ConfigError(item_path, "unsupported parameter")
        socket = as_map(entry, item_path)
        check_keys(socket, item_path, _SOCKET)
        name: str = require(socket, "socket-name", item_path)
        sockets[service] = ControlSocket(one_of(socket, "socket-type", item_path, ("unix",), "unix"), name)
    return sockets


def _authentication(value: Any, path: str) -> Authentication:
    obj = as_map(value, path)
    check_keys(obj, path, _AUTHENTICATION)
    require(obj, "type", path)
    auth_type = one_of(obj, "type", path, ("basic",), "basic")
    directory: str = obj.get("directory", "")
    clients = tuple(
        _client(c, f"{path}/clients[{i}]", directory)
        for i, c in enumerate(as_list(obj.get("clients", []), f"{path}/clients"))
    )
    return Authentication(
        type=auth_type, realm=obj.get("realm", "kea-control-agent"), directory=directory, clients=clients
    )


def _client(value: Any, path: str, directory: str) -> BasicAuthClient:
    obj = as_map(value, path)
    check_keys(obj, path, _CLIENT)
    for plain, from_file in (("user", "user-file"), ("password", "password-file")):
        if plain in obj and from_file in obj:
            raise ConfigError(f"{path}/{from_file}", f"{plain} and {from_file} are mutually exclusive")
    if "user" in obj:
        user: str = obj["user"]
        if not user:
            raise ConfigError(f"{path}/user", "user must not be empty")
        if ":" in user:
            raise ConfigError(f"{path}/user", f"user must not contain a ':': '{user}'")
    elif "user-file" not in obj and "password-file" not in obj:
        raise ConfigError(path, "user is required in clients items")
    for key in ("user-file", "password-file"):
        if key in obj:
            # Kea reads these files when it loads the configuration.
            name: str = obj[key]
            full = name if os.path.isabs(name) else os.path.join(directory, name)
            if not os.access(full, os.R_OK):
                raise ConfigError(f"{path}/{key}", f"can't open file '{full}'")
    return BasicAuthClient(
        user=obj.get("user", ""),
        password=obj.get("password", ""),
        user_file=obj.get("user-file", ""),
        password_file=obj.get("password-file", ""),
    )


def _hooks(value: Any, path: str) -> tuple[HookLibrary, ...]:
    libraries = []
    for i, entry in enumerate(as_list(value, path)):
        item_path = f"{path}[{i}]"
        obj = as_map(entry, item_path)
        check_keys(obj, item_path, {"library": STR, "parameters": MAP})
        library: str = require(obj, "library", item_path)
        libraries.append(HookLibrary(library=library, parameters=obj.get("parameters", {})))
    return tuple(libraries)
