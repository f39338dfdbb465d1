"""Lean async HTTP/1.1 client for commands to HA peers and control agents.

Per peer URL a small pool of persistent connections (``pool_size``), each carrying at most
``pipeline_depth`` requests in flight. The default depth is 1: Kea 2.2's listener answers only the
first of pipelined requests, so against a Kea partner concurrency must come from several connections.
Set ``pipeline_depth`` > 1 only towards hakea peers.

A request that finds its reused keep-alive connection closed before any byte of the answer arrived
is retried once on a fresh connection (the peer dropped an idle connection as we reused it). Kea's
HA commands are idempotent (lease updates carry the full lease), so this is safe for them.

Two ways in: ``await post_command(...)``, and ``post_command_nowait(..., done)`` for the HA packet
path, which costs no task: the request goes out at once on an idle connection, or waits in the
peer's queue (served in order as connections free up), and ``done(answer, error)`` is called from
the event loop when it is over.
"""

from __future__ import annotations

import asyncio
import math
import os
import ssl
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import httptools

from hakea.control import envelope
from hakea.control.auth import authorization_header
from hakea.control.envelope import CommandParseError
from hakea.control.errors import (
    ConnectError,
    ConnectionClosed,
    HttpStatusError,
    InvalidResponse,
    RequestTimeout,
    TransportError,
)

__all__ = [
    "ConnectError",
    "ConnectionClosed",
    "HttpCommandClient",
    "HttpResponse",
    "HttpStatusError",
    "InvalidResponse",
    "RequestTimeout",
    "TransportError",
    "post_command",
]

DEFAULT_MAX_RESPONSE_SIZE = 256 * 1024 * 1024


@dataclass(slots=True)  # not frozen: a frozen init costs ~3 us, once per request
class HttpResponse:
    status: int
    body: bytes


AnswerCallback = Callable[[Any, "TransportError | None"], None]
"""``done(answer, None)`` with the decoded JSON answer, or ``done(None, error)``."""


class _Job:
    """A post_command_nowait request: queued until a connection takes it, then in flight."""

    __slots__ = ("data", "deadline", "done", "retried", "timeout")

    def __init__(self, data: bytes, deadline: float, timeout: float, done: AnswerCallback) -> None:
        self.data = data
        self.deadline = deadline  # loop time
        self.timeout = timeout
        self.done = done
        self.retried = False


class _Pending:
    __slots__ = ("deadline", "future", "received", "timeout")

    def __init__(self, future: asyncio.Future[HttpResponse], deadline: float, timeout: float) -> None:
        self.future = future
        self.deadline = deadline  # loop time
        self.timeout = timeout
        self.received = False  # some byte of this answer arrived


class _ClientConnection(asyncio.Protocol):
    def __init__(self, peer: _Peer) -> None:
        self._peer = peer
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.pending: deque[_Pending] = deque()
        self.answered = 0
        self.closed = False
        self._chunks: list[bytes] = []
        self._size = 0
        self._too_large = False

    @property
    def in_flight(self) -> int:
        return len(self.pending)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail_all(exc)
        self._peer.connection_closed(self)

    def send(
        self, data: bytes, future: asyncio.Future[HttpResponse], deadline: float, timeout: float
    ) -> None:
        assert self.transport is not None
        self.pending.append(_Pending(future, deadline, timeout))
        self.transport.write(data)

    def expire(self, now: float) -> float:
        """Fail the requests whose deadline passed (and drop the connection: a late answer would be
        taken for the next request's); return the earliest deadline still pending, or inf."""
        earliest = math.inf
        expired = False
        url = self._peer.url
        for pending in self.pending:
            if pending.future.done():
                continue
            if pending.deadline <= now:
                expired = True
                pending.future.set_exception(
                    RequestTimeout(
                        f"no answer from {url} within {pending.timeout:g} s", url, reason="timeout"
                    )
                )
            else:
                earliest = min(earliest, pending.deadline)
        if expired:
            self.abort()
        return earliest

    def abort(self) -> None:
        """Drop the connection (after a timeout its answers can no longer be matched)."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _fail_all(self, exc: BaseException | None) -> None:
        reused = self.answered > 0
        reason = f": {exc}" if exc else ""
        while self.pending:
            pending = self.pending.popleft()
            if not pending.future.done():
                pending.future.set_exception(
                    ConnectionClosed(
                        f"connection to {self._peer.url} closed before the answer{reason}",
                        self._peer.url,
                        retryable=reused and not pending.received,
                    )
                )

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self._too_large:
                error = InvalidResponse(
                    f"answer from {self._peer.url} is larger than the limit", self._peer.url
                )
            else:
                error = InvalidResponse(f"invalid HTTP answer from {self._peer.url}: {exc}", self._peer.url)
            self._fail_with(error)

    def _fail_with(self, error: TransportError) -> None:
        if self.pending:
            pending = self.pending.popleft()
            if not pending.future.done():
                pending.future.set_exception(error)
        self.abort()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._chunks = []
        self._size = 0
        if self.pending:
            self.pending[0].received = True

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._peer.client.max_response_size:
            self._too_large = True
            raise ValueError("answer too large")  # aborts parsing; data_received reports it
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        chunks = self._chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._chunks = []
        status = self._parser.get_status_code()
        keep_alive = self._parser.should_keep_alive()
        self.answered += 1
        if not self.pending:  # an answer nobody asked for: the stream is out of step
            self.abort()
            return
        pending = self.pending.popleft()
        if not pending.future.done():
            pending.future.set_result(HttpResponse(status, body))
        if not keep_alive:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        else:
            self._peer.slot_freed()


def _os_reason(exc: OSError) -> str:
    # asyncio reports "Connect call failed (...)" as strerror; the errno text is what people know.
    return os.strerror(exc.errno) if exc.errno else str(exc)


class _Peer:
    """Connections to one URL."""

    def __init__(self, client: HttpCommandClient, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"unsupported URL '{url}' (expected http:// or https://host:port/)")
        self.client = client
        self.url = url
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        options = client.peer_options.get(url)
        auth = options[0] if options and options[0] else client.auth
        if parts.username is not None:
            auth = (unquote(parts.username), unquote(parts.password or ""))
        self.ssl_context: ssl.SSLContext | None = None
        if self.tls:
            self.ssl_context = (
                (options[1] if options else None) or client.ssl_context or ssl.create_default_context()
            )
        host_header = f"[{self.host}]" if ":" in self.host else self.host
        if parts.port is not None:
            host_header += f":{parts.port}"
        header = f"POST {path} HTTP/1.1\r\nHost: {host_header}\r\nContent-Type: application/json\r\n"
        if auth is not None:
            header += f"Authorization: {authorization_header(*auth)}\r\n"
        self.header = header.encode("utf-8") + b"Content-Length: "
        self.connections: list[_ClientConnection] = []
        self.connecting = 0
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.queue: deque[_Job] = deque()  # post_command_nowait requests waiting for a connection

    def connection_closed(self, conn: _ClientConnection) -> None:
        if conn in self.connections:
            self.connections.remove(conn)
        self.slot_freed()
        if self.queue and not self.connections and not self.connecting:
            self.client._open_for_queue(self)

    def slot_freed(self) -> None:
        if self.queue:
            conn = self.idle_connection()
            if conn is not None:
                self.client._start(self, conn, self.queue.popleft())
                return
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def idle_connection(self) -> _ClientConnection | None:
        for conn in self.connections:
            if not conn.pending and not conn.closed:
                return conn
        return None

    async def acquire(self, fresh: bool) -> _ClientConnection:
        """A connection with room for one more request; ``fresh`` asks for a new one."""
        client = self.client
        while True:
            best: _ClientConnection | None = None
            if not fresh:
                for conn in self.connections:
                    if not conn.closed and (best is None or conn.in_flight < best.in_flight):
                        best = conn
                        if conn.in_flight == 0:
                            break
            if best is not None and best.in_flight == 0:
                return best
            if len(self.connections) + self.connecting < client.pool_size or (fresh and self.connecting == 0):
                return await self._open()
            if best is not None and best.in_flight < client.pipeline_depth:
                return best
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self.slot_freed()  # pass the wake-up on
                raise

    async def _open(self, counted: bool = False) -> _ClientConnection:
        """A new connection; `counted`: the caller already added it to `connecting`."""
        loop = asyncio.get_running_loop()
        if not counted:
            self.connecting += 1
        try:
            _, conn = await loop.create_connection(
                lambda: _ClientConnection(self),
                self.host,
                self.port,
                ssl=self.ssl_context,
                server_hostname=self.host if self.ssl_context is not None else None,
            )
        except ssl.SSLError as exc:
            raise ConnectError(f"TLS handshake with {self.url} failed: {exc}", self.url) from None
        except OSError as exc:
            reason = _os_reason(exc)
            raise ConnectError(f"cannot connect to {self.url}: {reason}", self.url, reason=reason) from None
        finally:
            self.connecting -= 1
        self.connections.append(conn)
        return conn

    def close(self) -> None:
        for conn in list(self.connections):
            conn.abort()
        self.connections.clear()


class HttpCommandClient:
    """Persistent-connection client; one instance per daemon (it keeps a pool per peer URL)."""

    def __init__(
        self,
        *,
        pool_size: int = 4,
        pipeline_depth: int = 1,
        auth: tuple[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        if pool_size < 1 or pipeline_depth < 1:
            raise ValueError("pool_size and pipeline_depth must be at least 1")
        self.pool_size = pool_size
        self.pipeline_depth = pipeline_depth
        self.auth = auth
        self.ssl_context = ssl_context
        self.max_response_size = max_response_size
        self.peer_options: dict[str, tuple[tuple[str, str] | None, ssl.SSLContext | None]] = {}
        self._peers: dict[str, _Peer] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self._loop: asyncio.AbstractEventLoop | None = None  # get_running_loop() costs a getpid()
        self._tasks: set[asyncio.Task[None]] = set()

    def configure_peer(
        self, url: str, *, auth: tuple[str, str] | None = None, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """Per-peer basic-auth credentials and TLS context (Kea's per-peer basic-auth-user etc.)."""
        self.peer_options[url] = (auth, ssl_context)
        old = self._peers.pop(url, None)
        if old is not None:
            old.close()

    def _peer(self, url: str) -> _Peer:
        peer = self._peers.get(url)
        if peer is None:
            peer = self._peers[url] = _Peer(self, url)
        return peer

    # ---- post_command_nowait: no task per request ----------------------------------------------

    def post_command_nowait(
        self, url: str, command: Mapping[str, Any] | bytes, timeout: float, done: AnswerCallback
    ) -> None:
        """post_command for callers that must not await: ``done`` gets the decoded answer or the
        TransportError, always later, from the event loop (never from inside this call)."""
        body = command if isinstance(command, bytes) else envelope.encode(command)
        peer = self._peers.get(url) or self._peer(url)
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if deadline < self._timer_at:
            self._arm(loop, deadline)
        job = _Job(peer.header + b"%d\r\n\r\n%s" % (len(body), body), deadline, timeout, done)
        conn = peer.idle_connection()
        if conn is not None and not peer.queue:
            self._start(peer, conn, job)
            return
        peer.queue.append(job)  # behind the ones already waiting: updates leave in commit order
        if conn is not None:
            self._start(peer, conn, peer.queue.popleft())
            return
        if self.pipeline_depth > 1:
            best = min((c for c in peer.connections if not c.closed), key=lambda c: c.in_flight, default=None)
            if best is not None and best.in_flight < self.pipeline_depth:
                self._start(peer, best, peer.queue.popleft())
                return
        if len(peer.connections) + peer.connecting < self.pool_size:
            self._open_for_queue(peer)

    def _start(self, peer: _Peer, conn: _ClientConnection, job: _Job) -> None:
        loop = self._loop
        assert loop is not None
        future: asyncio.Future[HttpResponse] = loop.create_future()
        conn.send(job.data, future, job.deadline, job.timeout)
        future.add_done_callback(lambda f: self._finished(peer, job, f))

    def _finished(self, peer: _Peer, job: _Job, future: asyncio.Future[HttpResponse]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            try:
                answer = _decode_answer(peer.url, future.result())
            except TransportError as error:
                job.done(None, error)
            else:
                job.done(answer, None)
            return
        if (
            isinstance(exc, ConnectionClosed)
            and exc.retryable
            and not job.retried
            and self._loop is not None
            and self._loop.time() < job.deadline
        ):
            job.retried = True  # once, on a fresh connection (see the module docstring)
            self._spawn(self._retry(peer, job))
            return
        job.done(None, exc if isinstance(exc, TransportError) else InvalidResponse(str(exc), peer.url))

    async def _retry(self, peer: _Peer, job: _Job) -> None:
        try:
            conn = await self._acquire(peer, True, job.deadline, peer.url, job.timeout)
        except TransportError as error:
            job.done(None, error)
            return
        self._start(peer, conn, job)

    def _open_for_queue(self, peer: _Peer) -> None:
        peer.connecting += 1  # now, not when the task starts: the next request must see it
        self._spawn(self._open_and_serve(peer))

    async def _open_and_serve(self, peer: _Peer) -> None:
        try:
            conn = await peer._open(counted=True)
        except TransportError as error:
            if not peer.connections:  # nobody will serve the queue: the peer is unreachable
                jobs = list(peer.queue)
                peer.queue.clear()
                for job in jobs:
                    job.done(None, error)
            return
        if peer.queue and not conn.pending and not conn.closed:
            self._start(peer, conn, peer.queue.popleft())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _expire_queued(self, now: float) -> float:
        """Fail queued nowait requests whose deadline passed; the earliest deadline left (or inf)."""
        earliest = math.inf
        for peer in self._peers.values():
            if not peer.queue:
                continue
            kept: deque[_Job] = deque()
            for job in peer.queue:
                if job.deadline <= now:
                    job.done(
                        None,
                        RequestTimeout(f"no answer from {peer.url} within {job.timeout:g} s", peer.url,
                                       reason="timeout"),
                    )
                else:
                    kept.append(job)
                    earliest = min(earliest, job.deadline)
            peer.queue = kept
        return earliest

    async def request(self, url: str, body: bytes, timeout: float) -> HttpResponse:
        """POST ``body``; raises a TransportError subclass, never returns a half answer."""
        peer = self._peers.get(url) or self._peer(url)
        data = peer.header + b"%d\r\n\r\n%s" % (len(body), body)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if deadline < self._timer_at:
            self._arm(loop, deadline)
        fresh = False
        while True:
            # Fast path: an idle connection, no waiting, no timer of its own (measured: each
            # call_at + cancel costs ~3 us on uvloop, an asyncio.timeout block ~9 us).
            conn = None if fresh else peer.idle_connection()
            if conn is None:
                conn = await self._acquire(peer, fresh, deadline, url, timeout)
            future: asyncio.Future[HttpResponse] = loop.create_future()
            conn.send(data, future, deadline, timeout)
            try:
                return await future
            except ConnectionClosed as exc:
                if fresh or not exc.retryable or loop.time() >= deadline:
                    raise
                fresh = True  # once, on a new connection
            except asyncio.CancelledError:
                if not future.done() or future.cancelled():
                    conn.abort()  # the answer can no longer be delivered; start clean
                raise

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        """One timer for the whole client, at the earliest pending deadline."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = loop.call_at(when, self._expire_due)

    def _expire_due(self) -> None:
        self._timer, self._timer_at = None, math.inf
        loop = asyncio.get_running_loop()
        now = loop.time() + 0.001  # timers may fire a hair early
        earliest = math.inf
        for peer in list(self._peers.values()):
            for conn in list(peer.connections):
                earliest = min(earliest, conn.expire(now))
        earliest = min(earliest, self._expire_queued(now))
        if earliest < math.inf:
            self._arm(loop, earliest)

    async def _acquire(
        self, peer: _Peer, fresh: bool, deadline: float, url: str, timeout: float
    ) -> _ClientConnection:
        try:
            async with asyncio.timeout_at(deadline):
                return await peer.acquire(fresh)
        except TimeoutError:
            raise RequestTimeout(
                f"no answer from {url} within {timeout:g} s", url, reason="timeout"
            ) from None

    async def post_command(self, url: str, command: Mapping[str, Any] | bytes, timeout: float) -> Any:
        """Send a command; return the decoded JSON answer (Kea's HTTP answers are a list)."""
        body = command if isinstance(command, bytes) else envelope.encode(command)
        return _decode_answer(url, await self.request(url, body, timeout))

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, math.inf
        for task in list(self._tasks):
            task.cancel()
        self._loop = None
        for peer in self._peers.values():
            jobs = list(peer.queue)
            peer.queue.clear()
            for job in jobs:
                job.done(None, ConnectionClosed(f"client closed before sending to {peer.url}", peer.url))
            peer.close()
        self._peers.clear()

    async def __aenter__(self) -> HttpCommandClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _decode_answer(url: str, response: HttpResponse) -> Any:
    if response.status != 200:
        text = response.body[:200].decode("utf-8", "replace")
        raise HttpStatusError(
            f"HTTP {response.status} from {url}: {text}", url, response.status, response.body
        )
    try:
        return envelope.decode(response.body)
    except CommandParseError as exc:
        raise InvalidResponse(f"{exc.text} (answer from {url})", url) from None


async def post_command(
    url: str,
    command: Mapping[str, Any] | bytes,
    timeout: float,
    *,
    auth: tuple[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Any:
    """One-shot convenience for CLIs; long-lived callers keep an HttpCommandClient."""
    async with HttpCommandClient(pool_size=1, auth=auth, ssl_context=ssl_context) as client:
        return await client.post_command(url, command, timeout)
