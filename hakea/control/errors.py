"""Transport errors shared by the HTTP and UNIX-socket clients.

Callers (the HA service, the agent, the CLIs) catch TransportError; the subclasses say what went
wrong when the difference matters (a timeout counts against the partner, a 401 is a config error).
"""

from __future__ import annotations


class TransportError(Exception):
    """The command could not be delivered or its answer could not be read."""

    def __init__(self, message: str, url: str = "", *, reason: str = "") -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason or message  # the bare cause, e.g. "Connection refused"


class ConnectError(TransportError):
    """Connecting failed (refused, unreachable, no such socket, TLS handshake)."""


class RequestTimeout(TransportError):
    """No complete answer within the request's timeout."""


class ConnectionClosed(TransportError):
    """The peer closed the connection before answering.

    ``retryable`` is true when none of the answer had arrived on a connection that had served earlier
    requests: the peer most likely dropped an idle keep-alive connection as we reused it.
    """

    def __init__(self, message: str, url: str = "", *, retryable: bool = False) -> None:
        super().__init__(message, url, reason="connection closed")
        self.retryable = retryable


class HttpStatusError(TransportError):
    """The HTTP status was not 200 (e.g. 401 with bad credentials)."""

    def __init__(self, message: str, url: str, status: int, body: bytes) -> None:
        super().__init__(message, url)
        self.status = status
        self.body = body


class InvalidResponse(TransportError):
    """The answer is not valid HTTP or not valid JSON, or it is too large."""
