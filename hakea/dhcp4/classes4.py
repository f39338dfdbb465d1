"""Client classification for DHCPv4 queries, in Kea 2.2's order (the passes are described in
hakea.classify.classifier, which runs them).

What is DHCPv4's own: the built-in VENDOR_CLASS_<option 60 text> class, and expressions compiled
for DHCPv4 reading a Packet4.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from hakea.classify import Expression, compile_expression, vendor_class_name
from hakea.classify.classifier import ClassDef, Classes, ClassifierBase
from hakea.dhcp4.wire import Packet4

__all__ = ["Classes", "Classifier4"]


class Classifier4(ClassifierBase[Packet4]):
    """Compiles the configured client classes once; classifies one query per call."""

    __slots__ = ()

    def __init__(
        self,
        classes: Sequence[ClassDef],
        compiler: Callable[[str], Expression] = compile_expression,
    ) -> None:
        super().__init__(classes, compiler)

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
