"""Regenerate the Kea 2.2 reference data used by test_kea_reference.py (a tool, not a test).

    sudo .venv/bin/python tests/unit/classify/kea_oracle.py     # needs kea-dhcp4 2.2 and root

Syntax: each expression of SYNTAX_V4 / SYNTAX_V6 is checked with `kea-dhcp{4,6} -t` on a one-class
configuration. Values: for each packet of PACKETS, kea-dhcp4 runs on the loopback interface with
one class per expression E, "test": "(E) == ''", logging at debug level 99 for the evaluator; the
value Kea pushes for E is read back from the EVAL_DEBUG_EQUAL line (or the failure from
EVAL_RESULT). Results go to kea22_reference.json next to this file.
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUT = HERE / "kea22_reference.json"

SYNTAX_V4 = (HERE / "kea22_syntax_v4.txt").read_text(encoding="utf-8").splitlines()
SYNTAX_V6 = (HERE / "kea22_syntax_v6.txt").read_text(encoding="utf-8").splitlines()

# Packets: options as (code, hex payload), in wire order.
PACKETS: list[dict[str, Any]] = [
    {
        "id": "aastra",
        "options": [
            (53, "01"),
            (60, "41617374726100 00".replace(" ", "")),
            (82, "0103616200" + "02027879"),
            (54, "c0000201"),
            (51, "00000e10"),
            (57, "05dc"),
            (55, "010306"),
            (61, "010a0b0c0d0e0f"),
            (12, "6d79686f7374"),
            (3, "0a0000010a000002"),
            (250, "0102"),
            (251, ""),
            (43, "01027a7a020171"),
        ],
        "ciaddr": "10.1.2.3",
        "xid": 0xDEADBEEF,
    },
    {
        "id": "typed",
        "options": [
            (53, "03"),
            (19, "01"),
            (15, "076578616d706c6503636f6d00"),
            (2, "fffffff0"),
            (1, "ffffff00"),
            (93, "00070009"),
            (26, "05dc"),
            (23, "40"),
            (118, "0a000000"),
            (97, "00000102030405060708090a0b0c0d0e0f"),
            (77, "0461626364"),
        ],
        "xid": 1,
        "htype": 6,
        "chaddr": "0102030405060708",
    },
    {
        "id": "vendor",
        "options": [
            (53, "01"),
            (125, "0000118b06" + "01026162" + "0200"),
            (124, "0000118b0b" + "0461626364" + "056566676869"),
            (82, "000161" + "020162" + "ff0163" + "03056162"),
        ],
        "xid": 7,
    },
    {
        "id": "rai",
        "options": [(53, "01"), (82, "02027879" + "05040a000001" + "13020043" + "0b040a000002")],
        "xid": 3,
    },
    {
        "id": "plain",
        "options": [(53, "01"), (60, "0000"), (82, "010161" + "010162" + "020163")],
        "xid": 0,
    },
]

VALUES: list[str] = [
    # options
    "option[60].hex", "option[60].text", "option[12].hex", "option[12].text", "option[15].hex",
    "option[15].text", "option[54].text", "option[51].text", "option[57].text", "option[55].text",
    "option[61].text", "option[61].hex", "option[3].text", "option[250].text", "option[251].text",
    "option[251].hex", "option[43].text", "option[43].hex", "option[43].option[1].hex",
    "option[60].option[1].hex", "option[19].text", "option[2].text", "option[1].text",
    "option[93].text", "option[26].text", "option[23].text", "option[118].text", "option[97].text",
    "option[77].text", "option[99].hex", "option[99].text", "option[82].hex", "option[82].text",
    "option[82].option[1].hex", "option[82].option[1].text", "option[82].option[2].text",
    "option[host-name].hex", "option[vendor-class-identifier].text",
    "ifelse(option[60].exists, 'y', 'n')", "ifelse(option[99].exists, 'y', 'n')",
    "ifelse(option[251].exists, 'y', 'n')", "ifelse(option[82].option[2].exists, 'y', 'n')",
    # relay agent information
    "relay4[0].hex", "relay4[1].hex", "relay4[2].hex", "relay4[3].hex", "relay4[255].hex",
    "relay4[1].text", "relay4[5].text", "relay4[19].text", "relay4[11].text",
    "ifelse(relay4[2].exists, 'y', 'n')", "ifelse(relay4[9].exists, 'y', 'n')",
    # fixed fields
    "pkt4.mac", "pkt4.hlen", "pkt4.htype", "pkt4.ciaddr", "pkt4.giaddr", "pkt4.yiaddr",
    "pkt4.siaddr", "pkt4.msgtype", "pkt4.transid", "pkt.iface", "pkt.src", "pkt.dst", "pkt.len",
    # vendor options
    "vendor.enterprise", "vendor[4491].option[1].hex", "vendor[4491].option[2].hex",
    "vendor[4491].option[3].hex", "vendor[*].option[1].hex", "vendor[0].option[1].hex",
    "vendor[4490].option[1].hex", "vendor-class.enterprise", "vendor-class[4491].data",
    "vendor-class[4491].data[0]", "vendor-class[4491].data[1]", "vendor-class[*].data",
    "vendor-class[4490].data", "ifelse(vendor[*].exists, 'y', 'n')",
    "ifelse(vendor[4491].exists, 'y', 'n')", "ifelse(vendor[4490].exists, 'y', 'n')",
    "ifelse(vendor-class[*].exists, 'y', 'n')", "ifelse(vendor-class[4491].exists, 'y', 'n')",
    "ifelse(vendor-class[1].exists, 'y', 'n')", "ifelse(vendor[4491].option[2].exists, 'y', 'n')",
    "ifelse(vendor[4491].option[3].exists, 'y', 'n')",
    # operators
    "substring('foobar',0,6)", "substring('foobar',3,3)", "substring('foobar',3,all)",
    "substring('foobar',1,4)", "substring('foobar',-5,4)", "substring('foobar',-1,-3)",
    "substring('foobar',4,-2)", "substring('foobar',10,2)", "substring('foobar',-10,2)",
    "substring('foobar',-6,2)", "substring('foobar',6,1)", "substring('foobar',0,-1)",
    "substring('foobar',2,-5)", "substring('foobar',0,0)", "substring('',0,all)",
    "substring('foobar',-7,all)", "substring('foobar', 4294967296, 3)",
    "substring('foobar', 2147483648, 3)", "substring('foobar', 2147483647, 3)",
    "substring('foobar', 0, 4294967296)", "substring('foobar', -2147483648, 3)",
    "substring('foobar', 1, -2147483648)", "substring(option[60].hex,0,6)",
    "split('one.two..four','.',1)", "split('one.two..four','.',3)", "split('one.two..four','.',4)",
    "split('one.two..four','.',5)", "split('one.two..four','.',0)", "split('a.b,c','.,',2)",
    "split('abc','',1)", "split('abc','',2)", "split('','.',1)", "split('a.b', '.', 4294967296)",
    "split('a.b', '.', -1)", "hexstring('foo','-')", "hexstring(0x0a0B,':')", "hexstring('','-')",
    "hexstring('ab','::')", "hexstring(0xff,'')", "hexstring(pkt4.mac, ':')",
    "addrtotext(10.0.0.1)", "addrtotext(2001:db8::1)", "addrtotext('')", "addrtotext('abc')",
    "addrtotext(::ffff:10.0.0.1)", "addrtotext(pkt4.ciaddr)", "int8totext(0xff)",
    "int16totext(0xffff)", "int32totext(0xffffffff)", "uint8totext(0xff)", "uint16totext(0xffff)",
    "uint32totext(4294967295)", "uint32totext('')", "uint8totext(0xffff)", "int8totext(0x7f)",
    "uint32totext(pkt4.transid)", "concat('a','b')", "'a'+'b'+'c'", "0x5a7d", "123", "10.0.0.1",
    "2001:db8::1", "0x1", "0xabc", "'é'", "ifelse('a'=='a','y','n')",
    "ifelse(member('ALL'),'a',addrtotext('abc'))",
    "ifelse(member('ALL') or addrtotext('abc') == '', 'y', 'n')",
    "ifelse(member('VENDOR_CLASS_Aastra'), 'y', 'n')", "ifelse(not member('ALL'), 'y', 'n')",
    "pkt4.msgtype + pkt4.hlen",
]  # fmt: skip


def _packet_bytes(spec: dict[str, Any]) -> bytes:
    chaddr = bytes.fromhex(spec.get("chaddr", "0a0b0c0d0e0f"))
    header = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        1,
        spec.get("htype", 1),
        len(chaddr),
        1,
        spec.get("xid", 0),
        0,
        0,
        socket.inet_aton(spec.get("ciaddr", "0.0.0.0")),
        socket.inet_aton("0.0.0.0"),
        socket.inet_aton("0.0.0.0"),
        socket.inet_aton("127.0.0.1"),
        chaddr.ljust(16, b"\0"),
        b"",
        b"",
    )
    body = b"\x63\x82\x53\x63"
    for code, payload in spec["options"]:
        data = bytes.fromhex(payload)
        body += bytes([code, len(data)]) + data
    return (header + body + b"\xff").ljust(300, b"\0")


def _env(tmp: str) -> dict[str, str]:
    return dict(os.environ, KEA_PIDFILE_DIR=tmp, KEA_LOCKFILE_DIR=tmp)


def check_syntax(text: str, family: int, tmp: str) -> tuple[bool, str]:
    key = f"Dhcp{family}"
    cfg: dict[str, Any] = {
        key: {
            "interfaces-config": {"interfaces": []},
            "client-classes": [{"name": "c1", "test": text}],
            "lease-database": {"type": "memfile", "persist": False},
        }
    }
    if family == 6:
        cfg[key]["server-id"] = {"type": "LL", "htype": 1, "identifier": "020000000001", "persist": False}
    path = Path(tmp) / "syntax.json"
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run(
        [f"kea-dhcp{family}", "-t", str(path)], capture_output=True, text=True, env=_env(tmp), check=False
    )
    if run.returncode == 0:
        return True, ""
    lines = [line for line in (run.stdout + run.stderr).splitlines() if "error: " in line]
    message = lines[-1].split("error: ", 1)[1].rsplit(" at (", 1)[0] if lines else "rejected"
    return False, message


def probe_values(spec: dict[str, Any], exprs: list[str], tmp: str) -> dict[str, str | None]:
    log = Path(tmp) / "kea.log"
    cfg = {
        "Dhcp4": {
            "interfaces-config": {"interfaces": ["lo"], "dhcp-socket-type": "udp"},
            "client-classes": [{"name": f"c{i}", "test": f"({e}) == ''"} for i, e in enumerate(exprs)],
            "lease-database": {"type": "memfile", "persist": False},
            "subnet4": [{"subnet": "127.0.0.0/8", "id": 1, "pools": [{"pool": "127.0.0.100-127.0.0.200"}]}],
            "loggers": [
                {"name": "kea-dhcp4", "output_options": [{"output": str(log)}], "severity": "DEBUG",
                 "debuglevel": 99},
            ],
        }
    }  # fmt: skip
    path = Path(tmp) / "values.json"
    # Raw UTF-8, not \u escapes: Kea's JSON reader turns "\u00e9" into the single byte 0xe9.
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    log.unlink(missing_ok=True)
    proc = subprocess.Popen(
        ["kea-dhcp4", "-c", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(tmp)
    )
    try:
        time.sleep(1.0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(_packet_bytes(spec), ("127.0.0.1", 67))
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait()
    results: dict[str, str | None] = {}
    pending: list[str] = []
    started = False
    for line in log.read_text(encoding="utf-8", errors="backslashreplace").splitlines():
        if "DHCP4_BUFFER_RECEIVED" in line:
            if started:
                break  # Kea's own reply, looped back through 127.0.0.1
            started = True
        m = re.search(r"EVAL_DEBUG_EQUAL Popping 0x(\S*) and 0x(\S*) pushing", line)
        if m:
            pending.append(m.group(2))
        m = re.search(r"EVAL_RESULT Expression c(\d+) evaluated to (.*)$", line)
        if m:
            expr = exprs[int(m.group(1))]
            ok = m.group(2) in ("0", "1")
            results.setdefault(expr, pending[-1].lower() if ok and pending else None)
            pending = []
    return results


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        syntax = {
            "v4": [[t, *check_syntax(t, 4, tmp)] for t in SYNTAX_V4 if t],
            "v6": [[t, *check_syntax(t, 6, tmp)] for t in SYNTAX_V6 if t],
        }
        values = []
        for spec in PACKETS:
            found = probe_values(spec, VALUES, tmp)
            for expr in VALUES:
                if expr in found:
                    values.append([spec["id"], expr, found[expr]])
        version = subprocess.run(["kea-dhcp4", "-v"], capture_output=True, text=True, check=False)
        data: dict[str, Any] = {
            "kea": version.stdout.strip(),
            "packets": PACKETS,
            "syntax": syntax,
            "values": values,
        }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    checks = len(syntax["v4"]) + len(syntax["v6"])
    print(f"wrote {OUT}: {checks} syntax checks, {len(values)} values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
