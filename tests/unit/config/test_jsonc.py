"""Kea's JSON dialect: comments, includes, extraneous commas, duplicate keys, error positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from hakea.config import jsonc
from hakea.config.errors import ConfigError, JsonSyntaxError


def test_three_comment_styles_are_removed() -> None:
    text = """# hash comment
    {
        // line comment
        "a": 1, /* block */ "b": /* inline */ 2
        /* multi
           line */
    }"""
    assert jsonc.loads(text) == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    "value",
    ["http://example.org/x", "a # not a comment", "/* kept */", "x // y", '<?include "f"?>', 'q\\"//'],
)
def test_comment_markers_inside_strings_are_data(value: str) -> None:
    import json

    assert jsonc.loads(f'{{"k": {json.dumps(value)}}} // tail') == {"k": value}


def test_error_line_and_column_survive_comments() -> None:
    text = '/* one\n two\n three */ {\n  "a": 1,\n  "b" 2\n}'
    with pytest.raises(JsonSyntaxError) as err:
        jsonc.loads(text, source="kea.conf")
    assert (err.value.line, err.value.column) == (5, 7)
    assert str(err.value) == "kea.conf:5:7: Expecting ':' delimiter"
    assert isinstance(err.value, ConfigError)


def test_unterminated_block_comment() -> None:
    with pytest.raises(JsonSyntaxError, match=r"^<string>:2:3: unterminated /\* comment$"):
        jsonc.loads('{"a": 1,\n  /* no end\n}')


def test_extraneous_commas_are_accepted_with_a_warning() -> None:
    warnings: list[str] = []
    value = jsonc.loads('{\n "a": [1, 2, ],\n "b": {"c": 3,},\n}', warnings=warnings)
    assert value == {"a": [1, 2], "b": {"c": 3}}
    assert warnings == [
        "<string>:2:12: extraneous comma",
        "<string>:3:14: extraneous comma",
        "<string>:3:16: extraneous comma",
    ]


def test_extraneous_comma_before_a_comment() -> None:
    assert jsonc.loads('{"a": [1, // last\n]}') == {"a": [1]}


def test_a_comma_inside_a_string_is_not_extraneous() -> None:
    warnings: list[str] = []
    assert jsonc.loads('{"a": ", }"}', warnings=warnings) == {"a": ", }"}
    assert warnings == []


def test_duplicate_keys_are_refused_with_their_path() -> None:
    with pytest.raises(ConfigError) as err:
        jsonc.loads('{"Dhcp4": {"subnet4": [{"id": 1, "id": 2}]}}')
    assert str(err.value) == "Dhcp4/subnet4[0]/id: duplicate 'id' entries in the same map"


def test_same_key_in_different_maps_is_fine() -> None:
    assert jsonc.loads('{"a": {"x": 1}, "b": {"x": 2}}') == {"a": {"x": 1}, "b": {"x": 2}}


def test_nan_is_not_json() -> None:
    with pytest.raises(JsonSyntaxError, match="NaN is not valid JSON"):
        jsonc.loads('{"a": NaN}')


def test_empty_text() -> None:
    with pytest.raises(JsonSyntaxError, match=r"^<string>:1:1: Expecting value$"):
        jsonc.loads("")


def test_include_splices_a_file(tmp_path: Path) -> None:
    (tmp_path / "subnets.json").write_text('[ {"subnet": "192.0.2.0/24"} ] // included\n')
    text = '{"subnet4": <?include "subnets.json"?>, "valid-lifetime": 10}'
    assert jsonc.loads(text, base_dir=str(tmp_path)) == {
        "subnet4": [{"subnet": "192.0.2.0/24"}],
        "valid-lifetime": 10,
    }


def test_nested_include_resolves_relative_to_the_including_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "outer.json").write_text('{"x": <?include "inner.json"?>}')
    (tmp_path / "d" / "inner.json").write_text("[1, 2]")
    assert jsonc.loads('<?include "d/outer.json"?>', base_dir=str(tmp_path)) == {"x": [1, 2]}


def test_syntax_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    inc = tmp_path / "bad.json"
    inc.write_text('{\n  "a": tru\n}')
    with pytest.raises(JsonSyntaxError) as err:
        jsonc.loads('{"x":\n <?include "bad.json"?>}', base_dir=str(tmp_path))
    assert (err.value.source, err.value.line, err.value.column) == (str(inc), 2, 8)


def test_error_after_an_include_maps_back_to_the_includer(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text('\n\n\n"long\\nfile"')
    with pytest.raises(JsonSyntaxError) as err:
        jsonc.loads('{"x": <?include "one.json"?>,\n "y" 1}', base_dir=str(tmp_path))
    assert str(err.value) == "<string>:2:6: Expecting ':' delimiter"


def test_missing_include(tmp_path: Path) -> None:
    with pytest.raises(JsonSyntaxError, match=r"^<string>:1:7: cannot include 'nope.json': No such file"):
        jsonc.loads('{"x": <?include "nope.json"?>}', base_dir=str(tmp_path))


def test_include_loop_stops_at_the_depth_limit(tmp_path: Path) -> None:
    (tmp_path / "self.json").write_text('<?include "self.json"?>')
    with pytest.raises(JsonSyntaxError, match="too many nested includes"):
        jsonc.loads('<?include "self.json"?>', base_dir=str(tmp_path))


def test_load_file(tmp_path: Path) -> None:
    f = tmp_path / "kea.conf"
    f.write_text('# c\n{"a": [1,]}')
    warnings: list[str] = []
    assert jsonc.load_file(str(f), warnings=warnings) == {"a": [1]}
    assert warnings == [f"{f}:2:9: extraneous comma"]


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the configuration file"):
        jsonc.load_file(str(tmp_path / "none.json"))
