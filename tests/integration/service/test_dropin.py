"""`tobsd unit-dropin` prints a drop-in that systemd-analyze accepts for the
shipped unit and that names the configured vault; `tobsd --version` and
`tobsctl --version` agree with the installed distribution."""
from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from tests.conditions import slack
from tests.integration.service.units import analyze, parse, staged_copy

CONFIG = """api_id = 1
api_hash = "0123456789abcdef0123456789abcdef"
[vault]
path = {vault!r}
"""


def run_tobsd(*args: str, argv0: str | None = None) -> subprocess.CompletedProcess:
    code = ("import sys; from tobsd.__main__ import main; "
            f"sys.argv[0] = {argv0!r} or sys.argv[0]; sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=slack(60))


def test_the_dropin_opens_the_vault_and_verifies(tmp_path):
    vault = tmp_path / "My Vault"
    vault.mkdir()
    config = tmp_path / "work.toml"
    config.write_text(CONFIG.format(vault=str(vault)))
    result = run_tobsd("unit-dropin", "--config", str(config), "--unit", "tobsd@work.service")
    assert result.returncode == 0, result.stderr
    assert "~/.config/systemd/user/tobsd@work.service.d/vault.conf" in result.stdout
    assert "ExecStart" not in result.stdout   # started as python -c: nothing to point at
    units = tmp_path / "units"
    (unit,) = staged_copy("tobsd@.service", units, ["tobsd@work.service"])
    (units / "tobsd@work.service.d").mkdir()
    dropin = units / "tobsd@work.service.d" / "vault.conf"
    dropin.write_text(result.stdout)
    assert parse(dropin)["Service"]["ReadWritePaths"] == [f'"{vault}"']
    check = analyze(["verify", unit.name], "user", tmp_path, unit_path=units)
    assert check.returncode == 0 and not check.stderr.strip(), check.stderr


def test_a_tobsd_outside_usr_bin_gets_its_execstart(tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    config = tmp_path / "alice.toml"
    config.write_text(CONFIG.format(vault=str(vault)))
    exe = Path(sys.executable).with_name("tobsd")
    result = run_tobsd("unit-dropin", "--system", "--unit", "tobsd@alice.service",
                       "--config", str(config), argv0=str(exe))
    assert result.returncode == 0, result.stderr
    service = parse_text(result.stdout, tmp_path)["Service"]
    assert service["ExecStart"] == ["", f"{exe} run --config {config}"]
    assert service["ReadWritePaths"] == [str(vault)]
    assert "/etc/systemd/system/tobsd@alice.service.d/vault.conf" in result.stdout
    units = tmp_path / "units"
    (unit,) = staged_copy("system/tobsd@.service", units, ["tobsd@alice.service"])
    (units / "tobsd@alice.service.d").mkdir()
    (units / "tobsd@alice.service.d" / "vault.conf").write_text(result.stdout)
    check = analyze(["verify", unit.name], "system", tmp_path, unit_path=units)
    assert check.returncode == 0 and not check.stderr.strip(), check.stderr


def parse_text(text: str, tmp_path: Path) -> dict:
    path = tmp_path / "dropin.conf"
    path.write_text(text)
    return parse(path)


def test_tobsd_and_tobsctl_print_the_installed_version():
    expected = version("tobs")
    bindir = Path(sys.executable).parent
    outputs = [subprocess.run([str(bindir / name), "--version"], capture_output=True, text=True,
                              timeout=slack(60)) for name in ("tobsd", "tobsctl")]
    assert [o.returncode for o in outputs] == [0, 0]
    assert [o.stdout.strip() for o in outputs] == [f"tobsd {expected}", f"tobsctl {expected}"]
