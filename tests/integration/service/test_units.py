"""The shipped units pass `systemd-analyze verify` without a single warning,
score at most 2.0 in `systemd-analyze security --offline=yes`, share one
hardening block, and say what the daemon does (Type=notify, watchdog,
reload by SIGHUP, no restart after a configuration error, the api_hash by
LoadCredential, a folder of its own per profile or user)."""
from __future__ import annotations

import pytest

from tests.integration.service.units import (
    MAX_EXPOSURE, SHIPPED, UNITS, analyze, exposure, hardening_block, parse, staged_copy,
)


@pytest.mark.parametrize("rel, manager, instances", SHIPPED, ids=[s[0] for s in SHIPPED])
def test_verify_reports_nothing(rel, manager, instances, tmp_path):
    name = rel.rpartition("/")[2]
    for path in staged_copy(rel, tmp_path / "units", [name, *instances]):
        result = analyze(["verify", str(path)], manager, tmp_path)
        assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), (
            f"systemd-analyze verify {path.name}:\n{result.stdout}{result.stderr}")


@pytest.mark.parametrize("rel, manager, instances", SHIPPED, ids=[s[0] for s in SHIPPED])
def test_security_exposure_is_at_most_2(rel, manager, instances, tmp_path):
    name = rel.rpartition("/")[2]
    for path in staged_copy(rel, tmp_path / "units", [name, *instances]):
        result = analyze(["security", "--offline=yes", "--threshold=20", str(path)], manager, tmp_path)
        score = exposure(result.stdout)
        assert score <= MAX_EXPOSURE and result.returncode == 0, (
            f"{path.name} scores {score}:\n{result.stdout}{result.stderr}")


def test_a_weaker_unit_fails_the_security_check(tmp_path):
    """The check can fail: the plain unit without its hardening block scores far above 2.0."""
    (path,) = staged_copy("tobsd.service", tmp_path / "units", ["tobsd.service"])
    text = path.read_text()
    path.write_text(text.replace(hardening_block(UNITS / "tobsd.service"), ""))
    result = analyze(["security", "--offline=yes", "--threshold=20", str(path)], "user", tmp_path)
    assert exposure(result.stdout) > MAX_EXPOSURE and result.returncode != 0


def test_every_unit_has_the_same_hardening():
    blocks = {rel: hardening_block(UNITS / rel) for rel, _, _ in SHIPPED}
    assert len(set(blocks.values())) == 1, "the hardening blocks differ"
    service = parse(UNITS / "tobsd.service")["Service"]
    for key in ("ProtectSystem", "ProtectHome", "PrivateDevices", "MemoryDenyWriteExecute",
                "LockPersonality", "RestrictNamespaces", "NoNewPrivileges"):
        assert service[key] in (["yes"], ["strict"], ["read-only"]), key
    assert service["CapabilityBoundingSet"] == [""]
    assert service["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"]
    assert "@system-service" in service["SystemCallFilter"]


@pytest.mark.parametrize("rel, manager, instances", SHIPPED, ids=[s[0] for s in SHIPPED])
def test_the_units_match_the_daemon(rel, manager, instances):
    unit = parse(UNITS / rel)
    service = unit["Service"]
    assert service["Type"] == ["notify"] and service["NotifyAccess"] == ["main"]
    (exec_start,) = service["ExecStart"]
    assert exec_start.startswith("/usr/bin/tobsd run --config ")
    assert int(service["WatchdogSec"][0]) >= 10
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["RestartPreventExitStatus"] == ["2"] and service["Restart"] == ["on-failure"]
    (credential,) = service["LoadCredential"]
    assert credential.startswith("api_hash:")
    for key in ("StateDirectory", "RuntimeDirectory"):
        (folder,) = service[key]
        assert folder.startswith("tobsd")
        if "@" in rel:
            assert folder == "tobsd/%i" and "%i" in exec_start
    if manager == "system":
        # the socket's folder and the socket are the group tobs's: its members use tobsctl
        assert service["User"] == ["%i"] and service["Group"] == ["tobs"]
        assert service["RuntimeDirectoryMode"] == ["0750"]
        assert exec_start.endswith("/etc/tobs/%i.toml")
        assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    else:
        assert "User" not in service and unit["Install"]["WantedBy"] == ["default.target"]
        assert "Group" not in service and service["RuntimeDirectoryMode"] == ["0700"]
    assert service["UMask"] == ["0077"]
