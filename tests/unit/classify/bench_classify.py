"""Evaluation cost of class tests (not collected by pytest).

.venv/bin/python -m tests.unit.classify.bench_classify
"""

from __future__ import annotations

import timeit
from functools import partial

from hakea.classify import compile_expression, evaluate_classes
from hakea.dhcp4.wire import Packet4

PKT = Packet4(
    chaddr=bytes.fromhex("0a0b0c0d0e0f"),
    options={53: b"\x01", 60: b"Aastra6731i", 61: b"\x01\x0a\x0b\x0c\x0d\x0e\x0f", 82: b"\x01\x04eth0"},
)
CLASSES = {"ALL", "VENDOR_CLASS_Aastra6731i", "phones", "HA_server1"}
TESTS = [
    "substring(option[60].hex,0,6) == 'Aastra'",
    "not member('phones')",
    "member('phones') and member('HA_server1')",
    "relay4[1].hex == 'eth0'",
    "hexstring(pkt4.mac, ':') == '0a:0b:0c:0d:0e:0f'",
    "option[60].exists and (pkt4.msgtype == 1 or pkt4.msgtype == 3)",
]


def main() -> None:
    n = 200_000
    for text in TESTS:
        evaluate = compile_expression(text).evaluate
        best = min(timeit.repeat(partial(evaluate, PKT, CLASSES), number=n, repeat=5))
        print(f"{best / n * 1e6:6.3f} us  {text}")
    compile_time = min(timeit.repeat(lambda: compile_expression(TESTS[0]), number=2000, repeat=3)) / 2000
    print(f"{compile_time * 1e6:6.1f} us  compile_expression({TESTS[0]!r})")
    defs = [(f"c{i}", compile_expression(t)) for i, t in enumerate(TESTS[:3])]
    best = min(timeit.repeat(lambda: evaluate_classes(defs, PKT, CLASSES), number=n // 4, repeat=5))
    print(f"{best / (n // 4) * 1e6:6.3f} us  evaluate_classes() with the 3 manual tests")


if __name__ == "__main__":
    main()
