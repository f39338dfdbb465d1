"""Send one command to a Kea-style UNIX control socket and read the answer.

The daemon answers one JSON map and closes; we stop reading as soon as the JSON is complete (or at
EOF), so a server that keeps the connection open is also fine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from typing import Any

from hakea.control import envelope
from hakea.control.envelope import CommandParseError, IncompleteJSON
from hakea.control.errors import ConnectError, InvalidResponse, RequestTimeout

DEFAULT_MAX_ANSWER_SIZE = 256 * 1024 * 1024


async def send_unix_command(
    path: str,
    command: Mapping[str, Any] | bytes,
    timeout: float,
    *,
    max_answer_size: int = DEFAULT_MAX_ANSWER_SIZE,
) -> Any:
    """Return the decoded answer; raises ConnectError, RequestTimeout or InvalidResponse.

    ``ConnectError.reason`` is the bare OS error ("No such file or directory", "Connection refused"),
    which the control agent puts into Kea's "unable to forward command" text.
    """
    body = command if isinstance(command, bytes) else envelope.encode(command)
    try:
        async with asyncio.timeout(timeout):
            try:
                reader, writer = await asyncio.open_unix_connection(path)
            except OSError as exc:
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                raise ConnectError(f"cannot connect to {path}: {reason}", path, reason=reason) from None
            try:
                writer.write(body)
                await writer.drain()
                return await _read_answer(reader, path, max_answer_size)
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except TimeoutError:
        raise RequestTimeout(f"no answer on {path} within {timeout:g} s", path, reason="timeout") from None


async def _read_answer(reader: asyncio.StreamReader, path: str, limit: int) -> Any:
    buffer = bytearray()
    while True:
        try:
            chunk = await reader.read(65536)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise InvalidResponse(f"reading from {path} failed: {reason}", path, reason=reason) from None
        if chunk:
            buffer += chunk
            if len(buffer) > limit:
                raise InvalidResponse(
                    f"answer on {path} is larger than {limit} bytes", path, reason="too large"
                )
            if not bytes(buffer[-64:]).rstrip().endswith((b"}", b"]")):
                continue
        elif not buffer.strip():
            raise InvalidResponse(f"no answer on {path}", path, reason="nothing read")
        try:
            value, _ = envelope.decode_first(bytes(buffer))
            return value
        except IncompleteJSON:
            if not chunk:
                raise InvalidResponse(
                    f"incomplete answer on {path}", path, reason="incomplete answer"
                ) from None
        except CommandParseError as exc:
            raise InvalidResponse(f"{exc.text} (answer on {path})", path, reason=exc.text) from None
