"""Client classification for DHCPv4 queries, in Kea 2.2's order.

A query's classes are kept in a dict used as an ordered set: membership tests are O(1) (what
`member('X')` needs) and the order of assignment is kept, because Kea takes class option-data,
next-server and valid-lifetime from the first class that defines them, in that order.

Kea evaluates classes in passes:
1. built-ins: ALL, VENDOR_CLASS_<option 60 text>; the caller adds its own (HA_<server>) before the
   first pass so `member('HA_server1')` works in class tests;
2. "early": every class in configuration order, except those marked only-if-required and those
   whose test depends on KNOWN/UNKNOWN (directly or through a class that does);
3. after the host reservation lookup: KNOWN or UNKNOWN, the reservation's client-classes, then the
   KNOWN-dependent classes ("late");
4. after the lease is chosen: "required" classes named by require-client-classes of the subnet and
   pool; a required class without a test is assigned unconditionally (Kea ARM, "Required classes").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from hakea.classify import Expression, PacketMeta, compile_expression, vendor_class_name
from hakea.config.model import ClientClassDef
from hakea.dhcp4.wire import Packet4

Classes = dict[str, None]
"""An ordered set of class names (values unused)."""


class Classifier4:
    """Compiles the configured client classes once; classifies one query per call."""

    __slots__ = ("_by_name", "_early", "_late", "has_tests")

    def __init__(
        self,
        classes: Sequence[ClientClassDef],
        compiler: Callable[[str], Expression] = compile_expression,
    ) -> None:
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
        # Whether any class is evaluated per packet (the caller then builds a PacketMeta); an
        # attribute, not a property: it is read for every query.
        self.has_tests = bool(self._early or self._late)

    @staticmethod
    def builtins(pkt: Packet4, extra: Iterable[str] = ()) -> Classes:
        """ALL, VENDOR_CLASS_<option 60>, then `extra` (e.g. HA_server1), as a new class set."""
        classes: Classes = {"ALL": None}
        if 60 in pkt.options:
            vendor = vendor_class_name(pkt)
            if vendor is not None:
                classes[vendor] = None
        for name in extra:
            classes[name] = None
        return classes


    def classify_early(self, pkt: Packet4, classes: Classes, meta: PacketMeta | None = None) -> None:
        for name, expr in self._early:
            if name not in classes and expr.evaluate(pkt, classes, meta):
                classes[name] = None

    def classify_late(
        self, pkt: Packet4, classes: Classes, known: bool, reserved: Iterable[str],
        meta: PacketMeta | None = None,
    ) -> None:  # fmt: skip
        classes["KNOWN" if known else "UNKNOWN"] = None
        for name in reserved:
            classes[name] = None
        for name, expr in self._late:
            if name not in classes and expr.evaluate(pkt, classes, meta):
                classes[name] = None

    def classify_required(
        self, pkt: Packet4, classes: Classes, names: Iterable[str], meta: PacketMeta | None = None
    ) -> None:
        for name in names:
            if name in classes:
                continue
            found = self._by_name.get(name)
            if found is None:
                continue  # unknown class name: Kea's config check refuses it; ignore here
            expr = found[1]
            if expr is None or expr.evaluate(pkt, classes, meta):
                classes[name] = None
