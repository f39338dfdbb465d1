"""hakea.dhcp4.options: Kea 2.2's DHCPv4 option table and option-data text encoding.

kea22_option_payloads.json holds option-data entries given to Debian's kea-dhcp4 2.2.0 and the
payloads it sent for them in a DHCPOFFER: the encoder must produce the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakea.dhcp4.option_codecs import parse_hex
from hakea.dhcp4.options import (
    AGENT_OPTIONS_SPACE,
    RETURNED_IF_NOT_REQUESTED,
    STANDARD_V4,
    STANDARD_V4_BY_CODE,
    OptionDef,
    encode_option_data,
    find_v4,
    format_option_data,
    split_csv,
)

KEA_CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "kea22_option_payloads.json").read_text(encoding="utf-8")
)["cases"]


def enc(name: str, data: str, csv: bool = True) -> bytes:
    return encode_option_data(STANDARD_V4[name], data, csv)


def custom(type_: str, *, array: bool = False, record: str = "") -> OptionDef:
    return OptionDef.custom("foo", 222, type_, array=array, record_types=record)


# --- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", KEA_CASES, ids=lambda c: f"{c['name']}={c['data']}")
def test_payload_matches_kea_2_2(case: dict[str, Any]) -> None:
    assert enc(case["name"], case["data"], case["csv-format"]).hex() == case["kea"]


def test_kea_cases_cover_most_of_the_table() -> None:
    assert len({c["name"] for c in KEA_CASES}) >= 100


def test_table_is_consistent() -> None:
    assert len(STANDARD_V4) == len(STANDARD_V4_BY_CODE) == len(set(STANDARD_V4_BY_CODE))
    assert all(d.space == "dhcp4" and 1 <= d.code <= 254 for d in STANDARD_V4.values())


@pytest.mark.parametrize(
    ("name", "code", "type_", "array"),
    [
        ("subnet-mask", 1, "ipv4-address", False),
        ("time-offset", 2, "int32", False),
        ("routers", 3, "ipv4-address", True),
        ("domain-name-servers", 6, "ipv4-address", True),
        ("host-name", 12, "string", False),
        ("domain-name", 15, "string", False),  # the ARM says fqdn; Kea 2.2 sends text
        ("ip-forwarding", 19, "boolean", False),
        ("vendor-encapsulated-options", 43, "empty", False),
        ("dhcp-lease-time", 51, "uint32", False),
        ("dhcp-message-type", 53, "uint8", False),
        ("dhcp-parameter-request-list", 55, "uint8", True),
        ("dhcp-client-identifier", 61, "binary", False),
        ("nds-servers", 85, "ipv4-address", True),
        ("v4-captive-portal", 114, "string", False),
        ("subnet-selection", 118, "ipv4-address", False),
        ("domain-search", 119, "fqdn", True),
        ("vivso-suboptions", 125, "uint32", False),
        ("v4-access-domain", 213, "fqdn", False),
    ],
)
def test_standard_definitions(name: str, code: int, type_: str, array: bool) -> None:
    d = STANDARD_V4[name]
    assert (d.code, d.type, d.array) == (code, type_, array)
    assert find_v4(code) is d and find_v4(name) is d and find_v4(str(code)) is d


def test_records_and_encapsulation() -> None:
    assert STANDARD_V4["fqdn"].record_types == ("uint8", "uint8", "uint8", "fqdn")
    assert STANDARD_V4["option-6rd"].record_types == ("uint8", "uint8", "ipv6-address", "ipv4-address")
    assert STANDARD_V4["option-6rd"].array
    assert STANDARD_V4["dhcp-agent-options"].encapsulate == "dhcp-agent-options-space"
    assert AGENT_OPTIONS_SPACE[1].name == "circuit-id" and AGENT_OPTIONS_SPACE[5].type == "ipv4-address"
    assert frozenset({3, 6, 15, 54}) == RETURNED_IF_NOT_REQUESTED


@pytest.mark.parametrize("code", [121, 143, 160, 162, 0, 255, 80])
def test_options_kea_2_2_does_not_define(code: int) -> None:
    # 121 came in Kea 2.5.5, 143 in 2.3.6, 162 in 2.3.8; 160 was the old v4-captive-portal code.
    assert find_v4(code) is None


def test_find_unknown_name() -> None:
    assert find_v4("no-such-option") is None and find_v4("default-url") is None


# --- encoding by type ---------------------------------------------------------------------------


def test_ipv4_address_and_array() -> None:
    assert enc("subnet-mask", "255.255.255.0") == b"\xff\xff\xff\x00"
    assert enc("routers", "192.0.3.1, 192.0.3.2") == b"\xc0\x00\x03\x01\xc0\x00\x03\x02"
    assert enc("routers", " 192.0.3.1 ,192.0.3.2,") == b"\xc0\x00\x03\x01\xc0\x00\x03\x02"


@pytest.mark.parametrize("bad", ["192.0.3", "256.1.1.1", "01.2.3.4", "1.2.3.4 5.6.7.8", "x"])
def test_bad_ipv4_address(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        enc("routers", f"192.0.2.1, {bad}")
    assert str(err.value) == f"'{bad}' is not a valid IPv4 address for option routers (3)"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("default-ip-ttl", "64", b"\x40"),
        ("default-ip-ttl", "0x1f", b"\x1f"),
        ("default-ip-ttl", "1f", b"\x1f"),  # Kea reads non-decimal digits as hex
        ("default-ip-ttl", "+7", b"\x07"),
        ("default-ip-ttl", "255", b"\xff"),
        ("interface-mtu", "1500", b"\x05\xdc"),
        ("dhcp-lease-time", "4294967295", b"\xff\xff\xff\xff"),
        ("time-offset", "-3600", b"\xff\xff\xf1\xf0"),
        ("time-offset", "-0x10", b"\xff\xff\xff\xf0"),
        ("time-offset", "-2147483648", b"\x80\x00\x00\x00"),
        ("client-system", "0, 7, 65535", b"\x00\x00\x00\x07\xff\xff"),
    ],
)
def test_integers(name: str, text: str, expected: bytes) -> None:
    assert enc(name, text) == expected


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("default-ip-ttl", "256", "'256' is out of range for uint8 (0..255) for option default-ip-ttl (23)"),
        ("default-ip-ttl", "-1", "'-1' is out of range for uint8 (0..255) for option default-ip-ttl (23)"),
        ("default-ip-ttl", "1e3", "'1e3' is out of range for uint8"),
        ("default-ip-ttl", "0x", "'0x' is not a valid uint8 value"),
        ("default-ip-ttl", "ten", "'ten' is not a valid uint8 value"),
        ("time-offset", "2147483648", "'2147483648' is out of range for int32"),
        ("time-offset", "- 16", "'- 16' is not a valid int32 value"),
        (
            "interface-mtu",
            "65536",
            "'65536' is out of range for uint16 (0..65535) for option interface-mtu (26)",
        ),
    ],
)
def test_bad_integers(name: str, text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        enc(name, text)


@pytest.mark.parametrize(("text", "value"), [("true", 1), ("TRUE", 1), ("1", 1), ("false", 0), ("0", 0)])
def test_boolean(text: str, value: int) -> None:
    assert enc("ip-forwarding", text) == bytes((value,))


@pytest.mark.parametrize("bad", ["yes", "2", "on"])
def test_bad_boolean(bad: str) -> None:
    with pytest.raises(ValueError, match=f"'{bad}' is not a valid boolean .* ip-forwarding \\(19\\)"):
        enc("ip-forwarding", bad)


def test_strings() -> None:
    assert enc("boot-file-name", "pxelinux.0") == b"pxelinux.0"
    assert enc("boot-file-name", "  spaced  ") == b"spaced"  # CSV fields are trimmed
    assert enc("boot-file-name", "foo\\,bar") == b"foo,bar"  # "\\," in JSON is a literal comma
    assert enc("merit-dump", "Hello World, again") == b"Hello World"  # Kea keeps the first field
    assert enc("boot-file-name", "'quoted'") == b"'quoted'"  # quotes are literal in CSV mode
    assert enc("root-path", "é") == "é".encode()


def test_empty_data_is_refused_for_typed_options() -> None:
    with pytest.raises(ValueError, match=r"no option value specified for option boot-file-name \(67\)"):
        enc("boot-file-name", "")
    with pytest.raises(ValueError, match="no option value specified"):
        enc("routers", " , ")


def test_fqdn_and_fqdn_array() -> None:
    assert enc("v4-lost", "example.org") == b"\x07example\x03org\x00"
    assert enc("v4-lost", "A.Example.") == b"\x01A\x07Example\x00"  # case kept, trailing dot optional
    assert enc("domain-search", "a.example, b.example.") == b"\x01a\x07example\x00\x01b\x07example\x00"


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("a..b", "empty label"),
        (".", "not a valid fqdn"),
        ("x" * 64 + ".example", "label longer than 63"),
        (".".join(["a" * 63] * 4), "longer than 255"),
        ("a b.example", "bad character"),
        ("a@b.example", "bad character"),
        ("é.example", "bad character"),
    ],
)
def test_bad_fqdn(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=f"is not a valid fqdn.*{why}|{why}.*v4-lost"):
        enc("v4-lost", bad)


def test_binary_in_csv_is_plain_hex() -> None:
    assert enc("user-class", "0a0B0c") == b"\x0a\x0b\x0c"
    assert enc("user-class", "0a 0b 0c") == b"\x0a\x0b\x0c"  # Kea 2.2 ignores blanks here
    for bad in ("0x0a0b", "0a:0b", "0a0", "'text'", "zz"):
        with pytest.raises(ValueError, match=f"'{bad}' is not valid binary data.*user-class \\(77\\)"):
            enc("user-class", bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C0 00 03 01 C0 00 03 02", "c0000301c0000302"),
        ("c0:0:3:1", "c0000301"),
        ("0xC0000301", "c0000301"),
        ("c0000301", "c0000301"),
        ("0a0", "00a0"),  # an odd digit count gets a leading zero
        ("0xA", "0a"),
        ("'convert this'", b"convert this".hex()),  # single-quoted text is taken literally
        ("", ""),
    ],
)
def test_hex_data_forms(text: str, expected: str) -> None:
    assert encode_option_data(STANDARD_V4["routers"], text, csv_format=False).hex() == expected
    assert encode_option_data(None, text).hex() == expected


@pytest.mark.parametrize("bad", ["zz", "0x", "0a  0b", " 0a:0b", "0a:0b ", "0a::0b", "0x0a:0b", "123:4"])
def test_bad_hex_data(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a valid string of hexadecimal digits"):
        encode_option_data(None, bad)
    with pytest.raises(ValueError, match=r"for option routers \(3\)$"):
        encode_option_data(STANDARD_V4["routers"], bad, csv_format=False)


def test_records() -> None:
    assert enc("slp-service-scope", "false, scope1") == b"\x00scope1"
    assert enc("client-ndi", "1,2,3,4") == b"\x01\x02\x03"  # extra fields ignored, as by Kea
    assert enc("v4-portparams", "2, 3/4") == bytes.fromhex("02043000")
    # array records: the last field repeats
    assert enc("slp-directory-agent", "true, 192.0.2.5, 192.0.2.6") == bytes.fromhex("01c0000205c0000206")
    with pytest.raises(
        ValueError, match=r"option client-ndi \(94\) needs 3 values \(uint8, uint8, uint8\), got 2"
    ):
        enc("client-ndi", "1, 2")
    with pytest.raises(ValueError, match=r"'x' is not a valid uint8 value for option client-ndi \(94\)"):
        enc("client-ndi", "1, x, 3")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3/4", "043000"),
        ("0/0", "000000"),
        ("65535/16", "10ffff"),
        ("65535/0", "000000"),
        ("0x3/04", "043000"),
    ],
)
def test_psid(text: str, expected: str) -> None:
    assert enc("v4-portparams", f"1, {text}").hex() == "01" + expected


@pytest.mark.parametrize("bad", ["3/17", "16/4", "70000/0", "-1/0", "3", "x/y"])
def test_bad_psid(bad: str) -> None:
    with pytest.raises(ValueError, match=f"'{bad}' is not a valid psid"):
        enc("v4-portparams", f"1, {bad}")


def test_vendor_options() -> None:
    assert enc("vivso-suboptions", "4491") == bytes.fromhex("0000118b00")  # + empty data-len, as Kea
    assert enc("vivco-suboptions", "4491, 03616263") == bytes.fromhex("0000118b03616263")
    assert enc("vivco-suboptions", "4491, 00") == bytes.fromhex("0000118b00")
    with pytest.raises(ValueError, match="length-prefixed tuples"):
        enc("vivco-suboptions", "4491, 0a0b")


def test_empty_type() -> None:
    assert enc("vendor-encapsulated-options", "") == b""
    with pytest.raises(ValueError, match="type empty"):
        enc("vendor-encapsulated-options", "01")
    # csv-format false: raw bytes, the usual way to send a hand-made option 43
    assert enc("vendor-encapsulated-options", "01:04:c0:a8:00:01", csv=False) == bytes.fromhex("0104c0a80001")


def test_custom_types_not_in_the_v4_table() -> None:
    assert encode_option_data(custom("ipv6-address"), "2001:db8::1") == bytes.fromhex(
        "20010db8" + "0" * 23 + "1"
    )
    assert encode_option_data(custom("ipv6-prefix"), "2001:db8:1::/48") == bytes.fromhex("3020010db80001")
    assert encode_option_data(custom("ipv6-prefix"), "2001:db8::/0") == b"\x00"
    assert encode_option_data(custom("tuple", array=True), "ab, c") == b"\x02ab\x01c"
    assert encode_option_data(custom("int8"), "-128") == b"\x80"
    assert encode_option_data(custom("int16", array=True), "-1, 2") == b"\xff\xff\x00\x02"
    rec = custom("record", record="ipv4-address, uint16, boolean, string")
    assert encode_option_data(rec, "192.0.2.100, 123, true, Hello World") == (
        b"\xc0\x00\x02\x64\x00\x7b\x01Hello World"
    )
    arr = custom("record", array=True, record="ipv4-address, uint16")
    assert encode_option_data(arr, "192.0.2.1, 1, 2, 3") == bytes.fromhex("c0000201000100020003")
    for bad, why in [
        ("2001:db8::/129", "IPv6 prefix"),
        ("2001:db8::", "IPv6 prefix"),
        ("x/8", "IPv6 prefix"),
    ]:
        with pytest.raises(ValueError, match=why):
            encode_option_data(custom("ipv6-prefix"), bad)
    with pytest.raises(ValueError, match="tuple"):
        encode_option_data(custom("tuple"), "x" * 256)
    with pytest.raises(ValueError, match=r"'1::2::3' is not a valid IPv6 address for option foo \(222\)"):
        encode_option_data(custom("ipv6-address"), "1::2::3")


# --- OptionDef validation -----------------------------------------------------------------------


def test_option_def_custom_parses_record_types() -> None:
    d = OptionDef.custom("bar", 223, "record", record_types="ipv4-address, uint16,boolean", space="s")
    assert d.record_types == ("ipv4-address", "uint16", "boolean") and d.space == "s"
    assert d.label == "bar (223)"


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"type": "float"}, "not a valid option type"),
        ({"type": "record"}, "needs record-types"),
        ({"type": "record", "record_types": "uint8, record"}, "not a valid record field type"),
        ({"type": "record", "record_types": "uint8, empty"}, "not a valid record field type"),
        ({"type": "record", "record_types": "string, uint8"}, "can only end"),
        ({"type": "record", "record_types": "uint8, binary", "array": True}, "can only end"),
        ({"type": "uint8", "record_types": "uint8"}, "record-types given"),
        ({"type": "string", "array": True}, "array of string"),
        ({"type": "empty", "array": True}, "array of empty"),
        ({"type": "uint8", "code": 0}, "code must be"),
        ({"type": "uint8", "code": 255}, "code must be"),
        ({"type": "uint8", "code": 256, "space": "vendor"}, "code must be"),
        ({"type": "uint8", "name": ""}, "name must not be empty"),
    ],
)
def test_invalid_option_defs(kwargs: dict[str, Any], why: str) -> None:
    args: dict[str, Any] = {"name": "foo", "code": 222, **kwargs}
    with pytest.raises(ValueError, match=why):
        OptionDef.custom(**args)


def test_sub_option_spaces_allow_code_0_and_255() -> None:
    assert OptionDef("zero", 0, "uint8", space="APC").code == 0


# --- CSV splitting and hex --------------------------------------------------------------------


def test_split_csv() -> None:
    assert split_csv("a, b ,c") == ["a", "b", "c"]
    assert split_csv("a\\,b, c") == ["a,b", "c"]
    assert split_csv(" , ,") == []
    assert split_csv("x\\y, z") == ["x\\y", "z"]


def test_parse_hex_is_exposed_for_the_config_loader() -> None:
    assert parse_hex("01:02") == b"\x01\x02"


# --- formatting back to text ------------------------------------------------------------------


@pytest.mark.parametrize("case", KEA_CASES, ids=lambda c: f"{c['name']}={c['data']}")
def test_format_then_encode_gives_the_payload_back(case: dict[str, Any]) -> None:
    defn = STANDARD_V4[case["name"]]
    payload = bytes.fromhex(case["kea"])
    text = format_option_data(defn, payload)
    csv = defn.type != "empty" and defn.code != 125  # 125's data-len byte is not CSV text
    assert encode_option_data(defn, text, csv) == payload


def test_format_examples() -> None:
    assert (
        format_option_data(STANDARD_V4["routers"], b"\xc0\x00\x02\x01\xc0\x00\x02\x02")
        == "192.0.2.1, 192.0.2.2"
    )
    assert format_option_data(STANDARD_V4["time-offset"], b"\xff\xff\xff\xf0") == "-16"
    assert format_option_data(STANDARD_V4["boot-file-name"], b"a,b\x00\x00") == "a\\,b"
    assert format_option_data(STANDARD_V4["v4-portparams"], bytes.fromhex("02043000")) == "2, 3/4"
    assert format_option_data(custom("ipv6-prefix"), bytes.fromhex("3020010db80001")) == "2001:db8:1::/48"
    assert format_option_data(custom("tuple", array=True), b"\x02ab\x00") == "ab, "
    assert format_option_data(None, b"\x01\x02") == "0102"


def test_format_follows_domain_search_compression() -> None:
    # RFC 3397 section 2: "eng.example.com" then "marketing" + pointer to "example.com" (offset 4)
    payload = b"\x03eng\x07example\x03com\x00" + b"\x09marketing\xc0\x04"
    assert (
        format_option_data(STANDARD_V4["domain-search"], payload)
        == "eng.example.com., marketing.example.com."
    )


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("routers", b"\x01\x02\x03"),  # not a multiple of 4
        ("subnet-mask", b"\x01\x02\x03\x04\x05"),  # trailing byte
        ("domain-search", b"\x03eng\xc0\x00"),  # pointer that does not point backwards
        ("v4-lost", b"\x05abc"),  # truncated label
        ("client-ndi", b"\x01"),
    ],
)
def test_format_falls_back_to_hex(name: str, payload: bytes) -> None:
    assert format_option_data(STANDARD_V4[name], payload) == payload.hex()


@given(st.sampled_from(sorted(STANDARD_V4_BY_CODE)), st.binary(max_size=300))
def test_format_never_raises(code: int, payload: bytes) -> None:
    assert isinstance(format_option_data(STANDARD_V4_BY_CODE[code], payload), str)


@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=20))
def test_ipv4_array_text_round_trip(addresses: list[int]) -> None:
    text = ", ".join(".".join(str(a >> s & 255) for s in (24, 16, 8, 0)) for a in addresses)
    payload = enc("ntp-servers", text)
    assert payload == b"".join(a.to_bytes(4, "big") for a in addresses)
    assert format_option_data(STANDARD_V4["ntp-servers"], payload) == text


@given(st.binary(max_size=100))
def test_hex_forms_round_trip(raw: bytes) -> None:
    assert parse_hex(raw.hex()) == raw
    assert parse_hex(raw.hex(":")) == raw
    assert parse_hex(raw.hex(" ").upper()) == raw
    assert parse_hex("0x" + raw.hex()) == raw if raw else True
