"""Client classification for DHCPv6 queries, in Kea 2.2's order (hakea.classify.classifier runs
the passes: built-ins and HA classes, "early" tests, KNOWN/UNKNOWN with reservation classes and
the KNOWN-dependent tests, then required classes once the leases are chosen).

Expressions are compiled with family=6 (pkt6.*, relay6[n].*, DHCPv6 option codes). They read a
`PacketView6`: the client message's options by code (every instance, in order), its type and
transaction id, and the relays, outermost first, as hakea.classify expects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hakea.classify import Expression, compile_expression, vendor_class_name
from hakea.classify.classifier import ClassDef, Classes, ClassifierBase

__all__ = ["Classes", "Classifier6", "PacketView6", "RelayView6", "options_by_code"]


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


class Classifier6(ClassifierBase[PacketView6]):
    """Compiles the configured client classes once; classifies one query per call."""

    __slots__ = ()

    def __init__(self, classes: Sequence[ClassDef]) -> None:
        super().__init__(classes, _compile6)

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
