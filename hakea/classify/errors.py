"""Errors of the expression language.

`ExpressionError` is raised at config load, never per packet. `EvalError` is internal: an
operator that Kea would throw from (addrtotext of 3 bytes, substring past int32) raises it,
and `Expression.evaluate` turns it into "class not matched", as Kea 2.2 does (it logs
EVAL_RESULT ... evaluated to <error> and does not add the class).
"""

from __future__ import annotations


class ExpressionError(ValueError):
    """A test string that does not parse; str() is "line:column: reason"."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(f"{line}:{column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column


class EvalError(Exception):
    """Per-packet failure of one operator; the whole expression then fails (Kea 2.2)."""
