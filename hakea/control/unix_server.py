"""Kea's control socket: a UNIX stream socket, one JSON command per connection.

Kea 2.2 behaviour matched (Debian kea-dhcp4 2.2.0):

* the daemon reads until the first JSON value is complete (the client need not half-close; the
  control agent does not) and ignores anything after it;
* it answers a single JSON map (not a list) and closes the connection;
* a command still incomplete after 10 s is answered ``Connection over control channel timed out,
  discarded partial command of N bytes`` (result 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import stat
from typing import Any, cast

from hakea.control import envelope
from hakea.control.envelope import CommandParseError, IncompleteJSON
from hakea.control.registry import CommandRegistry

log = logging.getLogger("hakea.control.unix")

DEFAULT_MAX_COMMAND_SIZE = 64 * 1024 * 1024
DEFAULT_TIMEOUT = 10.0  # Kea's control-channel timeout for a partial command


class _UnixConnection(asyncio.Protocol):
    def __init__(self, server: UnixCommandServer) -> None:
        self._server = server
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._done = False
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._server.connections.add(self)
        self._timer = self._loop.call_later(self._server.timeout, self._timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._cancel_timer()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def data_received(self, data: bytes) -> None:
        if self._done:
            return
        self._buffer += data
        if len(self._buffer) > self._server.max_command_size:
            self._reply(envelope.error(f"command larger than {self._server.max_command_size} bytes"))
            return
        # Only try to decode when the text could be complete: a JSON map or list ends in } or ].
        tail = bytes(self._buffer[-64:]).rstrip()
        if tail.endswith((b"}", b"]")):
            self._try_decode(at_eof=False)

    def eof_received(self) -> bool:
        if not self._done:
            if self._buffer.strip():
                self._try_decode(at_eof=True)
            else:
                self._finish()
        return True  # keep the transport open to write the answer

    def _try_decode(self, at_eof: bool) -> None:
        try:
            value, _ = envelope.decode_first(bytes(self._buffer))
        except IncompleteJSON:
            if at_eof:
                self._reply(envelope.error("invalid JSON: the command is incomplete"))
            return
        except CommandParseError as exc:
            self._reply(envelope.error(exc.text))
            return
        self._done = True
        self._cancel_timer()
        assert self._transport is not None
        self._transport.pause_reading()
        self._task = self._loop.create_task(self._dispatch(value))

    async def _dispatch(self, value: Any) -> None:
        if isinstance(value, dict):
            answer = await self._server.registry.dispatch(value, transport="unix")
        else:
            answer = envelope.error(envelope.NOT_A_MAP)
        self._reply(answer)

    def _timed_out(self) -> None:
        self._timer = None
        if not self._done:
            size = len(self._buffer)
            self._reply(
                envelope.error(
                    f"Connection over control channel timed out, discarded partial command of {size} bytes"
                )
            )

    def _reply(self, answer: dict[str, Any]) -> None:
        self._done = True
        self._cancel_timer()
        self._buffer.clear()
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(envelope.encode(answer))
            transport.close()

    def _finish(self) -> None:
        self._done = True
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        # A running command finishes (see http_server: no half-applied changes); its answer is lost.
        if self._transport is not None:
            self._transport.close()


class UnixCommandServer:
    """Serve a registry on a UNIX socket path (Kea's "control-socket")."""

    def __init__(
        self,
        registry: CommandRegistry,
        *,
        max_command_size: int = DEFAULT_MAX_COMMAND_SIZE,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.registry = registry
        self.max_command_size = max_command_size
        self.timeout = timeout
        self.connections: set[_UnixConnection] = set()
        self.path = ""
        self._server: asyncio.AbstractServer | None = None

    async def start(self, path: str) -> None:
        """Bind ``path``; a stale socket file left by a dead process is replaced, a live one is not."""
        _remove_stale_socket(path)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_unix_server(lambda: _UnixConnection(self), path)
        self.path = path

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for conn in list(self.connections):
            conn.abort()
        await self._server.wait_closed()
        self._server = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def __aenter__(self) -> UnixCommandServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _remove_stale_socket(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise OSError(f"'{path}' exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        os.unlink(path)
        return
    finally:
        probe.close()
    raise OSError(f"'{path}' is in use by another process")


async def start_unix_listener(registry: CommandRegistry, path: str) -> UnixCommandServer:
    server = UnixCommandServer(registry)
    await server.start(path)
    return server
