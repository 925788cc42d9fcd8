"""The shipped systemd units, for the tests: where they are, how they parse,
and `systemd-analyze` run on copies of them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conditions import slack
from tests.daemonkit import ROOT

UNITS = ROOT / "systemd"
#: (path relative to systemd/, manager, instance names to check besides the unit itself)
SHIPPED = [
    ("tobsd.service", "user", []),
    ("tobsd@.service", "user", ["tobsd@work.service"]),
    ("system/tobsd@.service", "system", ["tobsd@alice.service"]),
]
PACKAGED_TOBSD = "/usr/bin/tobsd"
MAX_EXPOSURE = 2.0
HARDENING_MARK = "# --- Hardening"


def systemd_analyze() -> str:
    """The systemd-analyze binary; `make system-deps` installs it on Debian."""
    path = shutil.which("systemd-analyze")
    if path is None:
        if sys.platform != "linux":
            pytest.skip("systemd-analyze exists only on Linux")
        pytest.fail("systemd-analyze is missing: run `make system-deps` (Debian package systemd)")
    return path


def parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """section -> key -> every value (systemd allows a key many times)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current.setdefault(key, []).append(value)
    return sections


def hardening_block(path: Path) -> str:
    text = path.read_text()
    return text[text.index(HARDENING_MARK):text.index("[Install]")]


def staged_copy(rel: str, dest: Path, names: list[str]) -> list[Path]:
    """Copies of the unit under `names` in dest, with ExecStart's /usr/bin/tobsd
    pointed at this environment's tobsd (systemd-analyze verify checks that the
    program exists; everything else is the shipped text)."""
    tobsd = Path(sys.executable).with_name("tobsd")
    assert tobsd.exists(), "the project is not installed in this environment (make venv)"
    text = (UNITS / rel).read_text()
    assert text.count(PACKAGED_TOBSD) == 1
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        (dest / name).write_text(text.replace(PACKAGED_TOBSD, str(tobsd)))
        out.append(dest / name)
    return out


def analyze(args: list[str], manager: str, tmp: Path, unit_path: Path | None = None):
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp / "xdg-runtime"), "SYSTEMD_LOG_COLOR": "0",
           "SYSTEMD_PAGER": "cat", "LC_ALL": "C.UTF-8"}
    (tmp / "xdg-runtime").mkdir(exist_ok=True, mode=0o700)
    if unit_path is not None:
        env["SYSTEMD_UNIT_PATH"] = f"{unit_path}:"
    flags = ["--user"] if manager == "user" else []
    return subprocess.run([systemd_analyze(), *args[:1], *flags, *args[1:]], env=env,
                          capture_output=True, text=True, timeout=slack(120))


def exposure(output: str) -> float:
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", output)
    assert match, output
    return float(match.group(1))
