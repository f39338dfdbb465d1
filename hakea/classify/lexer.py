"""Tokens of Kea's classification expressions.

Kea 2.2's lexer, as observed with `kea-dhcp4 -t`: keywords are lower case only; strings are
single-quoted with no escapes and no newline (use 0x27 for a quote); 0x/0X hex needs a digit;
integers may carry a leading '-' (accepted only where Kea takes a signed integer); IPv4 literals
are four dotted decimals, IPv6 literals anything hex-and-colons that inet_pton accepts.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

from hakea.classify.errors import ExpressionError

# Kinds: "string", "hex", "int", "ip", "word", "end" and the punctuation itself.
PUNCTUATION = ("==", "(", ")", "[", "]", ".", ",", "+", "*")

_WS = frozenset(" \t\r\n")
_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6_RUN = re.compile(r"[0-9A-Fa-f:.]+")
_HEX = re.compile(r"0[xX]([0-9A-Fa-f]+)")
_INT = re.compile(r"-?[0-9]+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str  # as written (for error messages)
    value: bytes | int | str  # string/hex/ip -> bytes, int -> int, word -> str
    line: int
    column: int

    def describe(self) -> str:
        if self.kind == "end":
            return "end of input"
        return repr(self.text)


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with an "end" token; raises ExpressionError."""
    tokens: list[Token] = []
    pos = 0
    line = 1
    line_start = 0
    n = len(text)
    while True:
        while pos < n and text[pos] in _WS:
            if text[pos] == "\n":
                line += 1
                line_start = pos + 1
            pos += 1
        column = pos - line_start + 1
        if pos >= n:
            tokens.append(Token("end", "", "", line, column))
            return tokens
        ch = text[pos]
        if ch == "'":
            end = pos + 1
            while end < n and text[end] not in "'\n":
                end += 1
            if end >= n or text[end] == "\n":
                raise ExpressionError("unterminated string literal", line, column)
            body = text[pos + 1 : end]
            tokens.append(
                Token("string", text[pos : end + 1], body.encode("utf-8", "surrogatepass"), line, column)
            )
            pos = end + 1
            continue
        if text.startswith("==", pos):
            tokens.append(Token("==", "==", "==", line, column))
            pos += 2
            continue
        if ch in "()[].,+*":
            tokens.append(Token(ch, ch, ch, line, column))
            pos += 1
            continue
        m = _HEX.match(text, pos)
        if m is not None:
            digits = m.group(1)
            if len(digits) % 2:
                digits = "0" + digits  # Kea prepends a 0 to odd-length hex
            tokens.append(Token("hex", m.group(0), bytes.fromhex(digits), line, column))
            pos = m.end()
            continue
        if ch in "0123456789abcdefABCDEF:":
            run = _IPV6_RUN.match(text, pos)
            if run is not None and ":" in run.group(0):
                literal = run.group(0)
                try:
                    packed = socket.inet_pton(socket.AF_INET6, literal)
                except OSError:
                    raise ExpressionError(
                        f"cannot convert {literal} to an IP address", line, column
                    ) from None
                tokens.append(Token("ip", literal, packed, line, column))
                pos = run.end()
                continue
        m = _IPV4.match(text, pos)
        if m is not None:
            literal = m.group(0)
            parts = [int(p) for p in literal.split(".")]
            if any(p > 255 for p in parts):
                raise ExpressionError(f"cannot convert {literal} to an IP address", line, column)
            tokens.append(Token("ip", literal, bytes(parts), line, column))
            pos = m.end()
            continue
        if ch == "0" and pos + 1 < n and text[pos + 1] in "xX":
            raise ExpressionError(f"invalid character {text[pos + 1]!r}", line, column + 1)
        m = _INT.match(text, pos)
        if m is not None:
            tokens.append(Token("int", m.group(0), int(m.group(0)), line, column))
            pos = m.end()
            continue
        m = _WORD.match(text, pos)
        if m is not None:
            tokens.append(Token("word", m.group(0), m.group(0), line, column))
            pos = m.end()
            continue
        raise ExpressionError(f"invalid character {ch!r}", line, column)
