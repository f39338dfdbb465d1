"""Client classification with the real expression compiler (hakea.classify)."""

from __future__ import annotations

from hakea.config.model import ClientClassDef, Reservation4
from hakea.dhcp4.classes4 import Classifier4

from .builders import NOW, config, direct_meta, discover, mac, make_engine, opt, pool, subnet, txt


def _phones_laptops() -> tuple[ClientClassDef, ...]:
    # The Kea ARM example "Configuring Pools With Class Information".
    return (
        ClientClassDef("phones", test="substring(option[60].hex,0,6) == 'Aastra'"),
        ClientClassDef("laptops", test="not member('phones')"),
    )


def test_phones_and_laptops_get_their_own_pools() -> None:
    s = subnet(1, "192.0.2.0/24",
               pool("192.0.2.10 - 192.0.2.20", client_class="phones"),
               pool("192.0.2.30 - 192.0.2.40", client_class="laptops"))  # fmt: skip
    engine, _ = make_engine(config(s, client_classes=_phones_laptops()))
    phone = engine.process(discover(mac(1), extra={60: b"Aastra 6731i"}), NOW, direct_meta())
    laptop = engine.process(discover(mac(2), extra={60: b"MSFT 5.0"}), NOW, direct_meta())
    other = engine.process(discover(mac(3)), NOW, direct_meta())
    assert phone.reply is not None and txt(phone.reply.yiaddr) == "192.0.2.10"
    assert laptop.reply is not None and txt(laptop.reply.yiaddr) == "192.0.2.30"
    assert other.reply is not None and txt(other.reply.yiaddr) == "192.0.2.31"


def test_class_tests_see_the_ha_classes() -> None:
    classes = (
        ClientClassDef("HA_server1"),
        ClientClassDef("HA_server2"),
        ClientClassDef(
            "mine", test="member('HA_server1')", option_data=(opt(42, "10.0.0.1", always_send=True),)
        ),
    )
    s = subnet(1, "192.0.2.0/24",
               pool("192.0.2.10 - 192.0.2.19", client_class="HA_server1"),
               pool("192.0.2.20 - 192.0.2.29", client_class="HA_server2"))  # fmt: skip
    engine, _ = make_engine(config(s, client_classes=classes))
    one = engine.process(discover(mac(1)), NOW, direct_meta(), ha_classes=("HA_server1",))
    two = engine.process(discover(mac(2)), NOW, direct_meta(), ha_classes=("HA_server2",))
    assert one.reply is not None and 42 in one.reply.options
    assert two.reply is not None and 42 not in two.reply.options


def test_vendor_class_builtin_and_known_dependent_classes() -> None:
    classes = (
        ClientClassDef("pxe", test="member('VENDOR_CLASS_PXEClient')"),
        ClientClassDef("known-pxe", test="member('KNOWN') and member('pxe')"),
        ClientClassDef("later", test="member('known-pxe')"),
    )
    res = Reservation4(hw_address=mac(1))
    s = subnet(1, "192.0.2.0/24",
               pool("192.0.2.10 - 192.0.2.10", client_class="later"),
               pool("192.0.2.20 - 192.0.2.20", client_class="pxe"),
               reservations=(res,))  # fmt: skip
    engine, _ = make_engine(config(s, client_classes=classes))
    known = engine.process(discover(mac(1), extra={60: b"PXEClient\x00"}), NOW, direct_meta())
    unknown = engine.process(discover(mac(2), extra={60: b"PXEClient"}), NOW, direct_meta())
    assert known.reply is not None and txt(known.reply.yiaddr) == "192.0.2.10"
    assert unknown.reply is not None and txt(unknown.reply.yiaddr) == "192.0.2.20"


def test_drop_class_drops_the_query() -> None:
    classes = (ClientClassDef("DROP", test="substring(option[60].hex,0,4) == 'evil'"),)
    engine, _ = make_engine(
        config(subnet(1, "192.0.2.0/24", "192.0.2.10 - 192.0.2.20"), client_classes=classes)
    )
    d = engine.process(discover(mac(1), extra={60: b"evil"}), NOW, direct_meta())
    assert d.reply is None and d.drop_reason == "DROP class"
    assert engine.process(discover(mac(2), extra={60: b"good"}), NOW, direct_meta()).reply is not None


def test_pkt_iface_is_visible_to_class_tests() -> None:
    classes = (ClientClassDef("lab", test="pkt.iface == 'eth7'"),)
    s = subnet(1, "192.0.2.0/24", pool("192.0.2.10 - 192.0.2.10", client_class="lab"))
    engine, _ = make_engine(config(s, client_classes=classes))
    assert engine.process(discover(mac(1)), NOW, direct_meta("eth7")).reply is not None
    assert engine.process(discover(mac(1)), NOW, direct_meta("eth0")).reply is None


def test_classifier_order_and_only_if_required() -> None:
    c = Classifier4((
        ClientClassDef("a", test="member('ALL')"),
        ClientClassDef("req", test="member('a')", only_if_required=True),
        ClientClassDef("b", test="member('a')"),
    ))  # fmt: skip
    pkt = discover(mac(1), extra={60: b"x"})
    classes = Classifier4.builtins(pkt, ("HA_server1",))
    c.classify_early(pkt, classes)
    assert list(classes) == ["ALL", "VENDOR_CLASS_x", "HA_server1", "a", "b"]
    c.classify_required(pkt, classes, ["req", "nonexistent"])
    assert "req" in classes and "nonexistent" not in classes
