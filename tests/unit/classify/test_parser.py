"""Parsing: accepted forms, error positions and messages, options of compile_expression."""

from __future__ import annotations

import pytest

from hakea.classify import ExpressionError, compile_expression
from hakea.classify.leaves import OptionValue
from hakea.classify.lexer import tokenize
from hakea.classify.nodes import And, Concat, Equal, Literal, Member, Not, Or, Substring
from hakea.classify.parser import MAX_DEPTH


def error_of(text: str, **kwargs: object) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        compile_expression(text, **kwargs)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("('a' == 'a' == 'b')", "1:13: expected ')' near '=='"),
        ("option[60].hex", "1:15: expected '==' or '+' near end of input"),
        ("'a' == 'a' == 'a'", "1:12: expected end of input near '=='"),
        ("'a' and 'b'", "1:5: expected '==' or '+' near 'and'"),
        ("member('ALL') and", "1:18: expected an expression near end of input"),
        ("and member('ALL')", "1:1: expected an expression near 'and'"),
        ("member('ALL'", "1:13: expected ')' near end of input"),
        ("member(ALL)", "1:8: expected a class name in quotes near 'ALL'"),
        ("option[60] == 'a'", "1:12: expected '.' near '=='"),
        ("option[60].HEX == 'a'", "1:12: expected 'hex' or 'text' or 'exists' or 'option' near 'HEX'"),
        ("option[256].hex == ''", "1:8: option code 256 out of range 0..255"),
        ("option[-1].hex == ''", "1:8: option code -1 out of range 0..255"),
        ("option[no-such].hex == ''", "1:8: option 'no-such' is not defined"),
        ("0x == ''", "1:2: invalid character 'x'"),
        ("'a' != 'b'", "1:5: invalid character '!'"),
        ("'a' = 'a'", "1:5: invalid character '='"),
        ('"a" == \'a\'', "1:1: invalid character '\"'"),
        ("'abc", "1:1: unterminated string literal"),
        ("'a\nb' == 'x'", "1:1: unterminated string literal"),
        ("4294967296 == 0x00", "1:1: integer 4294967296 out of range 0..4294967295"),
        ("-1 == 0xffffffff", "1:1: integer -1 out of range 0..4294967295"),
        ("10.0.0.256 == 0x00", "1:1: cannot convert 10.0.0.256 to an IP address"),
        ("2001:db8:::1 == 0x00", "1:1: cannot convert 2001:db8:::1 to an IP address"),
        ("substring('foobar', all, 3) == 'bar'", "1:21: expected an integer near 'all'"),
        ("substring(member('ALL'), 0, 3) == 'foo'", "1:11: expected a string expression near 'member'"),
        ("ifelse('a', 'a', 'b') == 'a'", "1:11: expected '==' or '+' near ','"),
        ("concat('a') == 'a'", "1:11: expected ',' near ')'"),
        ("pkt4.foo == 1", "1:6: expected 'mac' or 'hlen' or 'htype' or 'ciaddr' or 'giaddr' or 'yiaddr'"
         " or 'siaddr' or 'msgtype' or 'transid' near 'foo'"),
        ("vendor-class[4491].data[256] == 'a'", "1:25: data index 256 out of range 0..255"),
        ("vendor[4294967296].exists", "1:8: enterprise-id 4294967296 out of range 0..4294967295"),
        ("relay6[0].peeraddr == ::1", "1:1: relay6 can only be used in DHCPv6"),
        ("pkt6.msgtype == 1", "1:1: pkt6 can only be used in DHCPv6"),
        ("member('ALL') or\n  member('x' == 'y')", "2:14: expected ')' near '=='"),
    ],
)  # fmt: skip
def test_error_positions_and_messages(text: str, message: str) -> None:
    assert str(error_of(text)) == message


def test_error_attributes() -> None:
    err = error_of("member('ALL') or\n\t'x'")
    assert (err.line, err.column) == (2, 5)
    assert err.reason == "expected '==' or '+' near end of input"
    assert isinstance(err, ValueError)


def test_v4_only_terms_in_v6() -> None:
    assert str(error_of("pkt4.mac == 0x00", family=6)) == "1:1: pkt4 can only be used in DHCPv4"
    assert str(error_of("relay4[1].hex == 'a'", family=6)) == "1:1: relay4 can only be used in DHCPv4"
    assert (
        str(error_of("option[65536].hex == ''", family=6)) == "1:8: option code 65536 out of range 0..65535"
    )
    assert str(error_of("relay6[32].peeraddr == ::", family=6)) == "1:8: nest level 32 out of range -32..31"


def test_parenthesised_strings_are_kea_syntax() -> None:
    # kea-dhcp4 -t accepts both; the parser keeps the types straight.
    assert compile_expression("(('a')) == ('a')").evaluate(None, set())
    assert compile_expression("('a' + 'b') == 'ab'").evaluate(None, set())


def test_tree_shapes() -> None:
    tree = compile_expression("substring(option[60].hex,0,6) == 'Aastra'").tree
    assert tree == Equal(Substring(OptionValue(60, False, 4, tree.left.value.defn), 0, 6), Literal(b"Aastra"))  # type: ignore[attr-defined]
    tree = compile_expression("member('a') and member('b') and member('c') or not member('d')").tree
    assert tree == Or((And((Member("a"), Member("b"), Member("c"))), Not(Member("d"))))
    assert compile_expression("'a' + 'b' + 'c' == 'abc'").tree == Equal(
        Concat((Literal(b"a"), Literal(b"b"), Literal(b"c"))), Literal(b"abc")
    )


def test_literal_encodings() -> None:
    def value(text: str) -> bytes:
        return compile_expression(text, result="string").evaluate_string(None, set())

    assert value("0x5a7d") == b"Z}"
    assert value("0X5A7D") == b"Z}"
    assert value("0xabc") == b"\x0a\xbc"  # odd length: a 0 is prepended
    assert value("123") == b"\x00\x00\x00\x7b"
    assert value("00123") == b"\x00\x00\x00\x7b"
    assert value("10.0.0.1") == b"\x0a\x00\x00\x01"
    assert value("2001:db8::1") == bytes.fromhex("20010db8000000000000000000000001")
    assert value("::ffff:10.0.0.1") == bytes.fromhex("00000000000000000000ffff0a000001")
    assert value("fe80::1") == bytes.fromhex("fe800000000000000000000000000001")
    assert value("'é'") == "é".encode()
    assert value("''") == b""


def test_option_names_use_the_dhcp4_table() -> None:
    assert compile_expression("option[host-name].hex == 'a'").tree.left.code == 12  # type: ignore[attr-defined]
    assert compile_expression("option[dhcp-agent-options].option[1].exists").tree.code == 82  # type: ignore[attr-defined]
    assert str(error_of("option[Host-Name].hex == 'a'")) == "1:8: option 'Host-Name' is not defined"


def test_option_names_use_the_dhcp6_table() -> None:
    assert compile_expression("option[clientid].hex == 'a'", family=6).tree.left.code == 1  # type: ignore[attr-defined]
    assert "is not defined" in str(error_of("option[no-such-option].hex == 'a'", family=6))


def test_result_string() -> None:
    expr = compile_expression("hexstring(pkt4.mac, ':')", result="string")
    assert expr.kind == "string"
    assert "string expression" in str(error_of("member('ALL')", result="string"))
    assert compile_expression("member('ALL')").kind == "bool"


def test_defined_classes_are_checked_when_given() -> None:
    compile_expression("member('foo')")  # no list: not checked
    compile_expression("member('foo')", defined_classes={"foo"})
    for builtin in (
        "ALL",
        "KNOWN",
        "UNKNOWN",
        "BOOTP",
        "VENDOR_CLASS_x",
        "HA_server1",
        "AFTER_x",
        "EXTERNAL_x",
    ):
        compile_expression(f"member('{builtin}')", defined_classes=())
    for undefined in ("foo", "DROP", "HA_", "VENDOR_CLASS_", "all", "", "SKIP_DDNS"):
        err = error_of(f"member('{undefined}')", defined_classes=())
        assert (err.line, err.column) == (1, 8)
        assert "is not defined" in err.reason


def test_extension_words_are_refused_by_default() -> None:
    for text in ("known", "not unknown", "lcase('A') == 'a'", "ucase('a') == 'A'"):
        assert "not part of Kea 2.2" in error_of(text).reason
        compile_expression(text, extensions=True)


def test_nesting_is_bounded() -> None:
    deep_ok = "(" * (MAX_DEPTH - 1) + "member('ALL')" + ")" * (MAX_DEPTH - 1)
    assert compile_expression(deep_ok).evaluate(None, {"ALL"})
    assert "nested too deeply" in error_of("(" * 5000 + "member('ALL')" + ")" * 5000).reason
    assert "nested too deeply" in error_of("not " * 5000 + "member('ALL')").reason


def test_long_flat_chains_do_not_recurse() -> None:
    text = " or ".join(f"member('c{i}')" for i in range(3000))
    expr = compile_expression(text)
    assert expr.evaluate(None, {"c2999"})
    assert not expr.evaluate(None, set())
    concat = " + ".join("'a'" for _ in range(3000)) + " == '" + "a" * 3000 + "'"
    assert compile_expression(concat).evaluate(None, set())


def test_referenced_classes() -> None:
    expr = compile_expression("member('a') and not member('KNOWN') or member('b')")
    assert expr.referenced_classes == {"a", "b", "KNOWN"}
    assert expr.depends_on_known
    assert not compile_expression("member('a')").depends_on_known
    assert compile_expression("unknown", extensions=True).depends_on_known


def test_tokens_carry_positions() -> None:
    tokens = tokenize("option[60].hex ==\n  'x'")
    assert [(t.kind, t.line, t.column) for t in tokens] == [
        ("word", 1, 1), ("[", 1, 7), ("int", 1, 8), ("]", 1, 10), (".", 1, 11), ("word", 1, 12),
        ("==", 1, 16), ("string", 2, 3), ("end", 2, 6),
    ]  # fmt: skip


def test_not_a_string() -> None:
    with pytest.raises(ExpressionError):
        compile_expression(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="family"):
        compile_expression("member('ALL')", family=5)
