"""The expression tree (operators and literals), and its compilation into closures.

Every node is either a StrNode (Kea's string_expr: a byte string) or a BoolNode (bool_expr).
`compile()` turns a node into a closure `f(pkt, classes, meta)`; the tree is walked once, at config
load. Leaves that read the packet live in hakea.classify.leaves (DHCPv4 and shared) and
hakea.classify.v6; they are plugged into the parser through
`hakea.classify.parser.PRIMARY_PARSERS` and only need to subclass StrNode or BoolNode.

Kea 2.2 evaluates every operand (its evaluator is a stack machine without branches): an operand
that fails (EvalError) fails the whole expression even behind a true `or` or in the branch
`ifelse` does not take. We short-circuit for speed, except where an operand `may_fail()`, so the
result is the same.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any

from hakea.classify.errors import EvalError
from hakea.classify.packet import check_int32

StrFn = Callable[[Any, Container[str], Any], bytes]
BoolFn = Callable[[Any, Container[str], Any], bool]


class Node:
    __slots__ = ()

    def children(self) -> tuple[Node, ...]:
        return ()

    def fails_itself(self) -> bool:
        """True when this operator can raise EvalError for some packet."""
        return False

    def may_fail(self) -> bool:
        return self.fails_itself() or any(child.may_fail() for child in self.children())

    def walk(self) -> list[Node]:
        out: list[Node] = [self]
        for child in self.children():
            out.extend(child.walk())
        return out


class StrNode(Node):
    __slots__ = ()

    def compile(self) -> StrFn:
        raise NotImplementedError


class BoolNode(Node):
    __slots__ = ()

    def compile(self) -> BoolFn:
        raise NotImplementedError


# ---------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Literal(StrNode):
    value: bytes

    def compile(self) -> StrFn:
        value = self.value
        return lambda p, c, m: value


# ---------------------------------------------------------------- string operators


@dataclass(frozen=True, slots=True)
class Concat(StrNode):
    parts: tuple[StrNode, ...]

    def children(self) -> tuple[Node, ...]:
        return self.parts

    def compile(self) -> StrFn:
        fns = tuple(part.compile() for part in self.parts)
        if len(fns) == 2:
            a, b = fns
            return lambda p, c, m: a(p, c, m) + b(p, c, m)
        return lambda p, c, m: b"".join([f(p, c, m) for f in fns])


def substring(value: bytes, start: int, length: int | None) -> bytes:
    """Kea's substring: negative start counts from the end, negative length counts backwards
    (excluding the start byte), None is 'all'; anything out of range yields b''."""
    size = len(value)
    if start < 0:
        start += size
    if start < 0 or start >= size:
        return b""
    if length is None:
        return value[start:]
    if length >= 0:
        return value[start : start + length]
    return value[max(0, start + length) : start]


@dataclass(frozen=True, slots=True)
class Substring(StrNode):
    value: StrNode
    start: int
    length: int | None  # None: all

    def children(self) -> tuple[Node, ...]:
        return (self.value,)

    def fails_itself(self) -> bool:
        # Kea converts start and length to int32 at run time and throws when they do not fit;
        # a length of -2**31 fails too (observed).
        bad_start = not -0x80000000 <= self.start <= 0x7FFFFFFF
        bad_length = self.length is not None and not -0x80000000 < self.length <= 0x7FFFFFFF
        return bad_start or bad_length

    def compile(self) -> StrFn:
        fn = self.value.compile()
        start, length = self.start, self.length
        if self.fails_itself():

            def failing(p: Any, c: Container[str], m: Any) -> bytes:
                fn(p, c, m)
                raise EvalError(f"substring({start}, {length}) is out of the int32 range")

            return failing
        if start >= 0 and length is not None and length >= 0:
            end = start + length
            return lambda p, c, m: fn(p, c, m)[start:end]  # same as Kea for non-negative args
        return lambda p, c, m: substring(fn(p, c, m), start, length)


@dataclass(frozen=True, slots=True)
class Split(StrNode):
    value: StrNode
    delimiters: StrNode
    field: int  # 1-based

    def children(self) -> tuple[Node, ...]:
        return (self.value, self.delimiters)

    def fails_itself(self) -> bool:
        return not -0x80000000 <= self.field <= 0x7FFFFFFF

    def compile(self) -> StrFn:
        fn, delims_fn, field = self.value.compile(), self.delimiters.compile(), self.field

        def split(p: Any, c: Container[str], m: Any) -> bytes:
            value, delims = fn(p, c, m), delims_fn(p, c, m)
            check_int32(field, "split field")
            if not value:
                return b""
            if not delims:
                return value  # Kea: no delimiters gives the value itself, whatever the field
            if len(delims) > 1:
                value = value.translate(bytes.maketrans(delims[1:], delims[:1] * (len(delims) - 1)))
            fields = value.split(delims[:1])
            return fields[field - 1] if 1 <= field <= len(fields) else b""

        return split


@dataclass(frozen=True, slots=True)
class HexString(StrNode):
    value: StrNode
    separator: StrNode

    def children(self) -> tuple[Node, ...]:
        return (self.value, self.separator)

    def compile(self) -> StrFn:
        fn, sep_fn = self.value.compile(), self.separator.compile()

        def hexstring(p: Any, c: Container[str], m: Any) -> bytes:
            value, sep = fn(p, c, m), sep_fn(p, c, m)
            if len(sep) == 1:
                return value.hex(sep).encode()  # lower case pairs, like Kea
            pairs = value.hex()
            if not sep:
                return pairs.encode()
            return sep.join([pairs[i : i + 2].encode() for i in range(0, len(pairs), 2)])

        return hexstring


@dataclass(frozen=True, slots=True)
class IfElse(StrNode):
    condition: BoolNode
    if_true: StrNode
    if_false: StrNode

    def children(self) -> tuple[Node, ...]:
        return (self.condition, self.if_true, self.if_false)

    def compile(self) -> StrFn:
        cond, yes, no = self.condition.compile(), self.if_true.compile(), self.if_false.compile()
        if self.if_true.may_fail() or self.if_false.may_fail():

            def eager(p: Any, c: Container[str], m: Any) -> bytes:
                chosen = cond(p, c, m)
                a, b = yes(p, c, m), no(p, c, m)
                return a if chosen else b

            return eager
        return lambda p, c, m: yes(p, c, m) if cond(p, c, m) else no(p, c, m)


def _int_text(size: int, signed: bool) -> Callable[[bytes], bytes]:
    def convert(value: bytes) -> bytes:
        if not value:
            return b""
        if len(value) != size:
            raise EvalError(f"expected {size} bytes, got {len(value)}")
        return str(int.from_bytes(value, "big", signed=signed)).encode()

    return convert


def _addr_text(value: bytes) -> bytes:
    if not value:
        return b""
    if len(value) == 4:
        return socket.inet_ntop(socket.AF_INET, value).encode()
    if len(value) == 16:
        return socket.inet_ntop(socket.AF_INET6, value).encode()
    raise EvalError("cannot convert to a valid address")


CONVERSIONS: dict[str, Callable[[bytes], bytes]] = {
    "addrtotext": _addr_text,
    "int8totext": _int_text(1, True),
    "int16totext": _int_text(2, True),
    "int32totext": _int_text(4, True),
    "uint8totext": _int_text(1, False),
    "uint16totext": _int_text(2, False),
    "uint32totext": _int_text(4, False),
    # Kea 2.5.2+ (extensions only): ASCII case mapping
    "lcase": lambda v: v.lower(),
    "ucase": lambda v: v.upper(),
}
_NEVER_FAIL = frozenset({"lcase", "ucase"})


@dataclass(frozen=True, slots=True)
class Convert(StrNode):
    function: str  # a key of CONVERSIONS
    value: StrNode

    def children(self) -> tuple[Node, ...]:
        return (self.value,)

    def fails_itself(self) -> bool:
        return self.function not in _NEVER_FAIL

    def compile(self) -> StrFn:
        fn, convert = self.value.compile(), CONVERSIONS[self.function]
        return lambda p, c, m: convert(fn(p, c, m))


# ---------------------------------------------------------------- boolean operators


@dataclass(frozen=True, slots=True)
class Equal(BoolNode):
    left: StrNode
    right: StrNode

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def compile(self) -> BoolFn:
        # Byte-wise comparison, as Kea compares its std::string values.
        if isinstance(self.right, Literal):
            fn, const = self.left.compile(), self.right.value
            return lambda p, c, m: fn(p, c, m) == const
        if isinstance(self.left, Literal):
            fn, const = self.right.compile(), self.left.value
            return lambda p, c, m: const == fn(p, c, m)
        a, b = self.left.compile(), self.right.compile()
        return lambda p, c, m: a(p, c, m) == b(p, c, m)


@dataclass(frozen=True, slots=True)
class Member(BoolNode):
    name: str

    def compile(self) -> BoolFn:
        name = self.name
        return lambda p, c, m: name in c


@dataclass(frozen=True, slots=True)
class Not(BoolNode):
    operand: BoolNode

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def compile(self) -> BoolFn:
        fn = self.operand.compile()
        return lambda p, c, m: not fn(p, c, m)


@dataclass(frozen=True, slots=True)
class And(BoolNode):
    operands: tuple[BoolNode, ...]

    def children(self) -> tuple[Node, ...]:
        return self.operands

    def compile(self) -> BoolFn:
        fns = tuple(op.compile() for op in self.operands)
        if any(op.may_fail() for op in self.operands[1:]):
            return lambda p, c, m: all([f(p, c, m) for f in fns])  # evaluate every operand
        if len(fns) == 2:
            a, b = fns
            return lambda p, c, m: a(p, c, m) and b(p, c, m)
        return lambda p, c, m: all(f(p, c, m) for f in fns)


@dataclass(frozen=True, slots=True)
class Or(BoolNode):
    operands: tuple[BoolNode, ...]

    def children(self) -> tuple[Node, ...]:
        return self.operands

    def compile(self) -> BoolFn:
        fns = tuple(op.compile() for op in self.operands)
        if any(op.may_fail() for op in self.operands[1:]):
            return lambda p, c, m: any([f(p, c, m) for f in fns])
        if len(fns) == 2:
            a, b = fns
            return lambda p, c, m: a(p, c, m) or b(p, c, m)
        return lambda p, c, m: any(f(p, c, m) for f in fns)
