"""Compiled expressions: parse once at config load, evaluate per packet without ever raising."""

from __future__ import annotations

from collections.abc import Container
from typing import Any, Literal

import hakea.classify.v6  # noqa: F401  (registers pkt6 / relay6 with the parser)
from hakea.classify.errors import ExpressionError
from hakea.classify.nodes import BoolFn, BoolNode, Member, Node, StrFn, StrNode
from hakea.classify.parser import Parser


class Expression:
    """A compiled Kea expression ("test", or a string expression with result="string").

    `referenced_classes` names the classes member() reads; `depends_on_known` is true when KNOWN
    or UNKNOWN is read directly (Kea then defers the class until after host reservation lookup).
    """

    __slots__ = (
        "_test",
        "_value",
        "depends_on_known",
        "family",
        "kind",
        "referenced_classes",
        "text",
        "tree",
    )

    def __init__(self, text: str, tree: Node, family: int) -> None:
        self.text = text
        self.tree = tree
        self.family = family
        self.referenced_classes = frozenset(n.name for n in tree.walk() if isinstance(n, Member))
        self.depends_on_known = not self.referenced_classes.isdisjoint({"KNOWN", "UNKNOWN"})
        self.kind: Literal["bool", "string"]
        if isinstance(tree, BoolNode):
            test = tree.compile()
            self.kind = "bool"
            self._test: BoolFn = test
            self._value: StrFn = lambda p, c, m: b"true" if test(p, c, m) else b"false"
        else:
            assert isinstance(tree, StrNode)
            value = tree.compile()
            self.kind = "string"
            self._value = value
            # Kea's evaluateBool on a string result: only "true" is true.
            self._test = lambda p, c, m: value(p, c, m) == b"true"

    def evaluate(self, pkt: Any, classes: Container[str], meta: Any = None) -> bool:
        """Does the packet belong to the class? A failing operator means no (Kea 2.2)."""
        try:
            return self._test(pkt, classes, meta)
        except Exception:
            return False

    def evaluate_string(self, pkt: Any, classes: Container[str], meta: Any = None) -> bytes:
        """The value of a string expression (b'true'/b'false' for a boolean one); b'' on failure."""
        try:
            return self._value(pkt, classes, meta)
        except Exception:
            return b""

    def evaluate_or_error(
        self, pkt: Any, classes: Container[str], meta: Any = None
    ) -> tuple[bool, str | None]:
        """Like evaluate(), also returning why evaluation failed (for Kea-style EVAL_RESULT logs)."""
        try:
            return self._test(pkt, classes, meta), None
        except Exception as exc:  # reported, never propagated
            return False, f"{type(exc).__name__}: {exc}"

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(
    text: str,
    *,
    family: int = 4,
    result: Literal["bool", "string"] = "bool",
    defined_classes: Container[str] | None = None,
    extensions: bool = False,
) -> Expression:
    """Parse a Kea 2.2 expression; raises ExpressionError("line:col: expected X near Y").

    family: 4 or 6 (pkt4/relay4 vs pkt6/relay6, option code ranges and names).
    result: "bool" for a class "test"; "string" for string-valued expressions.
    defined_classes: when given, member('X') must name a built-in class or one of these (Kea
        rejects classes not defined before the one being parsed).
    extensions: accept known/unknown and lcase/ucase, which Kea 2.2.0 rejects.
    """
    if not isinstance(text, str):
        raise ExpressionError("the expression must be a string")
    if family not in (4, 6):
        raise ValueError("family must be 4 or 6")
    try:
        parser = Parser(text, family=family, defined_classes=defined_classes, extensions=extensions)
        tree = parser.parse(want_bool=result == "bool")
        return Expression(text, tree, family)
    except RecursionError:
        raise ExpressionError("expression nested too deeply") from None
