"""The command envelope: parsing errors, answer shapes, stream framing."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hakea.control import envelope
from hakea.control.envelope import Command, CommandParseError, IncompleteJSON


def parse_error(raw: Any) -> str:
    with pytest.raises(CommandParseError) as info:
        envelope.parse_command(raw)
    return info.value.text


def test_parses_full_command() -> None:
    cmd = envelope.parse_command(
        b'{"command": "lease4-get", "service": ["dhcp4"], "arguments": {"ip-address": "10.0.0.1"}}'
    )
    assert cmd == Command("lease4-get", {"ip-address": "10.0.0.1"}, ["dhcp4"], None)


def test_parses_str_and_mapping_and_remote_address() -> None:
    assert envelope.parse_command('{"command": "x"}') == Command("x")
    cmd = envelope.parse_command({"command": "x", "remote-address": "192.0.2.9"})
    assert cmd.remote_address == "192.0.2.9"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (
            b'{"arguments": {}}',
            "Error during command processing: Invalid answer specified, does not contain mandatory 'command'",
        ),
        (
            b'{"command": 5}',
            "Error during command processing: 'command' element in command message is not a string",
        ),
        (b'{"command": "x", "arguments": []}', "invalid command: 'arguments' must be a map"),
        (b'{"command": "x", "arguments": 5}', "invalid command: 'arguments' must be a map"),
        (b'{"command": "x", "service": "dhcp4"}', "service value must be a list"),
        (b'{"command": "x", "service": [5]}', "service value must be a list of strings"),
        (
            b'{"command": "x", "extra": 1}',
            "Error during command processing: Received command contains unsupported parameter 'extra'",
        ),
        (b"[1, 2]", "Error during command processing: Invalid command Element specified, expected map"),
        (b'"x"', "Error during command processing: Invalid command Element specified, expected map"),
    ],
)
def test_precise_errors(raw: bytes, text: str) -> None:
    assert parse_error(raw) == text


@pytest.mark.parametrize("raw", [b"garbage", b'{"command": ', b"", b'{"command": "x"} trailing'])
def test_invalid_json(raw: bytes) -> None:
    assert parse_error(raw).startswith("invalid JSON: ")


def test_a_non_string_remote_address_is_ignored_as_kea_does() -> None:
    assert envelope.parse_command(b'{"command": "x", "remote-address": 1}') == Command("x")


def test_null_arguments_and_service_mean_absent() -> None:
    cmd = envelope.parse_command(b'{"command": "x", "arguments": null, "service": null}')
    assert cmd.arguments is None and cmd.service is None


def test_answer_key_order_and_omissions() -> None:
    assert list(envelope.answer(0, "ok", {"a": 1})) == ["arguments", "result", "text"]
    assert envelope.answer(3) == {"result": 3}
    assert envelope.answer(1, "bad") == {"result": 1, "text": "bad"}
    assert envelope.answer(0, arguments=[]) == {"arguments": [], "result": 0}  # empty list kept


def test_result_codes() -> None:
    assert (
        envelope.CONTROL_RESULT_SUCCESS,
        envelope.CONTROL_RESULT_ERROR,
        envelope.CONTROL_RESULT_COMMAND_UNSUPPORTED,
        envelope.CONTROL_RESULT_EMPTY,
        envelope.CONTROL_RESULT_CONFLICT,
    ) == (0, 1, 2, 3, 4)


def test_unsupported_is_keas_text() -> None:
    # Kea 2.2: {"result": 2, "text": "'foo' command not supported."}
    assert envelope.unsupported("foo") == {"result": 2, "text": "'foo' command not supported."}


def test_encode_is_compact_json() -> None:
    assert envelope.encode([envelope.success("hi")]) == b'[{"result":0,"text":"hi"}]'


def test_decode_first_needs_more() -> None:
    with pytest.raises(IncompleteJSON):
        envelope.decode_first(b'{"command": "x"')
    with pytest.raises(IncompleteJSON):
        envelope.decode_first(b"   ")


def test_decode_first_takes_first_value_only() -> None:
    # Kea's UNIX socket processes the first JSON value and ignores what follows.
    value, used = envelope.decode_first(b' {"command": "a"}{"command": "b"}')
    assert value == {"command": "a"}
    assert used == len(b' {"command": "a"}')


def test_decode_first_counts_utf8_bytes() -> None:
    data = '{"t": "é"} {"x": 1}'.encode()
    value, used = envelope.decode_first(data)
    assert value == {"t": "é"} and data[:used] == '{"t": "é"}'.encode()


def test_decode_first_rejects_garbage() -> None:
    with pytest.raises(CommandParseError):
        envelope.decode_first(b"garbage")


def test_single_answer() -> None:
    assert envelope.single_answer([{"result": 0}]) == {"result": 0}
    assert envelope.single_answer({"result": 1, "text": "x"}) == {"result": 1, "text": "x"}
    for bad in ([], [{"result": 0}, {"result": 0}], {"text": "no result"}, "x", [5]):
        with pytest.raises(ValueError):
            envelope.single_answer(bad)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(max_size=30),
    arguments=st.none() | st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    service=st.none() | st.lists(st.sampled_from(["dhcp4", "dhcp6", "d2"]), max_size=3),
)
def test_command_round_trip(name: str, arguments: dict[str, Any] | None, service: list[str] | None) -> None:
    cmd = Command(name, arguments, service)
    assert envelope.parse_command(envelope.encode(cmd.to_dict())) == cmd
    assert envelope.parse_command(json.dumps(cmd.to_dict()).encode()) == cmd


@given(st.binary(max_size=200))
def test_parse_never_raises_anything_else(data: bytes) -> None:
    try:
        envelope.parse_command(data)
    except CommandParseError as exc:
        assert exc.text
    with contextlib.suppress(CommandParseError, IncompleteJSON):
        envelope.decode_first(data)
