"""The HTTP listener driven with raw bytes: framing, keep-alive, pipelining, errors, auth."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from hakea.control.auth import BasicAuth, authorization_header
from hakea.control.http_server import (
    HttpCommandServer,
    HttpRequestInfo,
    registry_handler,
    start_http_listener,
)
from hakea.control.registry import CommandRegistry

from .conftest import make_registry
from .rawhttp import post, read_eof, read_response

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest.fixture
async def start() -> AsyncIterator[Callable[..., Awaitable[HttpCommandServer]]]:
    servers: list[HttpCommandServer] = []
    writers: list[asyncio.StreamWriter] = []

    async def _start(handler: Any = None, **kwargs: Any) -> HttpCommandServer:
        server = HttpCommandServer(handler or registry_handler(make_registry()), **kwargs)
        await server.start("127.0.0.1", 0)
        servers.append(server)
        return server

    yield _start
    for w in writers:
        w.close()
    for s in servers:
        await s.close()


async def connect(server: HttpCommandServer) -> Conn:
    return await asyncio.open_connection("127.0.0.1", server.port)


async def test_single_request_answers_list_with_kea_headers(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    writer.write(post('{"command": "echo", "service": ["dhcp4"], "arguments": {"a": 1}}'))
    resp = await read_response(reader)
    assert resp.status_line == "HTTP/1.1 200 OK"
    assert resp.headers["content-type"] == "application/json"
    assert resp.headers["date"].endswith(" GMT")
    assert "connection" not in resp.headers  # HTTP/1.1 keep-alive is the default
    [answer] = resp.json()  # Kea's daemon listener answers a list of one
    assert answer["result"] == 0
    assert answer["arguments"]["echo"] == {"a": 1}
    assert answer["arguments"]["transport"] == "http"
    assert answer["arguments"]["remote"] == "127.0.0.1"
    assert answer["arguments"]["service"] == ["dhcp4"]
    writer.close()


async def test_unknown_command_over_http(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    writer.write(post('{"command": "foo"}'))
    assert (await read_response(reader)).json() == [{"result": 2, "text": "'foo' command not supported."}]
    writer.close()


async def test_keep_alive_serves_several_requests(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    for i in range(3):
        writer.write(post(f'{{"command": "echo", "arguments": {{"i": {i}}}}}'))
        resp = await read_response(reader)
        assert resp.json()[0]["arguments"]["echo"] == {"i": i}
    assert len(server.connections) == 1
    writer.close()


async def test_pipelined_requests_run_in_order_and_answer_in_order(start: Any) -> None:
    order: list[int] = []
    release_first = asyncio.Event()

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        i = int(body)
        if i == 0:
            await release_first.wait()  # the first request is the slow one
        order.append(i)
        return {"i": i}

    server = await start(handler)
    reader, writer = await connect(server)
    writer.write(b"".join(post(str(i)) for i in range(5)))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert order == []  # nothing overtakes the slow first request
    release_first.set()
    answers = [(await read_response(reader)).json() for _ in range(5)]
    assert answers == [{"i": i} for i in range(5)]
    assert order == [0, 1, 2, 3, 4]
    writer.close()


async def test_connections_are_served_concurrently(start: Any) -> None:
    gate = asyncio.Event()
    entered = 0

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        nonlocal entered
        entered += 1
        if entered == 3:
            gate.set()
        await gate.wait()  # deadlocks unless all three run at once
        return {"ok": True}

    server = await start(handler)
    conns = [await connect(server) for _ in range(3)]
    for _, w in conns:
        w.write(post("{}"))
    for r, w in conns:
        assert (await read_response(r)).json() == {"ok": True}
        w.close()


async def test_connection_close_is_honoured(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    writer.write(post('{"command": "echo"}', headers="Connection: close\r\n") + post('{"command": "echo"}'))
    resp = await read_response(reader)
    assert resp.status == 200 and resp.headers["connection"] == "close"
    assert await read_eof(reader) == b""  # closed; the second request is not answered
    writer.close()


async def test_http10_closes_by_default_and_keeps_alive_on_request(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    writer.write(post('{"command": "echo"}', version="1.0"))
    resp = await read_response(reader)
    assert resp.status_line == "HTTP/1.0 200 OK"  # Kea answers in the request's version
    assert await read_eof(reader) == b""
    writer.close()
    reader, writer = await connect(server)
    writer.write(post('{"command": "echo"}', version="1.0", headers="Connection: keep-alive\r\n") * 2)
    for _ in range(2):
        resp = await read_response(reader)
        assert resp.headers["connection"] == "keep-alive"
    writer.close()


async def test_garbage_gets_400_and_close(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    writer.write(b"GARBAGE\r\n\r\n")
    resp = await read_response(reader)
    assert resp.status == 400
    assert resp.json() == {"result": 400, "text": "Bad Request"}  # Kea's error body shape
    assert await read_eof(reader) == b""
    writer.close()


async def test_garbage_after_good_request_answers_both_in_order(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    writer.write(post('{"command": "echo"}') + b"\x00\x01garbage\r\n\r\n")
    assert (await read_response(reader)).status == 200
    assert (await read_response(reader)).status == 400
    assert await read_eof(reader) == b""
    writer.close()


async def test_other_methods_get_405_and_connection_stays(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    resp = await read_response(reader)
    assert resp.status == 405 and resp.headers["allow"] == "POST"
    writer.write(post('{"command": "echo"}'))
    assert (await read_response(reader)).status == 200
    writer.close()


async def test_missing_length_and_chunked_get_411(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n")
    assert (await read_response(reader)).status == 411
    assert await read_eof(reader) == b""
    writer.close()
    reader, writer = await connect(server)
    writer.write(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'13\r\n{"command": "echo"}\r\n0\r\n\r\n'
    )
    assert (await read_response(reader)).status == 411
    writer.close()


async def test_oversized_body_gets_413_before_the_body_is_read(start: Any) -> None:
    server = await start(max_body_size=100)
    reader, writer = await connect(server)
    # Only the headers are sent: the 413 must not wait for the body.
    writer.write(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 101\r\n\r\n"
    )
    resp = await read_response(reader)
    assert resp.status == 413 and resp.headers["connection"] == "close"
    assert await read_eof(reader) == b""
    writer.close()


async def test_body_at_the_limit_is_accepted(start: Any) -> None:
    server = await start(max_body_size=100)
    reader, writer = await connect(server)
    body = '{"command": "echo", "arguments": {"pad": "' + "x" * 50 + '"}}'
    body += " " * (100 - len(body))
    writer.write(post(body))
    assert (await read_response(reader)).status == 200
    writer.close()


async def test_non_json_content_type_gets_415(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    data = b'{"command": "echo"}'
    writer.write(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
        % (len(data), data)
    )
    assert (await read_response(reader)).status == 415
    writer.write(post(data, headers="").replace(b"application/json", b"application/json; charset=utf-8"))
    assert (await read_response(reader)).status == 200
    writer.close()


async def test_path_is_ignored_like_kea(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    writer.write(post('{"command": "echo"}', path="/some/path"))
    assert (await read_response(reader)).status == 200
    writer.close()


async def test_large_body_in_many_segments(start: Any) -> None:
    server = await start()
    reader, writer = await connect(server)
    leases = [{"ip-address": f"10.0.{i // 256}.{i % 256}", "hostname": "h" * 40} for i in range(20000)]
    import json

    data = post(json.dumps({"command": "echo", "arguments": {"leases": leases}}))
    assert len(data) > 1_000_000
    writer.write(data)
    resp = await read_response(reader, timeout=10)
    assert resp.json()[0]["arguments"]["echo"]["leases"][-1] == leases[-1]
    writer.close()


async def test_handler_exception_gets_500_and_connection_survives(start: Any) -> None:
    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        if body == b"boom":
            raise RuntimeError("boom")
        return {"ok": 1}

    server = await start(handler)
    reader, writer = await connect(server)
    writer.write(post("boom") + post("{}"))
    assert (await read_response(reader)).status == 500
    assert (await read_response(reader)).json() == {"ok": 1}
    writer.close()


async def test_handler_may_return_encoded_bytes(start: Any) -> None:
    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        return b'[ { "result": 0 } ]'

    server = await start(handler)
    reader, writer = await connect(server)
    writer.write(post("{}"))
    assert (await read_response(reader)).body == b'[ { "result": 0 } ]'
    writer.close()


AUTH = BasicAuth.from_clients([("admin", "1234"), ("bob", "secret\n")], realm="hakea-test")


async def test_auth_missing_or_wrong_gets_401_with_challenge(start: Any) -> None:
    server = await start(auth=AUTH)
    reader, writer = await connect(server)
    for headers in (
        "",
        f"Authorization: {authorization_header('admin', 'wrong')}\r\n",
        "Authorization: Bearer x\r\n",
    ):
        writer.write(post('{"command": "echo"}', headers=headers))
        resp = await read_response(reader)
        assert resp.status == 401
        assert resp.headers["www-authenticate"] == 'Basic realm="hakea-test"'
        assert resp.json() == {"result": 401, "text": "Unauthorized"}
    writer.close()


async def test_auth_success_passes_the_user(start: Any) -> None:
    server = await start(auth=AUTH)
    reader, writer = await connect(server)
    header = "Authorization: " + authorization_header("bob", "secret\n") + "\r\n"
    writer.write(post('{"command": "echo"}', headers=header))
    resp = await read_response(reader)
    assert resp.status == 200 and resp.json()[0]["arguments"]["user"] == "bob"
    writer.close()


async def test_idle_connections_are_closed(start: Any) -> None:
    server = await start(idle_timeout=0.05)
    reader, writer = await connect(server)
    writer.write(post('{"command": "echo"}'))
    await read_response(reader)
    assert await read_eof(reader, timeout=2) == b""
    writer.close()


async def test_unwrapped_answers_for_agents(start: Any) -> None:
    server = await start(registry_handler(make_registry(), wrap_in_list=False))
    reader, writer = await connect(server)
    writer.write(post('{"command": "version-get"}'))
    assert (await read_response(reader)).json()["result"] == 0
    writer.close()


async def test_start_http_listener_and_close() -> None:
    registry = CommandRegistry()
    server = await start_http_listener(registry, "127.0.0.1", 0)
    assert server.url == f"http://127.0.0.1:{server.port}/"
    reader, writer = await connect(server)
    writer.write(post('{"command": "list-commands"}'))
    assert (await read_response(reader)).json()[0]["arguments"] == [
        "build-report",
        "list-commands",
        "version-get",
    ]
    await server.close()
    assert await read_eof(reader) == b""
    writer.close()


async def test_client_disconnect_does_not_cancel_a_running_command(start: Any) -> None:
    release = asyncio.Event()
    finished: list[bytes] = []

    async def handler(body: bytes, info: HttpRequestInfo) -> Any:
        await release.wait()
        finished.append(body)  # e.g. a lease update must not be left half-applied
        return {"ok": 1}

    server = await start(handler)
    _reader, writer = await connect(server)
    writer.write(post("first") + post("second"))
    await writer.drain()
    writer.close()
    await asyncio.wait_for(_until(lambda: not server.connections), 2)
    release.set()
    await asyncio.wait_for(_until(lambda: bool(finished)), 2)
    await asyncio.sleep(0)
    assert finished == [b"first"]  # the queued second request is not started


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.001)


async def test_sync_commands_keep_order_behind_a_pending_async_one(start: Any) -> None:
    registry = CommandRegistry()
    order: list[str] = []
    release = asyncio.Event()

    async def slow(arguments: dict[str, Any] | None, request: Any) -> dict[str, Any]:
        await release.wait()
        order.append("slow")
        return {"result": 0, "text": "slow"}

    def fast(arguments: dict[str, Any] | None, request: Any) -> dict[str, Any]:
        order.append("fast")
        return {"result": 0, "text": "fast"}

    registry.register("slow", slow)
    registry.register_sync("fast", fast)
    server = await start(registry_handler(registry))
    reader, writer = await connect(server)
    writer.write(post('{"command": "fast"}'))
    assert (await read_response(reader)).json() == [{"result": 0, "text": "fast"}]  # answered inline
    writer.write(post('{"command": "slow"}') + post('{"command": "fast"}'))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert order == ["fast"]  # the second fast one waits behind the slow one
    release.set()
    assert [(await read_response(reader)).json()[0]["text"] for _ in range(2)] == ["slow", "fast"]
    assert order == ["fast", "slow", "fast"]
    writer.close()


async def test_sync_handler_exception_gets_500(start: Any) -> None:
    def handler(body: bytes, info: HttpRequestInfo) -> Any:
        raise RuntimeError("boom")

    server = await start(handler)
    reader, writer = await connect(server)
    writer.write(post("{}") + post("{}", headers="Connection: close\r\n"))
    assert (await read_response(reader)).status == 500
    assert (await read_response(reader)).status == 500
    assert await read_eof(reader) == b""
    writer.close()
