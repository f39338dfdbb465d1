"""Kea's UNIX control socket: one command per connection, a single map answer."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hakea.control.errors import ConnectError, InvalidResponse, RequestTimeout
from hakea.control.unix_client import send_unix_command
from hakea.control.unix_server import UnixCommandServer, start_unix_listener

from .conftest import make_registry


@pytest.fixture
async def unix_server(tmp_path: Path) -> AsyncIterator[UnixCommandServer]:
    server = await start_unix_listener(make_registry(), str(tmp_path / "ctrl.sock"))
    yield server
    await server.close()


async def raw_exchange(path: str, *chunks: bytes, half_close: bool = False) -> bytes:
    reader, writer = await asyncio.open_unix_connection(path)
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
        await asyncio.sleep(0)
    if half_close:
        writer.write_eof()
    data = await asyncio.wait_for(reader.read(), 2)
    writer.close()
    return data


async def test_round_trip_answers_a_single_map(unix_server: UnixCommandServer) -> None:
    answer = await send_unix_command(unix_server.path, {"command": "echo", "arguments": {"a": 1}}, 2)
    assert answer["result"] == 0
    assert answer["arguments"]["echo"] == {"a": 1}
    assert answer["arguments"]["transport"] == "unix"


async def test_unknown_command(unix_server: UnixCommandServer) -> None:
    assert await send_unix_command(unix_server.path, {"command": "foo"}, 2) == {
        "result": 2,
        "text": "'foo' command not supported.",
    }


async def test_command_in_pieces_without_half_close(unix_server: UnixCommandServer) -> None:
    # The control agent writes the command and waits; it does not shut down its write side.
    data = await raw_exchange(unix_server.path, b'{"command": ', b'"echo", "arguments": {"x": "}"}', b"}")
    assert b'"echoed"' in data


async def test_only_the_first_value_is_processed(unix_server: UnixCommandServer) -> None:
    data = await raw_exchange(unix_server.path, b'{"command": "foo"}{"command": "echo"}')
    assert data == b'{"result":2,"text":"\'foo\' command not supported."}'


async def test_invalid_json(unix_server: UnixCommandServer) -> None:
    data = await raw_exchange(unix_server.path, b"garbage}")
    assert data.startswith(b'{"result":1,"text":"invalid JSON: ')


async def test_incomplete_command_at_eof(unix_server: UnixCommandServer) -> None:
    data = await raw_exchange(unix_server.path, b'{"command": "echo"', half_close=True)
    assert data == b'{"result":1,"text":"invalid JSON: the command is incomplete"}'


async def test_complete_command_at_eof_without_closing_brace_check(unix_server: UnixCommandServer) -> None:
    data = await raw_exchange(unix_server.path, b'{"command": "echo"}   \n', half_close=True)
    assert b'"echoed"' in data


async def test_empty_connection_is_just_closed(unix_server: UnixCommandServer) -> None:
    assert await raw_exchange(unix_server.path, half_close=True) == b""


async def test_non_map_json(unix_server: UnixCommandServer) -> None:
    data = await raw_exchange(unix_server.path, b"[1, 2]")
    assert data == (
        b'{"result":1,"text":"Error during command processing: '
        b'Invalid command Element specified, expected map"}'
    )


async def test_partial_command_times_out_with_keas_text(tmp_path: Path) -> None:
    server = UnixCommandServer(make_registry(), timeout=0.05)
    await server.start(str(tmp_path / "t.sock"))
    data = await raw_exchange(server.path, b'{"command": ')
    assert data == (
        b'{"result":1,"text":"Connection over control channel timed out,'
        b' discarded partial command of 12 bytes"}'
    )
    await server.close()


async def test_oversized_command(tmp_path: Path) -> None:
    server = UnixCommandServer(make_registry(), max_command_size=50)
    await server.start(str(tmp_path / "t.sock"))
    data = await raw_exchange(server.path, b'{"command": "echo", "arguments": {"pad": "' + b"x" * 60)
    assert data == b'{"result":1,"text":"command larger than 50 bytes"}'
    await server.close()


async def test_concurrent_clients(unix_server: UnixCommandServer) -> None:
    answers = await asyncio.gather(
        *(
            send_unix_command(unix_server.path, {"command": "echo", "arguments": {"i": i}}, 2)
            for i in range(20)
        )
    )
    assert [a["arguments"]["echo"]["i"] for a in answers] == list(range(20))


async def test_stale_socket_is_replaced_live_one_is_not(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()  # the file stays behind, nobody listens
    server = await start_unix_listener(make_registry(), path)
    with pytest.raises(OSError, match="in use"):
        await start_unix_listener(make_registry(), path)
    await server.close()
    assert not os.path.exists(path)
    Path(path).write_text("not a socket")
    with pytest.raises(OSError, match="not a socket"):
        await start_unix_listener(make_registry(), path)


async def test_client_errors(tmp_path: Path) -> None:
    with pytest.raises(ConnectError) as info:
        await send_unix_command(str(tmp_path / "missing.sock"), {"command": "x"}, 1)
    assert info.value.reason == "No such file or directory"

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.close()

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"garbage")
        writer.close()

    release = asyncio.Event()

    async def stuck(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        await release.wait()
        writer.close()

    for name, handler, error, reason in (
        ("silent", silent, InvalidResponse, "nothing read"),
        ("garbage", garbage, InvalidResponse, None),
        ("stuck", stuck, RequestTimeout, "timeout"),
    ):
        path = str(tmp_path / f"{name}.sock")
        server = await asyncio.start_unix_server(handler, path)
        with pytest.raises(error) as failure:
            await send_unix_command(path, {"command": "x"}, 0.1 if name == "stuck" else 2)
        if reason:
            assert failure.value.reason == reason
        server.close()
    release.set()
