"""Kea's JSON dialect -> Python values.

Kea's configuration lexer adds to JSON: comments in three styles (`# ...`, `// ...`, `/* ... */`,
only outside strings), `<?include "file"?>` (the file's text is spliced in, at most 10 deep), and
extraneous commas before `}` / `]` (Kea 2.2 accepts them with an "Extraneous comma" warning). It
refuses duplicate keys in one map ("duplicate X entries in Y map"), which plain JSON parsers
silently collapse; so parsing uses the stdlib decoder with a pairs hook rather than msgspec (which
cannot report duplicates). Comments are blanked to spaces of the same length (newlines kept), so a
syntax error's offset maps back to the line and column of the file the user wrote.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from hakea.config.errors import ConfigError, JsonSyntaxError

MAX_INCLUDE_DEPTH = 10  # Kea: "Too many nested include."

# One match covers everything up to the next possible comment or include: plain characters and
# whole strings (so '#', '//' inside a string never start a comment). Matching runs instead of
# single tokens keeps the Python loop to one turn per comment, not per string.
_RUN = re.compile(r'(?:[^"/#<]+|"[^"\\]*(?:\\.[^"\\]*)*")*', re.S)
_BLOCK_END = re.compile(r"\*/")
_INCLUDE = re.compile(r'<\?include\s*"([^"]*)"\s*\?>')
_NOT_NEWLINE = re.compile(r"[^\n]")
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True, slots=True)
class _Segment:
    out_start: int  # offset in the combined text
    source: str
    text: str  # the whole source text this run came from
    src_start: int  # offset of the run in `text`


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


class _Expander:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.segments: list[_Segment] = []

    def emit(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.length += len(chunk)

    def expand(self, text: str, source: str, base_dir: str | None, depth: int) -> None:
        self.segments.append(_Segment(self.length, source, text, 0))
        size = len(text)
        last = 0  # start of the verbatim text not emitted yet
        pos = 0
        while True:
            pos = _RUN.match(text, pos).end()  # type: ignore[union-attr]  # always matches
            if pos >= size:
                break
            ch = text[pos]
            nxt = text[pos + 1 : pos + 2]
            if ch == '"':
                break  # unterminated string: left for the JSON decoder to report
            if ch == "#" or (ch == "/" and nxt == "/"):
                end = text.find("\n", pos)
                end = size if end < 0 else end
                self.emit(text[last:pos])
                self.emit(" " * (end - pos))
            elif ch == "/" and nxt == "*":
                m = _BLOCK_END.search(text, pos + 2)
                if m is None:
                    line, col = _line_col(text, pos)
                    raise JsonSyntaxError(source, line, col, "unterminated /* comment")
                end = m.end()
                self.emit(text[last:pos])
                self.emit(_NOT_NEWLINE.sub(" ", text[pos:end]))
            elif ch == "<" and (m := _INCLUDE.match(text, pos)) is not None:
                end = m.end()
                self.emit(text[last:pos])
                self._include(m.group(1), text, source, pos, base_dir, depth)
                self.segments.append(_Segment(self.length, source, text, end))
            else:
                pos += 1  # a lone '/' or '<': ordinary (if invalid) JSON text
                continue
            last = pos = end
        self.emit(text[last:])

    def _include(self, name: str, text: str, source: str, at: int, base_dir: str | None, depth: int) -> None:
        line, col = _line_col(text, at)
        if depth >= MAX_INCLUDE_DEPTH:
            raise JsonSyntaxError(source, line, col, f"too many nested includes (limit {MAX_INCLUDE_DEPTH})")
        path = name if os.path.isabs(name) else os.path.join(base_dir or os.getcwd(), name)
        try:
            with open(path, encoding="utf-8") as f:
                included = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise JsonSyntaxError(source, line, col, f"cannot include '{name}': {reason}") from None
        self.expand(included, path, os.path.dirname(path), depth + 1)

    def locate(self, pos: int) -> tuple[str, int, int]:
        starts = [s.out_start for s in self.segments]
        seg = self.segments[max(bisect.bisect_right(starts, pos) - 1, 0)]
        line, col = _line_col(seg.text, seg.src_start + (pos - seg.out_start))
        return seg.source, line, col


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_map(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _Pairs(list[tuple[str, Any]]):
    """A map kept as its pairs, to find where a duplicate key is."""


def _duplicate_path(value: Any, path: str) -> str | None:
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for key, _ in value:
            if key in seen:
                return f"{path}/{key}" if path else key
            seen.add(key)
        for key, item in value:
            found = _duplicate_path(item, f"{path}/{key}" if path else key)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _duplicate_path(item, f"{path}[{i}]")
            if found:
                return found
    return None


def loads(
    text: str,
    *,
    source: str = "<string>",
    base_dir: str | None = None,
    warnings: list[str] | None = None,
) -> Any:
    """Parse Kea-style JSON text. Raises JsonSyntaxError (a ConfigError) with source:line:column.

    `base_dir` resolves relative `<?include?>` paths (default: the current directory); included
    files resolve their own includes relative to themselves. Extraneous commas are removed and
    reported in `warnings`, as Kea logs them.
    """
    expander = _Expander()
    expander.expand(text, source, base_dir, 0)
    combined = "".join(expander.parts)

    while True:
        try:
            return json.loads(combined, object_pairs_hook=_unique_map, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            comma = _extraneous_comma(combined, exc.pos)
            if comma < 0:
                src, line, col = expander.locate(exc.pos)
                raise JsonSyntaxError(src, line, col, exc.msg) from None
            # Kea accepts "[1, 2,]" and "{"a": 1,}" with a warning: blank the comma and parse again
            # (the decoder stops at the first one, so the warnings come in document order).
            if warnings is not None:
                src, line, col = expander.locate(comma)
                warnings.append(f"{src}:{line}:{col}: extraneous comma")
            combined = f"{combined[:comma]} {combined[comma + 1 :]}"
        except ValueError as exc:  # NaN / Infinity
            raise JsonSyntaxError(source, 1, 1, str(exc)) from None
        except _Duplicate as dup:
            tree = json.loads(combined, object_pairs_hook=_Pairs)
            path = _duplicate_path(tree, "") or dup.key
            raise ConfigError(path, f"duplicate '{dup.key}' entries in the same map") from None


def _extraneous_comma(text: str, pos: int) -> int:
    """Where the comma is when the decoder failed at a '}' or ']' that follows one, else -1."""
    if pos >= len(text) or text[pos] not in "]}":
        return -1
    before = text[:pos].rstrip(_WHITESPACE)
    return len(before) - 1 if before.endswith(",") else -1


def read_file(path: str) -> str:
    """A configuration file's text; ConfigError naming the file when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise ConfigError(path, f"cannot read the configuration file: {reason}") from None


def file_dir(path: str) -> str:
    """The directory a file's relative <?include?> paths resolve against."""
    return os.path.dirname(os.path.abspath(path))


def load_file(path: str, *, warnings: list[str] | None = None) -> Any:
    """Read and parse a Kea configuration file; includes resolve relative to its directory."""
    return loads(read_file(path), source=path, base_dir=file_dir(path), warnings=warnings)
