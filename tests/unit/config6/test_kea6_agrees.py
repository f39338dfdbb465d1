"""Cross-check with the real kea-dhcp6 2.2 (`kea-dhcp6 -t`): it accepts the sample configurations
hakea loads, refuses the configurations hakea refuses, and accepts those where hakea is stricter.

Marked e2e: each check starts Kea (about 0.1 s), so the ~130 runs go through a thread pool and
the whole module takes a few seconds. Skipped when Kea 2.2 and its hooks are not installed.
The key tables themselves were checked with kea_keys_probe.py (about two minutes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hakea.config.dhcp6 import load_dhcp6, load_dhcp6_file
from hakea.config.errors import ConfigError

from .test_dhcp6_errors import CASES, LIB

KEA = shutil.which("kea-dhcp6") or "/usr/sbin/kea-dhcp6"
CONFIGS = Path(__file__).resolve().parents[2] / "configs"
SAMPLES = sorted(CONFIGS.glob("dhcp6-*.json"))

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (os.access(KEA, os.X_OK) and os.path.exists(LIB + "libdhcp_ha.so")),
        reason="kea-dhcp6 2.2 and its hooks are not installed",
    ),
]

# What kea-dhcp6 needs to check a file without writing under /var/lib/kea.
KEA_BASE: dict[str, Any] = {
    "server-id": {"type": "LL", "htype": 1, "identifier": "020000000001", "persist": False},
    "lease-database": {"type": "memfile", "persist": False},
}


def kea_check(text: str) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "kea-dhcp6.json"
        conf.write_text(text)
        env = {**os.environ, "KEA_PIDFILE_DIR": tmp, "KEA_LOCKFILE_DIR": tmp}
        done = subprocess.run([KEA, "-t", str(conf)], capture_output=True, text=True, env=env, timeout=60)
        return done.returncode, done.stdout + done.stderr


def run_all(texts: dict[str, str]) -> dict[str, tuple[int, str]]:
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip(texts, pool.map(kea_check, texts.values()), strict=True))


def with_base(dhcp6: dict[str, Any]) -> str:
    return json.dumps({"Dhcp6": {**KEA_BASE, **dhcp6}})


def test_kea_refuses_what_hakea_refuses() -> None:
    results = run_all({c.name: with_base(c.dhcp6) for c in CASES if c.kea})
    accepted = [name for name, (rc, _) in results.items() if rc == 0]
    assert accepted == []
    assert len(results) >= 100


def test_kea_accepts_where_hakea_is_stricter() -> None:
    results = run_all({c.name: with_base(c.dhcp6) for c in CASES if not c.kea})
    assert {name: out[-300:] for name, (rc, out) in results.items() if rc != 0} == {}
    assert len(results) == 4


def test_kea_accepts_the_sample_configurations() -> None:
    # The samples name the hooks where the Kea ARM puts them; point them at Debian's copies.
    texts = {p.name: p.read_text().replace("/usr/lib/kea/hooks/", LIB) for p in SAMPLES}
    results = run_all(texts)
    assert {name: out[-300:] for name, (rc, out) in results.items() if rc != 0} == {}
    assert {p.name for p in SAMPLES} >= {
        "dhcp6-hot-standby.json",
        "dhcp6-load-balancing.json",
        "dhcp6-all-keys.json",
        "dhcp6-commented.json",
    }
    for p in SAMPLES:
        load_dhcp6_file(str(p))


def test_kea_and_hakea_hand_out_automatic_ids_in_the_same_order() -> None:
    # Shared networks' subnets are numbered first: X keeps its id 2, Y gets 1, then Z gets 2 and
    # collides. (Numbering "subnet6" first would make Y collide instead.) Kea names the line.
    text = "\n".join(
        [
            '{"Dhcp6": {"server-id": {"type": "LL", "identifier": "020000000001", "persist": false},',
            '"lease-database": {"type": "memfile", "persist": false},',
            '"shared-networks": [{"name": "n", "subnet6": [',
            '{"subnet": "2001:db8:1::/64", "id": 2},',
            '{"subnet": "2001:db8:2::/64"}]}],',
            '"subnet6": [',
            '{"subnet": "2001:db8:3::/64"}]}}',
        ]
    )
    with pytest.raises(ConfigError) as err:
        load_dhcp6(text)
    assert str(err.value) == (
        "Dhcp6/subnet6[0]: ID of the new IPv6 subnet '2' is already in use "
        "(by Dhcp6/shared-networks[0]/subnet6[0])"
    )
    rc, output = kea_check(text)
    assert rc != 0
    assert re.search(r"ID of the new IPv6 subnet '2' is already in use \(\S+:7:\d+\)", output), output
