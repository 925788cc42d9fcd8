"""The sysusers.d and tmpfiles.d snippets, applied by the real systemd tools
to a throwaway root: a group tobs, and /run/tobsd open to root and tobs only."""
from __future__ import annotations

import shutil
import stat
import subprocess

import pytest

from tests.daemonkit import ROOT


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: run `make system-deps` (Debian package systemd)")
    return path


def test_sysusers_then_tmpfiles_make_the_socket_parent(tmp_path):
    (tmp_path / "etc").mkdir()
    sysusers = ROOT / "systemd/sysusers.d/tobs.conf"
    tmpfiles = ROOT / "systemd/tmpfiles.d/tobs.conf"
    subprocess.run([tool("systemd-sysusers"), f"--root={tmp_path}", str(sysusers)], check=True,
                   capture_output=True, timeout=60)
    groups = dict(line.split(":")[0:3:2] for line in (tmp_path / "etc/group").read_text().splitlines())
    assert "tobs" in groups
    result = subprocess.run([tool("systemd-tmpfiles"), f"--root={tmp_path}", "--create", str(tmpfiles)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    info = (tmp_path / "run/tobsd").stat()
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o750
    assert info.st_uid == 0 and info.st_gid == int(groups["tobs"])
