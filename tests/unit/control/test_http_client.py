"""HttpCommandClient against the real listener (and a few deliberately broken servers)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hakea.control.auth import BasicAuth
from hakea.control.errors import (
    ConnectError,
    ConnectionClosed,
    HttpStatusError,
    InvalidResponse,
    RequestTimeout,
    TransportError,
)
from hakea.control.http_client import HttpCommandClient, post_command
from hakea.control.http_server import HttpCommandServer, HttpRequestInfo, registry_handler
from hakea.control.registry import CommandRegistry

from .conftest import make_registry


@pytest.fixture
async def client() -> AsyncIterator[HttpCommandClient]:
    async with HttpCommandClient(pool_size=4) as c:
        yield c


async def serve(handler: Any = None, **kwargs: Any) -> HttpCommandServer:
    server = HttpCommandServer(handler or registry_handler(make_registry()), **kwargs)
    await server.start("127.0.0.1", 0)
    return server


@contextlib.asynccontextmanager
async def raw_server(
    on_connect: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any],
) -> AsyncIterator[str]:
    """A hand-written server that misbehaves on purpose."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await on_connect(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(
        next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1]
    )
    return head + await reader.readexactly(length)


async def test_post_command_returns_parsed_list(client: HttpCommandClient) -> None:
    server = await serve()
    answer = await client.post_command(server.url, {"command": "echo", "arguments": {"x": 1}}, timeout=2)
    assert answer[0]["result"] == 0 and answer[0]["arguments"]["echo"] == {"x": 1}
    assert await client.post_command(server.url, {"command": "nope"}, 2) == [
        {"result": 2, "text": "'nope' command not supported."}
    ]
    await server.close()


async def test_accepts_pre_encoded_body(client: HttpCommandClient) -> None:
    server = await serve()
    answer = await client.post_command(server.url, b'{"command": "version-get"}', timeout=2)
    assert answer[0]["result"] == 0
    await server.close()


async def test_connection_is_reused(client: HttpCommandClient) -> None:
    server = await serve()
    for _ in range(5):
        await client.post_command(server.url, {"command": "echo"}, 2)
    assert len(server.connections) == 1
    await server.close()


async def test_many_in_flight_use_at_most_pool_size_connections() -> None:
    in_flight = 0
    peak = 0
    gate = asyncio.Event()

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if peak == 4:
            gate.set()
        await gate.wait()
        in_flight -= 1
        return [{"result": 0, "text": body.decode()}]

    server = await serve(handler)
    async with HttpCommandClient(pool_size=4) as client:
        answers = await asyncio.gather(*(client.post_command(server.url, b'"%d"' % i, 5) for i in range(64)))
    assert [a[0]["text"] for a in answers] == [f'"{i}"' for i in range(64)]
    assert peak == 4  # one request in flight per connection by default (Kea does not pipeline)
    await server.close()


async def test_pipelining_option_puts_several_requests_on_one_connection() -> None:
    seen_connections: set[int] = set()
    server = await serve()
    original = server.handler

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        seen_connections.update(id(c) for c in server.connections)
        return await original(body, info)

    server.handler = handler
    async with HttpCommandClient(pool_size=1, pipeline_depth=16) as client:
        answers = await asyncio.gather(
            *(
                client.post_command(server.url, {"command": "echo", "arguments": {"i": i}}, 5)
                for i in range(40)
            )
        )
    assert [a[0]["arguments"]["echo"]["i"] for a in answers] == list(range(40))
    assert len(seen_connections) == 1
    await server.close()


async def test_connection_refused(client: HttpCommandClient) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ConnectError) as info:
        await client.post_command(f"http://127.0.0.1:{port}/", {"command": "x"}, 2)
    assert info.value.reason == "Connection refused"
    assert isinstance(info.value, TransportError)


async def test_timeout_drops_the_connection_and_the_next_request_works(client: HttpCommandClient) -> None:
    stuck = asyncio.Event()

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        if body == b"slow":
            await stuck.wait()
        return [{"result": 0}]

    server = await serve(handler)
    with pytest.raises(RequestTimeout):
        await client.post_command(server.url, b"slow", timeout=0.05)
    # The late answer must not be taken as the answer to the next request.
    assert await client.post_command(server.url, b"fast", timeout=2) == [{"result": 0}]
    stuck.set()
    await server.close()


async def test_http_status_error() -> None:
    server = await serve(auth=BasicAuth.from_clients([("admin", "1234")]))
    async with HttpCommandClient() as client:
        with pytest.raises(HttpStatusError) as info:
            await client.post_command(server.url, {"command": "echo"}, 2)
        assert info.value.status == 401
    async with HttpCommandClient(auth=("admin", "1234")) as client:
        answer = await client.post_command(server.url, {"command": "echo"}, 2)
        assert answer[0]["arguments"]["user"] == "admin"
    # Credentials in the URL (http://user:password@host:port/) win.
    url = server.url.replace("http://", "http://admin:1234@")
    async with HttpCommandClient(auth=("admin", "wrong")) as client:
        assert (await client.post_command(url, {"command": "echo"}, 2))[0]["result"] == 0
    await server.close()


async def test_configure_peer_sets_per_url_credentials() -> None:
    server = await serve(auth=BasicAuth.from_clients([("peer", "pw")]))
    async with HttpCommandClient() as client:
        client.configure_peer(server.url, auth=("peer", "pw"))
        assert (await client.post_command(server.url, {"command": "echo"}, 2))[0]["arguments"][
            "user"
        ] == "peer"
    await server.close()


async def test_invalid_json_answer(client: HttpCommandClient) -> None:
    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnope!")
        await writer.drain()

    async with raw_server(on_connect) as url:
        with pytest.raises(InvalidResponse, match="invalid JSON"):
            await client.post_command(url, {"command": "x"}, 2)


async def test_invalid_http_answer(client: HttpCommandClient) -> None:
    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()
        await reader.read()

    async with raw_server(on_connect) as url:
        with pytest.raises(InvalidResponse, match="invalid HTTP answer"):
            await client.post_command(url, {"command": "x"}, 2)


async def test_answer_over_the_size_limit() -> None:
    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + b" " * 2000)
        await writer.drain()
        await reader.read()

    async with raw_server(on_connect) as url, HttpCommandClient(max_response_size=1000) as client:
        with pytest.raises(InvalidResponse, match="larger than the limit"):
            await client.post_command(url, {"command": "x"}, 2)


async def test_close_before_answer_on_fresh_connection_is_not_retried(client: HttpCommandClient) -> None:
    calls = 0

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        await read_request(reader)

    async with raw_server(on_connect) as url:
        with pytest.raises(ConnectionClosed) as info:
            await client.post_command(url, {"command": "x"}, 2)
    assert calls == 1 and not info.value.retryable


async def test_stale_keep_alive_connection_is_retried_once() -> None:
    # The server answers one request per connection without saying "Connection: close", then drops it,
    # as a peer does when its idle timer fires just as we reuse the connection.
    connections = 0

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)
        body = b'[{"result":0}]'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()

    async with raw_server(on_connect) as url, HttpCommandClient(pool_size=1) as client:
        for _ in range(3):
            assert await client.post_command(url, {"command": "x"}, 2) == [{"result": 0}]
    assert connections == 3


async def test_server_connection_close_header_is_honoured() -> None:
    connections = 0

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)
        body = b'[{"result":0}]'
        writer.write(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        await reader.read()  # the client, not the server, closes first

    async with raw_server(on_connect) as url, HttpCommandClient(pool_size=1) as client:
        for _ in range(3):
            assert await client.post_command(url, {"command": "x"}, 2) == [{"result": 0}]
        peer = next(iter(client._peers.values()))
        assert all(c.closed for c in peer.connections) or not peer.connections
    assert connections == 3


async def test_reconnects_after_server_restart(client: HttpCommandClient) -> None:
    registry = CommandRegistry()
    server = HttpCommandServer(registry_handler(registry))
    await server.start("127.0.0.1", 0)
    port = server.port
    assert (await client.post_command(server.url, {"command": "version-get"}, 2))[0]["result"] == 0
    await server.close()
    with pytest.raises(TransportError):
        await client.post_command(f"http://127.0.0.1:{port}/", {"command": "version-get"}, 2)
    server = HttpCommandServer(registry_handler(registry))
    await server.start("127.0.0.1", port)
    assert (await client.post_command(server.url, {"command": "version-get"}, 2))[0]["result"] == 0
    await server.close()


async def test_one_shot_post_command() -> None:
    server = await serve()
    assert (await post_command(server.url, {"command": "echo"}, 2))[0]["result"] == 0
    await server.close()


def test_bad_urls_and_options() -> None:
    with pytest.raises(ValueError):
        HttpCommandClient(pool_size=0)

    async def go() -> None:
        async with HttpCommandClient() as client:
            await client.post_command("ftp://x/", {"command": "x"}, 1)

    with pytest.raises(ValueError, match="unsupported URL"):
        asyncio.run(go())


async def test_short_timeout_after_a_long_one_still_fires_on_time() -> None:
    stuck = asyncio.Event()

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        await stuck.wait()
        return [{"result": 0}]

    server = await serve(handler)
    async with HttpCommandClient(pool_size=2) as client:
        long_one = asyncio.ensure_future(client.post_command(server.url, b"{}", timeout=30))
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(RequestTimeout):
            await client.post_command(server.url, b"{}", timeout=0.05)
        assert loop.time() - started < 1.0
        assert not long_one.done()
        stuck.set()
        assert await long_one == [{"result": 0}]
    await server.close()
