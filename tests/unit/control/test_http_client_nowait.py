"""HttpCommandClient.post_command_nowait: the task-free way the HA packet path sends lease updates."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from hakea.control.errors import ConnectError, RequestTimeout, TransportError
from hakea.control.http_client import HttpCommandClient
from hakea.control.http_server import HttpCommandServer, HttpRequestInfo, registry_handler

from .conftest import make_registry
from .test_http_client import raw_server, read_request


class Answers:
    """Collects done(answer, error) calls; `wait(n)` returns once n arrived (bounded)."""

    def __init__(self) -> None:
        self.got: list[tuple[Any, TransportError | None]] = []
        self._event = asyncio.Event()

    def done(self, answer: Any, error: TransportError | None) -> None:
        self.got.append((answer, error))
        self._event.set()

    async def wait(self, n: int, timeout: float = 5.0) -> list[tuple[Any, TransportError | None]]:
        async with asyncio.timeout(timeout):
            while len(self.got) < n:
                self._event.clear()
                await self._event.wait()
        return self.got


async def serve(handler: Any = None) -> HttpCommandServer:
    server = HttpCommandServer(handler or registry_handler(make_registry()))
    await server.start("127.0.0.1", 0)
    return server


async def test_answers_arrive_through_the_callback_never_synchronously() -> None:
    server = await serve()
    answers = Answers()
    async with HttpCommandClient(pool_size=2) as client:
        client.post_command_nowait(server.url, {"command": "echo", "arguments": {"i": 1}}, 2, answers.done)
        assert answers.got == []  # not called from inside post_command_nowait
        (answer, error), = await answers.wait(1)
    assert error is None and answer[0]["arguments"]["echo"] == {"i": 1}
    await server.close()


async def test_queued_requests_keep_their_order_and_use_at_most_pool_size_connections() -> None:
    in_flight = peak = 0
    order: list[bytes] = []

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        nonlocal in_flight, peak
        order.append(body)
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        return [{"result": 0, "text": body.decode()}]

    server = await serve(handler)
    answers = Answers()
    async with HttpCommandClient(pool_size=3) as client:
        for i in range(50):
            client.post_command_nowait(server.url, b'"%d"' % i, 5, answers.done)
        got = await answers.wait(50)
    assert sorted(int(a[0]["text"].strip('"')) for a, e in got if e is None) == list(range(50))
    assert order == [b'"%d"' % i for i in range(50)]  # sent in the order they were posted
    assert 1 <= peak <= 3
    await server.close()


async def test_unreachable_peer_fails_every_queued_request() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    answers = Answers()
    async with HttpCommandClient(pool_size=1) as client:
        for _ in range(5):
            client.post_command_nowait(f"http://127.0.0.1:{port}/", {"command": "x"}, 2, answers.done)
        got = await answers.wait(5)
    assert all(a is None and isinstance(e, ConnectError) for a, e in got)


async def test_a_request_waiting_in_the_queue_times_out() -> None:
    stuck = asyncio.Event()

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        await stuck.wait()
        return [{"result": 0}]

    server = await serve(handler)
    answers = Answers()
    async with HttpCommandClient(pool_size=1) as client:
        client.post_command_nowait(server.url, b"first", 0.2, answers.done)  # occupies the connection
        client.post_command_nowait(server.url, b"second", 0.05, answers.done)  # waits in the queue
        got = await answers.wait(2)
        assert all(isinstance(e, RequestTimeout) for _, e in got)
        stuck.set()
        # The connection that timed out was dropped; a new request gets a fresh one and an answer.
        client.post_command_nowait(server.url, b"third", 2, answers.done)
        answer, error = (await answers.wait(3))[2]
    assert error is None and answer == [{"result": 0}]
    await server.close()


async def test_stale_keep_alive_connection_is_retried_once() -> None:
    connections = 0

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)
        body = b'[{"result":0}]'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()

    answers = Answers()
    async with raw_server(on_connect) as url, HttpCommandClient(pool_size=1) as client:
        for i in range(3):
            client.post_command_nowait(url, {"command": "x"}, 2, answers.done)
            await answers.wait(i + 1)
    assert [e for _, e in answers.got] == [None, None, None]
    assert connections == 3


async def test_close_fails_queued_requests() -> None:
    stuck = asyncio.Event()

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        await stuck.wait()
        return [{"result": 0}]

    server = await serve(handler)
    answers = Answers()
    client = HttpCommandClient(pool_size=1)
    client.post_command_nowait(server.url, b"a", 5, answers.done)
    client.post_command_nowait(server.url, b"b", 5, answers.done)
    await asyncio.sleep(0.05)
    await client.close()
    got = await answers.wait(2)
    assert all(isinstance(e, TransportError) for _, e in got)
    stuck.set()
    await server.close()
