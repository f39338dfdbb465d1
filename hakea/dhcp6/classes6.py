"""Client classification for DHCPv6 queries, in Kea 2.2's order (see hakea.dhcp4.classes4 for
the passes: built-ins and HA classes, "early" tests, KNOWN/UNKNOWN with reservation classes and
the KNOWN-dependent tests, then required classes once the leases are chosen).

Expressions are compiled with family=6 (pkt6.*, relay6[n].*, DHCPv6 option codes). They read a
`PacketView6`: the client message's options by code (every instance, in order), its type and
transaction id, and the relays, outermost first, as hakea.classify expects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hakea.classify import Expression, PacketMeta, compile_expression, vendor_class_name
from hakea.config.model import ClientClassDef

Classes = dict[str, None]
"""An ordered set of class names (values unused)."""


@dataclass(slots=True)
class RelayView6:
    peer_addr: bytes  # 16 bytes
    link_addr: bytes
    options: dict[int, list[bytes]]


@dataclass(slots=True)
class PacketView6:
    """What the expression evaluator reads from a DHCPv6 query."""

    msg_type: int
    transaction_id: int
    options: dict[int, list[bytes]]
    relays: list[RelayView6] = field(default_factory=list)


def options_by_code(options: Iterable[tuple[int, bytes]]) -> dict[int, list[bytes]]:
    out: dict[int, list[bytes]] = {}
    for code, payload in options:
        out.setdefault(code, []).append(payload)
    return out


def _compile6(text: str) -> Expression:
    return compile_expression(text, family=6)


class Classifier6:
    """Compiles the configured client classes once; classifies one query per call."""

    __slots__ = ("_by_name", "_early", "_late")

    def __init__(self, classes: Sequence[ClientClassDef]) -> None:
        self._by_name: dict[str, Expression | None] = {}
        self._early: list[tuple[str, Expression]] = []
        self._late: list[tuple[str, Expression]] = []
        late_names: set[str] = set()
        for cdef in classes:
            expression = _compile6(cdef.test) if cdef.test.strip() else None
            self._by_name[cdef.name] = expression
            if cdef.only_if_required or expression is None:
                continue
            # Kea defers a class whose test uses KNOWN/UNKNOWN (or a deferred class) until the
            # host reservation lookup has been done.
            if expression.depends_on_known or not expression.referenced_classes.isdisjoint(late_names):
                late_names.add(cdef.name)
                self._late.append((cdef.name, expression))
            else:
                self._early.append((cdef.name, expression))

    @staticmethod
    def builtins(view: PacketView6, extra: Iterable[str] = ()) -> Classes:
        """ALL, VENDOR_CLASS_<first vendor-class-data of option 16>, then `extra` (HA classes)."""
        classes: Classes = {"ALL": None}
        if 16 in view.options:
            vendor = vendor_class_name(view, 6)
            if vendor is not None:
                classes[vendor] = None
        for name in extra:
            classes[name] = None
        return classes

    @property
    def has_tests(self) -> bool:
        return bool(self._early or self._late)

    @property
    def has_late(self) -> bool:
        return bool(self._late)

    def classify_early(self, view: PacketView6, classes: Classes, meta: PacketMeta | None = None) -> None:
        for name, expr in self._early:
            if name not in classes and expr.evaluate(view, classes, meta):
                classes[name] = None

    def classify_late(
        self, view: PacketView6, classes: Classes, known: bool, reserved: Iterable[str],
        meta: PacketMeta | None = None,
    ) -> None:  # fmt: skip
        classes["KNOWN" if known else "UNKNOWN"] = None
        for name in reserved:
            classes[name] = None
        for name, expr in self._late:
            if name not in classes and expr.evaluate(view, classes, meta):
                classes[name] = None

    def classify_required(
        self, view: PacketView6, classes: Classes, names: Iterable[str], meta: PacketMeta | None = None
    ) -> None:
        """require-client-classes: a class without a test is assigned unconditionally."""
        for name in names:
            if name in classes or name not in self._by_name:
                continue
            expr = self._by_name[name]
            if expr is None or expr.evaluate(view, classes, meta):
                classes[name] = None
