"""The sysusers.d and tmpfiles.d snippets, applied by the real systemd tools
to a throwaway root: a group tobs, and /run/tobsd open to root and tobs only."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest

from tests.conditions import slack
from tests.daemonkit import ROOT


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: run `make system-deps` (Debian package systemd)")
    return path


def test_sysusers_then_tmpfiles_make_the_socket_parent(tmp_path):
    """As root, or under fakeroot (then the owner is read inside its session)."""
    (tmp_path / "etc").mkdir()
    sysusers = ROOT / "systemd/sysusers.d/tobs.conf"
    tmpfiles = ROOT / "systemd/tmpfiles.d/tobs.conf"
    prefix = []
    if os.geteuid() != 0:
        if shutil.which("fakeroot") is None:
            pytest.skip("not root and no fakeroot (`make system-deps` installs it)")
        prefix = ["fakeroot"]
    script = ('"$1" --root="$3" "$4" && "$2" --root="$3" --create "$5" && '
              'stat -c "%f %u %g" "$3/run/tobsd"')
    result = subprocess.run([*prefix, "sh", "-c", script, "sh", tool("systemd-sysusers"),
                             tool("systemd-tmpfiles"), str(tmp_path), str(sysusers), str(tmpfiles)],
                            capture_output=True, text=True, timeout=slack(60))
    assert result.returncode == 0, result.stderr
    assert "Creating group 'tobs'" in result.stderr
    groups = dict(line.split(":")[0:3:2] for line in (tmp_path / "etc/group").read_text().splitlines())
    mode, uid, gid = result.stdout.split()
    mode = int(mode, 16)
    assert stat.S_ISDIR(mode) and stat.S_IMODE(mode) == 0o750
    assert int(uid) == 0 and int(gid) == int(groups["tobs"])
