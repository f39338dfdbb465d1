"""HTTP/1.1 command listener: an asyncio Protocol around httptools' request parser.

One job: frame requests, authenticate them, hand the body to an async handler and write the answers
back in request order. What the body means is the handler's business (the daemon's registry, or the
control agent's forwarding).

Behaviour (Kea 2.2 facts where Kea has one, checked against Debian's kea-ctrl-agent 2.2.0):

* ``POST`` with a ``Content-Length`` body; the path is ignored (kea-shell's --path works);
* answers are ``200 OK`` with ``Content-Type: application/json`` and a ``Date`` header; errors carry
  Kea's body shape ``{"result": <status>, "text": "<reason>"}``;
* HTTP/1.1 connections persist unless the client says ``Connection: close``; HTTP/1.0 ones close
  unless it says keep-alive; the response repeats the request's HTTP version as Kea does;
* pipelined requests run one after another per connection (so their effects keep request order) and
  are answered in order; connections run concurrently. Kea's own listener does not pipeline (it
  answers the first request only), so Kea peers never send more than one at a time;
* differences from Kea, on purpose: 405 (not 400) for other methods, 411 for a missing length or a
  chunked body, 413 for a body over ``max_body_size``, 415 for a non-JSON Content-Type (Kea answers
  400 to all of these, and also refuses "application/json; charset=utf-8", which we accept).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, cast

import httptools

from hakea.control import envelope
from hakea.control.auth import BasicAuth
from hakea.control.registry import CommandRegistry

log = logging.getLogger("hakea.control.http")

DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024  # a 10,000-lease page is ~3.3 MB; config-set can be large
DEFAULT_IDLE_TIMEOUT = 30.0  # seconds; Kea's listeners also drop idle persistent connections
DEFAULT_MAX_PIPELINED = 64  # queued requests per connection before we stop reading from it

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


@dataclass(slots=True)  # not frozen: a frozen init costs ~3 us, once per request
class HttpRequestInfo:
    """Per-request facts a handler may use (for logging, or for Kea's "remote-address")."""

    remote_address: str
    user: str | None
    tls: bool


RequestHandler = Callable[[bytes, HttpRequestInfo], Any]
"""Returns the answer (a list or map to encode as JSON, or JSON bytes) or an awaitable of it.

Answering without an awaitable lets the listener reply inside the read callback, with no task per
request; execution order is kept either way (a request waits while an earlier one is pending)."""

_READY = (dict, list, bytes)


class _DateCache:
    """RFC 7231 Date header value, formatted once per second."""

    __slots__ = ("_second", "_value")

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def get(self) -> bytes:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._value = formatdate(now, usegmt=True).encode("ascii")
        return self._value


_date = _DateCache()


def build_response(
    status: int, body: bytes, *, version: str = "1.1", close: bool = False, extra: bytes = b""
) -> bytes:
    """Serialise one response; ``extra`` holds additional header lines ending in CRLF."""
    connection = b""
    if close:
        connection = b"Connection: close\r\n"
    elif version == "1.0":
        connection = b"Connection: keep-alive\r\n"
    return (
        b"HTTP/%s %d %s\r\nContent-Length: %d\r\nContent-Type: application/json\r\nDate: %s\r\n%s%s\r\n%s"
        % (
            version.encode("ascii"),
            status,
            _REASONS.get(status, "Error").encode("ascii"),
            len(body),
            _date.get(),
            connection,
            extra,
            body,
        )
    )


def _error_body(status: int) -> bytes:
    return envelope.encode(envelope.answer(status, _REASONS.get(status, "Error")))


@dataclass(slots=True)
class _Request:
    body: bytes
    info: HttpRequestInfo | None  # None: ``response`` is already known (an HTTP-level error)
    version: str
    close: bool
    response: bytes = b""
    pending: Awaitable[Any] | None = None  # the handler already ran and returned this


class _HttpConnection(asyncio.Protocol):
    def __init__(self, server: HttpCommandServer) -> None:
        self._server = server
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._remote = ""
        self._tls = False
        self._requests: deque[_Request] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._stopped = False  # no more requests will be read (error or Connection: close)
        self._read_paused = False
        self._write_paused = False
        self.last_activity = self._loop.time()
        self._reset()

    def _reset(self) -> None:
        # Per-request parser state; reset after each message (no on_message_begin callback: every
        # callback httptools finds costs a Python call per request).
        self._authorization: bytes | None = None
        self._content_type: bytes | None = None
        self._content_length: int | None = None
        self._chunked = False
        self._chunks: list[bytes] = []
        self._status = 0  # non-zero: answer with this HTTP error instead of calling the handler
        self._user: str | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._remote = str(peer[0]) if isinstance(peer, tuple) else str(peer or "")
        self._tls = transport.get_extra_info("sslcontext") is not None
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        # A command already running is left to finish (its answer is dropped): cancelling it could
        # leave a half-applied lease update behind. Queued ones are not started.
        self._server.connections.discard(self)
        self._stopped = True
        self._requests.clear()

    def data_received(self, data: bytes) -> None:
        if self._stopped:
            return
        self.last_activity = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400)
        except httptools.HttpParserError:
            if not self._stopped:
                self._fail(400)

    def pause_writing(self) -> None:
        # The peer is not reading its answers: stop reading its requests until it catches up.
        self._write_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._update_reading()

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"authorization":
            self._authorization = value
        elif name == b"content-type":
            self._content_type = value
        elif name == b"content-length":
            try:
                self._content_length = int(value)
            except ValueError:
                self._content_length = None
        elif name == b"transfer-encoding":
            self._chunked = True

    def on_headers_complete(self) -> None:
        if self._stopped:
            return
        server = self._server
        if self._parser.get_method() != b"POST":
            self._status = 405
        elif self._chunked or self._content_length is None:
            self._status = 411
        elif self._content_length > server.max_body_size:
            # Answer now rather than read (and drop) a huge body.
            self._fail(413)
        elif self._content_type is not None and (
            self._content_type.split(b";", 1)[0].strip().lower() != b"application/json"
        ):
            self._status = 415
        elif server.auth is not None:
            self._user = server.auth.check(self._authorization)
            if self._user is None:
                self._status = 401

    def on_body(self, body: bytes) -> None:
        if not self._status and not self._stopped:
            self._chunks.append(body)

    def on_message_complete(self) -> None:
        if self._stopped:
            return
        parser = self._parser
        version = parser.get_http_version()
        keep_alive = parser.should_keep_alive()
        status = self._status
        if status in (411, 400):
            keep_alive = False  # the framing of what follows is unknown
        if status:
            extra = b""
            if status == 401 and self._server.auth is not None:
                extra = b"WWW-Authenticate: %s\r\n" % self._server.auth.challenge().encode()
            if status == 405:
                extra = b"Allow: POST\r\n"
            response = build_response(
                status, _error_body(status), version=version, close=not keep_alive, extra=extra
            )
            self._enqueue(_Request(b"", None, version, not keep_alive, response))
        else:
            chunks = self._chunks
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            info = HttpRequestInfo(self._remote, self._user, self._tls)
            if self._worker is None:
                # Nothing earlier is pending: run the handler now; answer now if it needs no await.
                self._run_now(_Request(body, info, version, not keep_alive))
            else:
                self._enqueue(_Request(body, info, version, not keep_alive))
        self._reset()
        if not keep_alive:
            self._stop_reading()

    # request queue: one worker task per burst of requests keeps execution and answers in order

    def _fail(self, status: int) -> None:
        version = self._parser.get_http_version()
        if version not in ("1.0", "1.1"):  # garbage before a request line was parsed
            version = "1.1"
        response = build_response(status, _error_body(status), version=version, close=True)
        self._enqueue(_Request(b"", None, version, True, response))
        self._stop_reading()

    def _stop_reading(self) -> None:
        self._stopped = True
        self._update_reading()

    def _enqueue(self, request: _Request) -> None:
        self._requests.append(request)
        if self._worker is None:
            self._worker = self._loop.create_task(self._work())
        elif len(self._requests) >= self._server.max_pipelined:
            self._update_reading()

    def _update_reading(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        pause = self._stopped or self._write_paused or len(self._requests) >= self._server.max_pipelined
        if pause and not self._read_paused:
            transport.pause_reading()
            self._read_paused = True
        elif not pause and self._read_paused:
            transport.resume_reading()
            self._read_paused = False

    @property
    def busy(self) -> bool:
        return self._worker is not None

    async def _work(self) -> None:
        try:
            while self._requests:
                request = self._requests.popleft()
                if request.info is not None:
                    request.response = await self._answer(request)
                transport = self._transport
                if transport is None or transport.is_closing():
                    return
                transport.write(request.response)
                self.last_activity = self._loop.time()
                if request.close:
                    transport.close()
                    return
                if self._read_paused:
                    self._update_reading()
        finally:
            self._worker = None

    def _run_now(self, request: _Request) -> None:
        assert request.info is not None
        try:
            result = self._server.handler(request.body, request.info)
        except Exception:
            log.exception("command handler failed for %s", request.info.remote_address)
            result = None
        if result is not None and not isinstance(result, _READY):
            request.pending = result
            self._enqueue(request)
            return
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(self._response(request, result))
        if request.close:
            transport.close()

    def _response(self, request: _Request, result: Any) -> bytes:
        """``result`` None means the handler failed (logged by the caller)."""
        if result is None:
            payload, status = _error_body(500), 500
        else:
            payload, status = (result if isinstance(result, bytes) else envelope.encode(result)), 200
        return build_response(status, payload, version=request.version, close=request.close)

    async def _answer(self, request: _Request) -> bytes:
        assert request.info is not None
        try:
            result = request.pending
            if result is None:
                result = self._server.handler(request.body, request.info)
            if not isinstance(result, _READY):
                result = await result
        except Exception:
            log.exception("command handler failed for %s", request.info.remote_address)
            result = None
        return self._response(request, result)

    def close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()


class HttpCommandServer:
    """A listening socket serving ``handler``; see the module docstring for the HTTP behaviour."""

    def __init__(
        self,
        handler: RequestHandler,
        *,
        auth: BasicAuth | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        max_pipelined: int = DEFAULT_MAX_PIPELINED,
    ) -> None:
        self.handler = handler
        self.auth = auth
        self.ssl_context = ssl_context
        self.max_body_size = max_body_size
        self.idle_timeout = idle_timeout
        self.max_pipelined = max_pipelined
        self.connections: set[_HttpConnection] = set()
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _HttpConnection(self), host, port, ssl=self.ssl_context, reuse_address=True
        )
        if self.idle_timeout:
            self._sweeper = loop.call_later(self.idle_timeout / 2, self._sweep)

    @property
    def port(self) -> int:
        """The bound port (useful after ``start(host, 0)``)."""
        assert self._server is not None and self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        assert self._server is not None and self._server.sockets
        host = self._server.sockets[0].getsockname()[0]
        scheme = "https" if self.ssl_context is not None else "http"
        host = f"[{host}]" if ":" in host else host
        return f"{scheme}://{host}:{self.port}/"

    def _sweep(self) -> None:
        # Drop idle persistent connections (and half-sent requests) after idle_timeout.
        assert self.idle_timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() - self.idle_timeout
        for conn in list(self.connections):
            if not conn.busy and conn.last_activity < deadline:
                conn.close()
        self._sweeper = loop.call_later(self.idle_timeout / 2, self._sweep)

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._server is not None:
            self._server.close()
            for conn in list(self.connections):
                conn.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> HttpCommandServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def registry_handler(registry: CommandRegistry, *, wrap_in_list: bool = True) -> RequestHandler:
    """Serve a registry over HTTP; Kea 2.2's daemon listener answers a list of one answer."""

    def handle(body: bytes, info: HttpRequestInfo) -> Any:
        answer = registry.dispatch_nowait(
            body,
            transport="https" if info.tls else "http",
            remote_address=info.remote_address,
            user=info.user,
        )
        if isinstance(answer, dict):
            return [answer] if wrap_in_list else answer
        return _in_list(answer) if wrap_in_list else answer

    return handle


async def _in_list(answer: Awaitable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [await answer]


async def start_http_listener(
    registry: CommandRegistry,
    host: str,
    port: int,
    *,
    auth: BasicAuth | None = None,
    ssl_context: ssl.SSLContext | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
) -> HttpCommandServer:
    """The daemon's own HTTP listener (the HA peer URL)."""
    server = HttpCommandServer(
        registry_handler(registry),
        auth=auth,
        ssl_context=ssl_context,
        max_body_size=max_body_size,
        idle_timeout=idle_timeout,
    )
    await server.start(host, port)
    return server
