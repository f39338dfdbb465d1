"""Kea's client classification expression language ("test" of "client-classes").

At config load: `expr = compile_expression("substring(option[60].hex,0,6) == 'Aastra'")`;
per packet: `expr.evaluate(pkt, classes)`, which never raises.
"""

from hakea.classify.classes import (
    evaluate_classes,
    evaluate_classes_ordered,
    is_builtin_class,
    known_dependent,
    vendor_class_name,
)
from hakea.classify.errors import ExpressionError
from hakea.classify.expression import Expression, compile_expression
from hakea.classify.packet import PacketMeta

__all__ = [
    "Expression",
    "ExpressionError",
    "PacketMeta",
    "compile_expression",
    "evaluate_classes",
    "evaluate_classes_ordered",
    "is_builtin_class",
    "known_dependent",
    "vendor_class_name",
]
