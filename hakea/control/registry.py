"""Command registry: name -> handler (async, or plain for handlers that never await), and the
dispatch every transport shares.

The daemon registers its commands (lease4-*, ha-*, dhcp-disable, ...) here; the HTTP listener, the
UNIX control socket and the control agent all call :meth:`CommandRegistry.dispatch`. A handler never
crashes a transport: CommandError becomes its answer, any other exception becomes result 1 with the
exception text and is logged with its traceback.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from hakea import __version__
from hakea.control import envelope
from hakea.control.envelope import Command, CommandParseError

log = logging.getLogger("hakea.control")


@dataclass(slots=True)  # not frozen: a frozen init costs ~3 us, once per request
class CommandRequest:
    """What a handler may want to know about who asked and how."""

    command: str
    service: list[str] | None = None
    transport: str = "internal"  # "http", "https", "unix" or "internal"
    remote_address: str | None = None
    user: str | None = None  # the basic-auth user, when authentication is configured


Handler = Callable[[dict[str, Any] | None, CommandRequest], Awaitable[dict[str, Any]]]
SyncHandler = Callable[[dict[str, Any] | None, CommandRequest], dict[str, Any]]


class CommandError(Exception):
    """Raised by a handler to answer ``{"result": result, "text": text}`` (plus optional arguments)."""

    def __init__(self, text: str, result: int = envelope.CONTROL_RESULT_ERROR, arguments: Any = None) -> None:
        super().__init__(text)
        self.text = text
        self.result = result
        self.arguments = arguments


def _failed(name: str, exc: Exception) -> dict[str, Any]:
    log.exception("command '%s' failed", name, exc_info=exc)
    return envelope.error(str(exc) or type(exc).__name__)


def _library_versions() -> str:
    from importlib import metadata

    parts = []
    for name in ("msgspec", "httptools", "uvloop", "click"):
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return "\n".join(parts)


class CommandRegistry:
    """Commands by name. Built-ins: list-commands, version-get, build-report."""

    def __init__(self, *, version: str = __version__, product: str = "hakea") -> None:
        self.version = version
        self.product = product
        self._handlers: dict[str, Handler] = {}
        self._sync_handlers: dict[str, SyncHandler] = {}
        self.register_sync("list-commands", self._list_commands)
        self.register_sync("version-get", self._version_get)
        self.register_sync("build-report", self._build_report)

    def register(self, name: str, handler: Handler, *, replace: bool = False) -> None:
        """Add a command; registering a taken name is a bug unless ``replace`` is set."""
        self._check_free(name, replace)
        self._handlers[name] = handler

    def register_sync(self, name: str, handler: SyncHandler, *, replace: bool = False) -> None:
        """Add a command whose handler never awaits (e.g. lease commands on the synchronous store).

        The HTTP listener answers such commands inside the read callback, without a task per
        request (measured: about a third of the listener's CPU per lease update).
        """
        if inspect.iscoroutinefunction(handler):
            raise TypeError(f"command '{name}': register_sync() needs a plain function; use register()")
        self._check_free(name, replace)
        self._sync_handlers[name] = handler

    def _check_free(self, name: str, replace: bool) -> None:
        if name in self and not replace:
            raise ValueError(f"command '{name}' is already registered")
        self._handlers.pop(name, None)
        self._sync_handlers.pop(name, None)

    def command(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`register`."""

        def decorate(handler: Handler) -> Handler:
            self.register(name, handler)
            return handler

        return decorate

    def unregister(self, name: str) -> None:
        self._handlers.pop(name, None)
        self._sync_handlers.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._handlers or name in self._sync_handlers

    def commands(self) -> list[str]:
        return sorted([*self._handlers, *self._sync_handlers])

    def dispatch_nowait(
        self,
        raw: bytes | str | Mapping[str, Any] | Command,
        *,
        transport: str = "internal",
        remote_address: str | None = None,
        user: str | None = None,
    ) -> dict[str, Any] | Coroutine[Any, Any, dict[str, Any]]:
        """The answer now when no await is needed (parse errors, unknown or sync commands), else a
        coroutine that produces it. Never raises (bar cancellation)."""
        try:
            cmd = raw if isinstance(raw, Command) else envelope.parse_command(raw)
        except CommandParseError as exc:
            return envelope.error(exc.text)
        name = cmd.name
        sync_handler = self._sync_handlers.get(name)
        handler = self._handlers.get(name) if sync_handler is None else None
        if sync_handler is None and handler is None:
            return envelope.unsupported(name)
        request = CommandRequest(name, cmd.service, transport, remote_address or cmd.remote_address, user)
        if handler is not None:
            return self._run(handler, cmd.arguments, request)
        assert sync_handler is not None
        try:
            return sync_handler(cmd.arguments, request)
        except CommandError as exc:
            return envelope.answer(exc.result, exc.text, exc.arguments)
        except Exception as exc:
            return _failed(name, exc)

    async def _run(
        self, handler: Handler, arguments: dict[str, Any] | None, request: CommandRequest
    ) -> dict[str, Any]:
        try:
            return await handler(arguments, request)
        except CommandError as exc:
            return envelope.answer(exc.result, exc.text, exc.arguments)
        except Exception as exc:
            return _failed(request.command, exc)

    async def dispatch(
        self,
        raw: bytes | str | Mapping[str, Any] | Command,
        *,
        transport: str = "internal",
        remote_address: str | None = None,
        user: str | None = None,
    ) -> dict[str, Any]:
        """Parse and run one command; always returns an answer map, never raises (bar cancellation)."""
        answer = self.dispatch_nowait(raw, transport=transport, remote_address=remote_address, user=user)
        return answer if isinstance(answer, dict) else await answer

    # Built-in commands (Kea has them in every daemon and in the agent).

    def _list_commands(self, arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        # Kea answers the sorted list with no text.
        return envelope.success(arguments=self.commands())

    def _version_get(self, arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        extended = f"{self.version}\n{self.product} (Python {sys.version.split()[0]})\nlinked with:\n"
        return envelope.success(self.version, {"extended": extended + _library_versions()})

    def _build_report(self, arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        report = (
            f"{self.product} build report\n"
            f"  Version:  {self.version}\n"
            f"  Python:   {sys.version.split()[0]} ({sys.implementation.name})\n"
            f"  Platform: {sys.platform}\n"
            + "".join(f"  {line}\n" for line in _library_versions().splitlines())
        )
        return envelope.success(report)
