"""Class evaluation in configuration order (Kea ARM, "Classification Steps" 3 and 9)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from hakea.classify.expression import Expression
from hakea.classify.packet import first_option, vendor_class
from hakea.classify.parser import is_builtin_class

__all__ = [
    "evaluate_classes",
    "evaluate_classes_ordered",
    "is_builtin_class",
    "known_dependent",
    "vendor_class_name",
]

Phase = Literal["all", "early", "late"]


def known_dependent(defs: Sequence[tuple[str, Expression | None]]) -> set[str]:
    """Classes whose test reads KNOWN/UNKNOWN directly or through a class that does.

    One pass suffices because member() may only name classes defined earlier.
    """
    dependent: set[str] = set()
    for name, expr in defs:
        if expr is not None and (expr.depends_on_known or not expr.referenced_classes.isdisjoint(dependent)):
            dependent.add(name)
    return dependent


def evaluate_classes_ordered(
    defs: Sequence[tuple[str, Expression | None]],
    pkt: Any,
    initial: Iterable[str],
    *,
    meta: Any = None,
    phase: Phase = "all",
) -> list[str]:
    """Names of the classes whose test matched, in the order they were added.

    `initial` holds what the packet already has (ALL, VENDOR_CLASS_..., HA_..., KNOWN/UNKNOWN
    when known). member() sees `initial` plus the classes matched earlier in `defs`. Classes
    without a test are never added here (reservations and required classes add them).
    phase="early" skips the classes that depend on KNOWN/UNKNOWN (step 3, before host lookup),
    "late" evaluates only those (step 9), "all" evaluates everything. Leave classes marked
    only-if-required out of `defs`.
    """
    classes = set(initial)
    matched: list[str] = []
    dependent: set[str] = set()
    for name, expr in defs:
        if expr is None:
            continue
        if expr.depends_on_known or not expr.referenced_classes.isdisjoint(dependent):
            dependent.add(name)
            if phase == "early":
                continue
        elif phase == "late":
            continue
        if expr.evaluate(pkt, classes, meta):
            classes.add(name)
            matched.append(name)
    return matched


def evaluate_classes(
    defs: Sequence[tuple[str, Expression | None]],
    pkt: Any,
    initial: Iterable[str],
    *,
    meta: Any = None,
    phase: Phase = "all",
) -> set[str]:
    """`initial` plus every class of `defs` whose test matched (see evaluate_classes_ordered)."""
    classes = set(initial)
    classes.update(evaluate_classes_ordered(defs, pkt, classes, meta=meta, phase=phase))
    return classes


def vendor_class_name(pkt: Any, family: int = 4) -> str | None:
    """The built-in VENDOR_CLASS_<id> class of a packet, or None.

    DHCPv4: option 60 without its trailing NULs (Kea 2.2 reads it as a string option);
    DHCPv6: the first vendor-class-data of option 16. Bytes that are not UTF-8 are kept
    losslessly (surrogateescape), so they can only match the same bytes.
    """
    if family == 4:
        payload = pkt.options.get(60)
        data = payload.rstrip(b"\x00") if payload else b""
    else:
        parsed = vendor_class(first_option(pkt.options, 16), True)
        data = parsed[1][0] if parsed and parsed[1] else b""
    if not data:
        return None
    return "VENDOR_CLASS_" + data.decode("utf-8", "surrogateescape")
