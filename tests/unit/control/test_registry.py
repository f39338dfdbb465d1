"""CommandRegistry: dispatch, built-ins, and errors turned into answers."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from hakea.control.envelope import Command
from hakea.control.registry import CommandError, CommandRegistry, CommandRequest


async def test_unknown_command() -> None:
    assert await CommandRegistry().dispatch(b'{"command": "foo"}') == {
        "result": 2,
        "text": "'foo' command not supported.",
    }


async def test_parse_errors_become_result_1() -> None:
    registry = CommandRegistry()
    assert await registry.dispatch(b"not json") == {"result": 1, "text": await _text(registry, b"not json")}
    answer = await registry.dispatch(b'{"arguments": {}}')
    assert answer == {
        "result": 1,
        "text": "Error during command processing: "
        "Invalid answer specified, does not contain mandatory 'command'",
    }
    answer = await registry.dispatch({"command": "version-get", "arguments": [1]})
    assert answer == {"result": 1, "text": "invalid command: 'arguments' must be a map"}


async def _text(registry: CommandRegistry, raw: bytes) -> str:
    answer = await registry.dispatch(raw)
    assert answer["text"].startswith("invalid JSON: ")
    return str(answer["text"])


async def test_handler_gets_arguments_and_request() -> None:
    registry = CommandRegistry()
    seen: list[tuple[dict[str, Any] | None, CommandRequest]] = []

    async def handler(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        seen.append((arguments, request))
        return {"result": 0, "text": "done"}

    registry.register("lease4-update", handler)
    answer = await registry.dispatch(
        b'{"command": "lease4-update", "service": ["dhcp4"], "arguments": {"ip-address": "10.0.0.1"}}',
        transport="http",
        remote_address="192.0.2.1",
        user="admin",
    )
    assert answer == {"result": 0, "text": "done"}
    assert seen == [
        ({"ip-address": "10.0.0.1"}, CommandRequest("lease4-update", ["dhcp4"], "http", "192.0.2.1", "admin"))
    ]


async def test_remote_address_from_forwarded_command() -> None:
    # The control agent adds "remote-address" when it forwards over the UNIX socket.
    registry = CommandRegistry()
    requests: list[CommandRequest] = []

    async def handler(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        requests.append(request)
        return {"result": 0}

    registry.register("x", handler)
    await registry.dispatch({"command": "x", "remote-address": "198.51.100.7"}, transport="unix")
    assert requests[0].remote_address == "198.51.100.7" and requests[0].transport == "unix"


async def test_command_error_becomes_answer() -> None:
    registry = CommandRegistry()

    async def handler(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        raise CommandError("Lease not found.", result=3)

    registry.register("lease4-get", handler)
    assert await registry.dispatch({"command": "lease4-get"}) == {"result": 3, "text": "Lease not found."}


async def test_command_error_with_arguments() -> None:
    registry = CommandRegistry()

    async def handler(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        raise CommandError("conflict", result=4, arguments={"failed": 1})

    registry.register("x", handler)
    assert await registry.dispatch({"command": "x"}) == {
        "arguments": {"failed": 1},
        "result": 4,
        "text": "conflict",
    }


async def test_unexpected_exception_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    registry = CommandRegistry()

    async def handler(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        raise KeyError("ip-address")

    registry.register("broken", handler)
    with caplog.at_level(logging.ERROR, logger="hakea.control"):
        answer = await registry.dispatch({"command": "broken"})
    assert answer == {"result": 1, "text": "'ip-address'"}
    assert "command 'broken' failed" in caplog.text
    assert "KeyError" in caplog.text  # the traceback is logged


async def test_exception_without_text_names_its_type() -> None:
    registry = CommandRegistry()

    async def handler(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        raise RuntimeError

    registry.register("x", handler)
    assert await registry.dispatch({"command": "x"}) == {"result": 1, "text": "RuntimeError"}


async def test_builtins() -> None:
    registry = CommandRegistry(version="9.8.7")

    @registry.command("zz-last")
    async def last(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        return {"result": 0}

    answer = await registry.dispatch({"command": "list-commands"})
    # Kea: sorted list, no text.
    assert answer == {"arguments": ["build-report", "list-commands", "version-get", "zz-last"], "result": 0}
    version = await registry.dispatch({"command": "version-get"})
    assert version["result"] == 0 and version["text"] == "9.8.7"
    assert version["arguments"]["extended"].startswith("9.8.7\n")
    report = await registry.dispatch({"command": "build-report"})
    assert report["result"] == 0 and "9.8.7" in report["text"]


async def test_dispatch_accepts_parsed_command() -> None:
    registry = CommandRegistry()
    assert (await registry.dispatch(Command("version-get")))["result"] == 0


def test_register_twice_is_a_bug_unless_replace() -> None:
    registry = CommandRegistry()

    async def h(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        return {"result": 0}

    registry.register("x", h)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("x", h)
    registry.register("x", h, replace=True)
    assert "x" in registry
    registry.unregister("x")
    assert "x" not in registry


async def test_sync_handlers_answer_without_awaiting() -> None:
    registry = CommandRegistry()
    seen: list[CommandRequest] = []

    def update(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        seen.append(request)
        return {"result": 0, "text": "IPv4 lease updated."}

    def broken(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        raise CommandError("bad lease", result=1)

    registry.register_sync("lease4-update", update)
    registry.register_sync("broken", broken)
    answer = registry.dispatch_nowait(
        b'{"command": "lease4-update"}', transport="http", remote_address="192.0.2.2"
    )
    assert answer == {"result": 0, "text": "IPv4 lease updated."}  # a map, not a coroutine
    assert seen[0].remote_address == "192.0.2.2"
    assert registry.dispatch_nowait({"command": "broken"}) == {"result": 1, "text": "bad lease"}
    assert await registry.dispatch({"command": "lease4-update"}) == {
        "result": 0,
        "text": "IPv4 lease updated.",
    }
    assert "lease4-update" in registry.commands()


async def test_dispatch_nowait_returns_a_coroutine_for_async_handlers() -> None:
    registry = CommandRegistry()

    async def handler(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        return {"result": 0}

    registry.register("x", handler)
    pending = registry.dispatch_nowait({"command": "x"})
    assert not isinstance(pending, dict)
    assert await pending == {"result": 0}
    assert registry.dispatch_nowait({"command": "nope"}) == {
        "result": 2,
        "text": "'nope' command not supported.",
    }


def test_register_sync_refuses_coroutine_functions_and_taken_names() -> None:
    registry = CommandRegistry()

    async def handler(arguments: dict[str, Any] | None, request: CommandRequest) -> dict[str, Any]:
        return {"result": 0}

    with pytest.raises(TypeError):
        registry.register_sync("x", handler)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        registry.register("version-get", handler)  # built-ins are sync handlers
    registry.register("version-get", handler, replace=True)
    assert registry.commands().count("version-get") == 1
