"""Client classification of one query, in Kea 2.2's passes, for either family.

A query's classes are kept in a dict used as an ordered set: membership tests are O(1) (what
`member('X')` needs) and the order of assignment is kept, because Kea takes class option-data,
next-server and lifetimes from the first class that defines them, in that order.

Kea evaluates classes in passes:
1. built-ins: ALL, VENDOR_CLASS_<vendor class>; the caller adds its own (HA_<server>) before the
   first pass so `member('HA_server1')` works in class tests (each family's `builtins`);
2. "early": every class in configuration order, except those marked only-if-required and those
   whose test depends on KNOWN/UNKNOWN (directly or through a class that does);
3. after the host reservation lookup: KNOWN or UNKNOWN, the reservation's client-classes, then the
   KNOWN-dependent classes ("late");
4. after the lease is chosen: "required" classes named by require-client-classes of the subnet and
   pool; a required class without a test is assigned unconditionally (Kea ARM, "Required classes").

`ClassifierBase` compiles the configured classes once and runs passes 2 to 4; the per-packet
methods are plain loops over prepared lists (hakea.dhcp4.classes4, hakea.dhcp6.classes6 add the
family's built-ins and packet type).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Generic, Protocol, TypeVar

from hakea.classify.expression import Expression
from hakea.classify.packet import PacketMeta

__all__ = ["ClassDef", "Classes", "ClassifierBase"]

Classes = dict[str, None]
"""An ordered set of class names (values unused)."""

PacketT = TypeVar("PacketT")


class ClassDef(Protocol):
    """What the classifier reads of a configured class (hakea.config.model.ClientClassDef)."""

    @property
    def name(self) -> str: ...
    @property
    def test(self) -> str: ...
    @property
    def only_if_required(self) -> bool: ...


class ClassifierBase(Generic[PacketT]):
    """Compiles the configured client classes once; classifies one query per call."""

    __slots__ = ("_by_name", "_early", "_late", "has_late", "has_tests")

    def __init__(self, classes: Sequence[ClassDef], compiler: Callable[[str], Expression]) -> None:
        self._by_name: dict[str, tuple[str, Expression | None]] = {}
        self._early: list[tuple[str, Expression]] = []
        self._late: list[tuple[str, Expression]] = []
        late_names: set[str] = set()
        for cdef in classes:
            expression = compiler(cdef.test) if cdef.test.strip() else None
            self._by_name[cdef.name] = (cdef.name, expression)
            if cdef.only_if_required or expression is None:
                continue
            # Kea 2.2 defers a class whose test uses KNOWN/UNKNOWN (or a deferred class) until the
            # host reservation lookup has been done.
            if expression.depends_on_known or not expression.referenced_classes.isdisjoint(late_names):
                late_names.add(cdef.name)
                self._late.append((cdef.name, expression))
            else:
                self._early.append((cdef.name, expression))
        # Whether any class is evaluated per packet (the caller then builds a PacketMeta), and
        # whether any waits for the host lookup; attributes, not properties: read for every query.
        self.has_tests = bool(self._early or self._late)
        self.has_late = bool(self._late)

    def classify_early(self, pkt: PacketT, classes: Classes, meta: PacketMeta | None = None) -> None:
        for name, expr in self._early:
            if name not in classes and expr.evaluate(pkt, classes, meta):
                classes[name] = None

    def classify_late(
        self, pkt: PacketT, classes: Classes, known: bool, reserved: Iterable[str],
        meta: PacketMeta | None = None,
    ) -> None:  # fmt: skip
        classes["KNOWN" if known else "UNKNOWN"] = None
        for name in reserved:
            classes[name] = None
        for name, expr in self._late:
            if name not in classes and expr.evaluate(pkt, classes, meta):
                classes[name] = None

    def classify_required(
        self, pkt: PacketT, classes: Classes, names: Iterable[str], meta: PacketMeta | None = None
    ) -> None:
        """require-client-classes: a class without a test is assigned unconditionally."""
        for name in names:
            if name in classes:
                continue
            found = self._by_name.get(name)
            if found is None:
                continue  # unknown class name: Kea's config check refuses it; ignore here
            expr = found[1]
            if expr is None or expr.evaluate(pkt, classes, meta):
                classes[name] = None
