"""Recursive-descent parser for Kea 2.2's classification expressions, with static types.

Grammar (as accepted by kea-dhcp4/kea-dhcp6 2.2.0, checked with `-t`):

    or      := and ('or' and)*                      bool operands
    and     := not ('and' not)*                     bool operands
    not     := 'not' not | compare
    compare := concat ['==' concat]                 string operands -> bool
    concat  := primary ('+' primary)*               string operands
    primary := '(' or ')' | literal | keyword-led term (PRIMARY_PARSERS)

Parentheses may hold a boolean or a string expression ("('a') == 'a'" is valid Kea). Errors
carry the line and column of the offending token and what was expected there.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from contextlib import contextmanager
from typing import Any

from hakea.classify.errors import ExpressionError
from hakea.classify.leaves import (
    PKT4_FIELDS,
    PKT_FIELDS,
    OptionExists,
    OptionValue,
    Pkt4Field,
    PktMeta,
    VendorClassData,
    VendorEnterprise,
    VendorExists,
    VendorSubOption,
    VendorSubOptionExists,
)
from hakea.classify.lexer import Token, tokenize
from hakea.classify.nodes import (
    CONVERSIONS,
    And,
    BoolNode,
    Concat,
    Convert,
    Equal,
    HexString,
    IfElse,
    Literal,
    Member,
    Node,
    Not,
    Or,
    Split,
    StrNode,
    Substring,
)
from hakea.classify.packet import option_lookup, uint32

PrimaryParser = Callable[["Parser", Token], Node]

#: Keyword -> parser of the term it starts (the keyword token already consumed). Modules adding
#: terms (DHCPv6 ones live in hakea.classify.v6) register here.
PRIMARY_PARSERS: dict[str, PrimaryParser] = {}

#: Words accepted only with extensions=True: Kea 2.2.0 rejects them ("Invalid character").
#: known/unknown are in later ARMs; lcase/ucase came with Kea 2.5.2 (ChangeLog 2181).
EXTENSION_WORDS = frozenset({"known", "unknown", "lcase", "ucase"})

MAX_DEPTH = 50  # nesting of parentheses, 'not' and function arguments

BUILTIN_CLASSES = frozenset({"ALL", "KNOWN", "UNKNOWN", "BOOTP"})
BUILTIN_PREFIXES = ("VENDOR_CLASS_", "HA_", "AFTER_", "EXTERNAL_")


def is_builtin_class(name: str) -> bool:
    """Classes member() may name without defining them (Kea 2.2: a bare prefix is not one)."""
    if name in BUILTIN_CLASSES:
        return True
    return any(name.startswith(p) and len(name) > len(p) for p in BUILTIN_PREFIXES)


class Parser:
    def __init__(
        self,
        text: str,
        *,
        family: int = 4,
        defined_classes: Container[str] | None = None,
        extensions: bool = False,
    ) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0
        self.family = family
        self.defined_classes = defined_classes
        self.extensions = extensions

    # -- token helpers

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "end":
            self.pos += 1
        return tok

    def error(self, expected: str, tok: Token | None = None) -> ExpressionError:
        tok = tok or self.peek()
        return ExpressionError(f"expected {expected} near {tok.describe()}", tok.line, tok.column)

    def fail(self, reason: str, tok: Token) -> ExpressionError:
        return ExpressionError(reason, tok.line, tok.column)

    def expect(self, kind: str) -> Token:
        if self.peek().kind != kind:
            raise self.error(repr(kind))
        return self.next()

    def expect_word(self, *words: str) -> str:
        tok = self.peek()
        if tok.kind != "word" or tok.text not in words:
            raise self.error(" or ".join(repr(w) for w in words))
        self.next()
        return tok.text

    def at_word(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "word" and tok.text == word

    def integer(self, low: int | None = None, high: int | None = None, what: str = "integer") -> int:
        tok = self.peek()
        if tok.kind != "int":
            raise self.error("an integer")
        self.next()
        value = tok.value
        assert isinstance(value, int)
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(f"{what} {value} out of range {low}..{high}", tok)
        return value

    def option_code(self) -> int:
        return self.integer(0, 255 if self.family == 4 else 0xFFFF, "option code")

    @contextmanager
    def nested(self) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail("expression nested too deeply", self.peek())
        try:
            yield
        finally:
            self.depth -= 1

    # -- typed operands

    def need_bool(self, node: Node) -> BoolNode:
        if not isinstance(node, BoolNode):
            raise self.error("'==' or '+'")
        return node

    def need_str(self, node: Node, start: Token) -> StrNode:
        if not isinstance(node, StrNode):
            raise self.error("a string expression", start)
        return node

    def str_arg(self) -> StrNode:
        start = self.peek()
        with self.nested():
            node = self.parse_or()
        return self.need_str(node, start)

    def bool_arg(self) -> BoolNode:
        with self.nested():
            node = self.parse_or()
        return self.need_bool(node)

    # -- grammar

    def parse(self, want_bool: bool = True) -> Node:
        node = self.parse_or()
        tok = self.peek()
        if isinstance(node, StrNode) and (tok.kind != "end" or want_bool):
            raise self.error("'==' or '+'")
        if tok.kind != "end":
            raise self.error("end of input")
        if not want_bool and not isinstance(node, StrNode):
            raise self.fail("expected a string expression, not a boolean one", self.tokens[0])
        return node

    def parse_or(self) -> Node:
        first = self.parse_and()
        if not self.at_word("or"):
            return first
        operands: list[BoolNode] = [self.need_bool(first)]
        while self.at_word("or"):
            self.next()
            node = self.need_bool(self.parse_and())
            operands.extend(node.operands if isinstance(node, Or) else (node,))
        return Or(tuple(operands))

    def parse_and(self) -> Node:
        first = self.parse_not()
        if not self.at_word("and"):
            return first
        operands: list[BoolNode] = [self.need_bool(first)]
        while self.at_word("and"):
            self.next()
            node = self.need_bool(self.parse_not())
            operands.extend(node.operands if isinstance(node, And) else (node,))
        return And(tuple(operands))

    def parse_not(self) -> Node:
        if self.at_word("not"):
            self.next()
            with self.nested():
                operand = self.parse_not()
            return Not(self.need_bool(operand))
        return self.parse_compare()

    def parse_compare(self) -> Node:
        left = self.parse_concat()
        if isinstance(left, StrNode) and self.peek().kind == "==":
            self.next()
            start = self.peek()
            right = self.need_str(self.parse_concat(), start)
            return Equal(left, right)
        return left

    def parse_concat(self) -> Node:
        first = self.parse_primary()
        if not (isinstance(first, StrNode) and self.peek().kind == "+"):
            return first
        parts: list[StrNode] = [first]
        while self.peek().kind == "+":
            self.next()
            start = self.peek()
            parts.append(self.need_str(self.parse_primary(), start))
        return Concat(tuple(parts))

    def parse_primary(self) -> Node:
        tok = self.peek()
        kind = tok.kind
        if kind == "(":
            self.next()
            with self.nested():
                node = self.parse_or()
            self.expect(")")
            return node
        if kind in ("string", "hex", "ip"):
            self.next()
            assert isinstance(tok.value, bytes)
            return Literal(tok.value)
        if kind == "int":
            # Integers are 32-bit unsigned, four bytes in network order (ARM, "Notes").
            return Literal(uint32(self.integer(0, 0xFFFFFFFF)))
        if kind == "word":
            handler = PRIMARY_PARSERS.get(tok.text)
            if tok.text in EXTENSION_WORDS and not self.extensions:
                raise self.fail(
                    f"{tok.text!r} is not part of Kea 2.2's expression language"
                    " (compile with extensions=True to accept it)",
                    tok,
                )
            if handler is not None:
                self.next()
                return handler(self, tok)
        raise self.error("an expression")


def _register(*words: str) -> Callable[[PrimaryParser], PrimaryParser]:
    def decorate(fn: PrimaryParser) -> PrimaryParser:
        for word in words:
            PRIMARY_PARSERS[word] = fn
        return fn

    return decorate


def _only(p: Parser, tok: Token, family: int) -> None:
    if p.family != family:
        raise p.fail(f"{tok.text} can only be used in DHCPv{family}", tok)


def _representation(p: Parser, allowed: tuple[str, ...] = ("hex", "text", "exists")) -> str:
    p.expect(".")
    return p.expect_word(*allowed)


@_register("option")
def _option(p: Parser, tok: Token) -> Node:
    p.expect("[")
    code_tok = p.peek()
    lookup = option_lookup(p.family)
    defn: Any = None
    if code_tok.kind == "word":
        p.next()
        if lookup is None:
            raise p.fail(
                f"option names need the DHCPv{p.family} option table, which is not available;"
                " use the option code",
                code_tok,
            )
        defn = lookup(code_tok.text)
        if defn is None:
            raise p.fail(f"option {code_tok.text!r} is not defined", code_tok)
        code = int(defn.code)
    elif code_tok.kind == "int":
        code = p.option_code()
        defn = lookup(code) if lookup is not None else None
    else:
        raise p.error("an option code or name")
    p.expect("]")
    rep = _representation(p, ("hex", "text", "exists", "option"))
    sub: int | None = None
    if rep == "option":
        p.expect("[")
        sub = p.option_code()
        p.expect("]")
        rep = _representation(p)
    if rep == "exists":
        return OptionExists(code, p.family, sub)
    return OptionValue(code, rep == "text", p.family, defn, sub)


@_register("relay4")
def _relay4(p: Parser, tok: Token) -> Node:
    _only(p, tok, 4)
    p.expect("[")
    code = p.option_code()
    p.expect("]")
    rep = _representation(p)
    # relay4[N] is option[82].option[N] (ARM: "shares the same representation types as option").
    if rep == "exists":
        return OptionExists(82, 4, code)
    return OptionValue(82, rep == "text", 4, None, code)


@_register("pkt4")
def _pkt4(p: Parser, tok: Token) -> Node:
    _only(p, tok, 4)
    p.expect(".")
    return Pkt4Field(p.expect_word(*PKT4_FIELDS))


@_register("pkt")
def _pkt(p: Parser, tok: Token) -> Node:
    p.expect(".")
    return PktMeta(p.expect_word(*PKT_FIELDS), p.family)


@_register("member")
def _member(p: Parser, tok: Token) -> Node:
    p.expect("(")
    name_tok = p.peek()
    if name_tok.kind != "string":
        raise p.error("a class name in quotes")
    p.next()
    assert isinstance(name_tok.value, bytes)
    name = name_tok.value.decode("utf-8", "surrogateescape")
    p.expect(")")
    if p.defined_classes is not None and not is_builtin_class(name) and name not in p.defined_classes:
        raise p.fail(f"client class {name!r} is not defined (before this one)", name_tok)
    return Member(name)


@_register("known", "unknown")
def _known(p: Parser, tok: Token) -> Node:
    # ARM: known is member('KNOWN'), unknown is not member('KNOWN').
    return Member("KNOWN") if tok.text == "known" else Not(Member("KNOWN"))


@_register("substring")
def _substring(p: Parser, tok: Token) -> Node:
    p.expect("(")
    value = p.str_arg()
    p.expect(",")
    start = p.integer()
    p.expect(",")
    length: int | None = None
    if p.at_word("all"):
        p.next()
    else:
        length = p.integer()
    p.expect(")")
    return Substring(value, start, length)


@_register("concat")
def _concat(p: Parser, tok: Token) -> Node:
    p.expect("(")
    left = p.str_arg()
    p.expect(",")
    right = p.str_arg()
    p.expect(")")
    return Concat((left, right))


@_register("ifelse")
def _ifelse(p: Parser, tok: Token) -> Node:
    p.expect("(")
    condition = p.bool_arg()
    p.expect(",")
    if_true = p.str_arg()
    p.expect(",")
    if_false = p.str_arg()
    p.expect(")")
    return IfElse(condition, if_true, if_false)


@_register("hexstring")
def _hexstring(p: Parser, tok: Token) -> Node:
    p.expect("(")
    value = p.str_arg()
    p.expect(",")
    separator = p.str_arg()
    p.expect(")")
    return HexString(value, separator)


@_register("split")
def _split(p: Parser, tok: Token) -> Node:
    p.expect("(")
    value = p.str_arg()
    p.expect(",")
    delimiters = p.str_arg()
    p.expect(",")
    field = p.integer()
    p.expect(")")
    return Split(value, delimiters, field)


@_register(*CONVERSIONS)
def _convert(p: Parser, tok: Token) -> Node:
    p.expect("(")
    value = p.str_arg()
    p.expect(")")
    return Convert(tok.text, value)


def _enterprise(p: Parser) -> int | None:
    p.expect("[")
    if p.peek().kind == "*":
        p.next()
        enterprise = 0
    else:
        enterprise = p.integer(0, 0xFFFFFFFF, "enterprise-id")
    p.expect("]")
    return enterprise or None  # '*' and 0 both match any enterprise (ARM)


@_register("vendor")
def _vendor(p: Parser, tok: Token) -> Node:
    option = 125 if p.family == 4 else 17
    if p.peek().kind == ".":
        p.next()
        p.expect_word("enterprise")
        return VendorEnterprise(option, p.family)
    enterprise = _enterprise(p)
    p.expect(".")
    if p.expect_word("option", "exists") == "exists":
        return VendorExists(option, enterprise, p.family)
    p.expect("[")
    code = p.option_code()
    p.expect("]")
    rep = _representation(p)
    if rep == "exists":
        return VendorSubOptionExists(enterprise, code, p.family)
    return VendorSubOption(enterprise, code, rep == "text", p.family)


@_register("vendor-class")
def _vendor_class(p: Parser, tok: Token) -> Node:
    option = 124 if p.family == 4 else 16
    if p.peek().kind == ".":
        p.next()
        p.expect_word("enterprise")
        return VendorEnterprise(option, p.family)
    enterprise = _enterprise(p)
    p.expect(".")
    if p.expect_word("exists", "data") == "exists":
        return VendorExists(option, enterprise, p.family)
    index = 0
    if p.peek().kind == "[":
        p.next()
        index = p.integer(0, 255, "data index")
        p.expect("]")
    return VendorClassData(enterprise, index, p.family)
