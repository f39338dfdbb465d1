"""Kea's command envelope: ``{"command": str, "service": [...], "arguments": {...}}`` and its answers.

Pure: no I/O. The transports (HTTP, UNIX socket, control agent) decode bytes with :func:`parse_command`
and encode answers built by :func:`answer`.

Kea 2.2 behaviour matched here (checked against Debian's kea-dhcp4 / kea-ctrl-agent 2.2.0):

* top-level keys other than command, arguments, service and remote-address are refused (the control
  agent adds "remote-address" when it forwards a command to a daemon);
* an unknown command answers result 2, text ``'foo' command not supported.``;
* answers carry their keys in Kea's (alphabetical) order: arguments, result, text.

Envelope error texts are Kea 2.2's (its daemons, HA listener and control agent give the same ones);
what hakea refuses and Kea does not ("arguments" that is not a map) and malformed JSON (Kea's agent
answers HTTP 400) keep our own texts: docs/kea-interop.md, docs/decisions/002-control-transport.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

CONTROL_RESULT_SUCCESS = 0
CONTROL_RESULT_ERROR = 1
CONTROL_RESULT_COMMAND_UNSUPPORTED = 2
CONTROL_RESULT_EMPTY = 3
CONTROL_RESULT_CONFLICT = 4

# Keys Kea's command parser accepts at the top level of a command.
_COMMAND_KEYS = frozenset({"command", "arguments", "service", "remote-address"})

# Kea 2.2's texts for a malformed envelope (probed on kea-dhcp4 and kea-ctrl-agent 2.2.0).
_PREFIX = "Error during command processing: "
NOT_A_MAP = _PREFIX + "Invalid command Element specified, expected map"
_NO_COMMAND = _PREFIX + "Invalid answer specified, does not contain mandatory 'command'"
_COMMAND_NOT_STRING = _PREFIX + "'command' element in command message is not a string"
_UNSUPPORTED_KEY = _PREFIX + "Received command contains unsupported parameter '{}'"

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class CommandParseError(ValueError):
    """The bytes are not a valid command; ``text`` is the answer text for the sender."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class IncompleteJSON(ValueError):
    """More bytes are needed before the JSON text is complete (UNIX socket framing)."""


@dataclass(slots=True)  # not frozen: a frozen init costs ~3 us, once per request
class Command:
    """A parsed command. ``service`` is None when the key is absent (the agent handles it itself)."""

    name: str
    arguments: dict[str, Any] | None = None
    service: list[str] | None = None
    remote_address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.arguments is not None:
            out["arguments"] = self.arguments
        out["command"] = self.name
        if self.remote_address is not None:
            out["remote-address"] = self.remote_address
        if self.service is not None:
            out["service"] = self.service
        return out


def encode(obj: Any) -> bytes:
    """JSON-encode an answer or command (compact; key order kept)."""
    return _encoder.encode(obj)


def decode(data: bytes | str) -> Any:
    """Decode exactly one JSON value; raises CommandParseError("invalid JSON: ...")."""
    try:
        return _decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise CommandParseError(f"invalid JSON: {exc}") from None


def decode_first(data: bytes) -> tuple[Any, int]:
    """Decode the first JSON value in ``data``; return it and the number of bytes it used.

    Kea's UNIX socket reads until the first JSON value is complete and ignores what follows it, so the
    stream framing needs "is it complete yet?": IncompleteJSON means wait for more bytes.
    """
    try:
        return _decoder.decode(data), len(data)
    except UnicodeDecodeError as exc:
        if exc.end == len(data) and "unexpected end" in exc.reason:
            raise IncompleteJSON(str(exc)) from None  # a read split a multi-byte character
        raise CommandParseError(f"invalid JSON: {exc}") from None
    except msgspec.DecodeError as exc:
        message = str(exc)
        if "truncated" in message:
            raise IncompleteJSON(message) from None
        if "trailing characters" not in message:
            raise CommandParseError(f"invalid JSON: {exc}") from None
    # Rare path (several values in one stream): the stdlib decoder reports where the first one ends.
    try:
        text = data.decode("utf-8")
        value, end = json.JSONDecoder().raw_decode(text.lstrip())
    except (UnicodeDecodeError, ValueError) as exc:
        raise CommandParseError(f"invalid JSON: {exc}") from None
    consumed = len(text) - len(text.lstrip()) + end
    return value, len(text[:consumed].encode("utf-8"))


def parse_command(raw: bytes | str | Mapping[str, Any]) -> Command:
    """Validate one command envelope; raises CommandParseError naming the problem.

    On the HA hot path (a lease update per DHCP exchange): exact type checks first, no generators.
    """
    obj: Any = decode(raw) if isinstance(raw, (bytes, str)) else raw
    if type(obj) is not dict and not isinstance(obj, Mapping):
        raise CommandParseError(NOT_A_MAP)
    if not _COMMAND_KEYS.issuperset(obj):
        extra = next(key for key in obj if key not in _COMMAND_KEYS)
        raise CommandParseError(_UNSUPPORTED_KEY.format(extra))
    name = obj.get("command")
    if type(name) is not str:
        if name is None:
            raise CommandParseError(_NO_COMMAND)
        if not isinstance(name, str):
            raise CommandParseError(_COMMAND_NOT_STRING)
    arguments = obj.get("arguments")
    if arguments is not None and not isinstance(arguments, dict):
        raise CommandParseError("invalid command: 'arguments' must be a map")
    service = obj.get("service")
    if service is not None:
        if not isinstance(service, list):
            raise CommandParseError("service value must be a list")  # kea-ctrl-agent's text
        for item in service:
            if not isinstance(item, str):
                raise CommandParseError("service value must be a list of strings")
    remote = obj.get("remote-address")
    if remote is not None and not isinstance(remote, str):
        remote = None  # Kea ignores it (only its agent sets it, and then to a string)
    return Command(name, arguments, service, remote)


def answer(result: int, text: str | None = None, arguments: Any = None) -> dict[str, Any]:
    """Build an answer in Kea's key order; ``text`` and ``arguments`` are left out when None."""
    out: dict[str, Any] = {}
    if arguments is not None:
        out["arguments"] = arguments
    out["result"] = result
    if text is not None:
        out["text"] = text
    return out


def success(text: str | None = None, arguments: Any = None) -> dict[str, Any]:
    return answer(CONTROL_RESULT_SUCCESS, text, arguments)


def error(text: str) -> dict[str, Any]:
    return answer(CONTROL_RESULT_ERROR, text)


def unsupported(name: str) -> dict[str, Any]:
    """Kea 2.2's exact answer to an unknown command."""
    return answer(CONTROL_RESULT_COMMAND_UNSUPPORTED, f"'{name}' command not supported.")


def single_answer(response: Any) -> dict[str, Any]:
    """Unwrap a transport response into one answer map.

    Kea's HTTP listeners answer a list of one answer per service; its UNIX socket answers a map.
    Raises ValueError when the response is neither.
    """
    if isinstance(response, list):
        if len(response) != 1:
            raise ValueError(f"expected a list of one answer, got {len(response)} elements")
        response = response[0]
    if not isinstance(response, dict) or not isinstance(response.get("result"), int):
        raise ValueError("answer is not a map with an integer 'result'")
    return response
