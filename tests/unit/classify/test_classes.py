"""evaluate_classes: configuration order, member() of earlier classes, KNOWN/UNKNOWN phases."""

from __future__ import annotations

from hakea.classify import (
    Expression,
    compile_expression,
    evaluate_classes,
    evaluate_classes_ordered,
    is_builtin_class,
    known_dependent,
    vendor_class_name,
)
from tests.unit.classify.conftest import make_packet

PHONE = make_packet({53: b"\x01", 60: b"Aastra6731i\x00"})


def defs(*pairs: tuple[str, str | None]) -> list[tuple[str, Expression | None]]:
    return [(name, None if test is None else compile_expression(test)) for name, test in pairs]


def test_member_sees_classes_matched_earlier() -> None:
    config = defs(
        ("phones", "substring(option[60].hex,0,6) == 'Aastra'"),
        ("not-phones", "not member('phones')"),
        ("ha-phones", "member('phones') and member('HA_server1')"),
    )
    assert evaluate_classes(config, PHONE, {"ALL", "HA_server1"}) == {
        "ALL",
        "HA_server1",
        "phones",
        "ha-phones",
    }
    other = make_packet({53: b"\x01", 60: b"Polycom"})
    assert evaluate_classes(config, other, {"ALL", "HA_server2"}) == {"ALL", "HA_server2", "not-phones"}


def test_order_matters_like_in_kea() -> None:
    # A class only sees classes evaluated before it (Kea rejects forward references anyway).
    config = defs(("b", "member('a')"), ("a", "member('ALL')"))
    assert evaluate_classes(config, PHONE, {"ALL"}) == {"ALL", "a"}


def test_classes_without_test_are_not_added() -> None:
    config = defs(("reserved-only", None), ("uses-it", "member('reserved-only')"))
    assert evaluate_classes(config, PHONE, {"ALL"}) == {"ALL"}
    assert evaluate_classes(config, PHONE, {"ALL", "reserved-only"}) == {"ALL", "reserved-only", "uses-it"}


def test_ordered_result() -> None:
    config = defs(("x", "member('ALL')"), ("y", "member('nope')"), ("z", "member('x')"))
    assert evaluate_classes_ordered(config, PHONE, ["ALL"]) == ["x", "z"]


def test_phases_defer_known_dependent_classes() -> None:
    config = defs(
        ("early", "member('ALL')"),
        ("reserved", "member('KNOWN')"),
        ("guest", "member('UNKNOWN')"),
        ("depends", "not member('reserved')"),  # indirect dependency: deferred too
        ("plain", "member('early')"),
    )
    assert known_dependent(config) == {"reserved", "guest", "depends"}
    early = evaluate_classes(config, PHONE, {"ALL"}, phase="early")
    assert early == {"ALL", "early", "plain"}
    late = evaluate_classes(config, PHONE, early | {"UNKNOWN"}, phase="late")
    assert late == {"ALL", "early", "plain", "UNKNOWN", "guest", "depends"}
    known = evaluate_classes(config, PHONE, early | {"KNOWN"}, phase="late")
    assert known == {"ALL", "early", "plain", "KNOWN", "reserved"}


def test_metadata_reaches_the_tests() -> None:
    config = defs(("eth1", "pkt.iface == 'eth1'"))
    assert evaluate_classes(config, PHONE, set(), meta={"iface": "eth1"}) == {"eth1"}
    assert evaluate_classes(config, PHONE, set()) == set()


def test_vendor_class_name() -> None:
    assert vendor_class_name(PHONE) == "VENDOR_CLASS_Aastra6731i"  # trailing NUL dropped, like Kea
    assert vendor_class_name(make_packet({53: b"\x01", 60: b"docsis3.0"})) == "VENDOR_CLASS_docsis3.0"
    assert vendor_class_name(make_packet({53: b"\x01", 60: b"\x00"})) is None
    assert vendor_class_name(make_packet({53: b"\x01"})) is None
    odd = vendor_class_name(make_packet({53: b"\x01", 60: b"\xff\xfe"}))
    assert odd is not None and odd.encode("utf-8", "surrogateescape") == b"VENDOR_CLASS_\xff\xfe"


def test_builtin_classes() -> None:
    assert all(map(is_builtin_class, ["ALL", "KNOWN", "UNKNOWN", "BOOTP", "HA_server1", "VENDOR_CLASS_x"]))
    assert not any(map(is_builtin_class, ["DROP", "HA_", "all", "phones", "SKIP_DDNS"]))
