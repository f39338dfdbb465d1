"""HTTP basic authentication as Kea 2.2 configures it ("authentication": {"type": "basic", ...}).

Kea facts matched (Debian kea-ctrl-agent 2.2.0):

* default realm "kea-control-agent"; a refused request gets ``401 Unauthorized`` with
  ``WWW-Authenticate: Basic realm="<realm>"`` and the body ``{ "result": 401, "text": "Unauthorized" }``;
* a client is {"user", "password"} or {"user-file", "password-file"} (files relative to "directory"),
  or a lone "password-file" holding "user:password";
* files are read verbatim: a trailing newline is part of the secret (Kea does not strip it).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_REALM = "kea-control-agent"


class AuthConfigError(ValueError):
    """The "authentication" map is invalid; the message names the faulty entry."""


@dataclass(slots=True)
class BasicAuth:
    """Accepted credentials; ``check`` maps an Authorization header to the user name or None."""

    realm: str = DEFAULT_REALM
    # "user:password" bytes -> user
    _credentials: dict[bytes, str] = field(default_factory=dict)

    @classmethod
    def from_clients(cls, clients: Sequence[tuple[str, str]], realm: str = DEFAULT_REALM) -> BasicAuth:
        auth = cls(realm)
        for user, password in clients:
            auth.add(user, password)
        return auth

    def add(self, user: str, password: str) -> None:
        if ":" in user:
            raise AuthConfigError(f"user '{user}' must not contain a ':'")
        self._credentials[f"{user}:{password}".encode()] = user

    @property
    def users(self) -> list[str]:
        return sorted(set(self._credentials.values()))

    def check(self, authorization: bytes | str | None) -> str | None:
        """Return the authenticated user, or None when the header is absent, malformed or wrong."""
        if not authorization:
            return None
        if isinstance(authorization, str):
            authorization = authorization.encode("latin-1", "replace")
        scheme, _, token = authorization.strip().partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            secret = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
        return self._credentials.get(secret)

    def challenge(self) -> str:
        """The WWW-Authenticate header value of a 401 answer."""
        return f'Basic realm="{self.realm}"'


def authorization_header(user: str, password: str) -> str:
    """The Authorization header value a client sends."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _read_file(directory: str, name: str, where: str) -> str:
    path = name if os.path.isabs(name) else os.path.join(directory, name)
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise AuthConfigError(f"{where}: cannot read '{path}': {exc.strerror}") from None


def parse_basic_auth(config: Mapping[str, Any], path: str = "authentication") -> BasicAuth:
    """Build BasicAuth from Kea's "authentication" map; raises AuthConfigError."""
    auth_type = config.get("type")
    if auth_type != "basic":
        raise AuthConfigError(f"{path}/type: only 'basic' is supported, got {auth_type!r}")
    realm = config.get("realm", DEFAULT_REALM)
    directory = config.get("directory", "")
    if not isinstance(realm, str) or not isinstance(directory, str):
        raise AuthConfigError(f"{path}: 'realm' and 'directory' must be strings")
    clients = config.get("clients", [])
    if not isinstance(clients, list):
        raise AuthConfigError(f"{path}/clients: must be a list")
    auth = BasicAuth(realm)
    for i, client in enumerate(clients):
        where = f"{path}/clients[{i}]"
        if not isinstance(client, Mapping):
            raise AuthConfigError(f"{where}: must be a map")
        user, password = _client_credentials(client, directory, where)
        auth.add(user, password)
    return auth


def _client_credentials(client: Mapping[str, Any], directory: str, where: str) -> tuple[str, str]:
    for key in ("user", "password", "user-file", "password-file"):
        if key in client and not isinstance(client[key], str):
            raise AuthConfigError(f"{where}/{key}: must be a string")
    if "user" in client and "user-file" in client:
        raise AuthConfigError(f"{where}: 'user' and 'user-file' are exclusive")
    if "password" in client and "password-file" in client:
        raise AuthConfigError(f"{where}: 'password' and 'password-file' are exclusive")
    if "user" not in client and "user-file" not in client:
        if "password-file" not in client:
            raise AuthConfigError(f"{where}: 'user' or 'user-file' is required")
        # A lone password-file holds "user:password".
        content = _read_file(directory, client["password-file"], where)
        user, sep, password = content.partition(":")
        if not sep:
            raise AuthConfigError(f"{where}/password-file: expected 'user:password' in the file")
        return user, password
    user = client["user"] if "user" in client else _read_file(directory, client["user-file"], where)
    if not user:
        raise AuthConfigError(f"{where}: the user name is empty")
    if "password-file" in client:
        password = _read_file(directory, client["password-file"], where)
    else:
        password = client.get("password", "")
    return user, password
