"""Where `tobsctl doctor` finds tobsd's configuration and session file
without --config: where the shipped units point tobsd."""
from __future__ import annotations

import os
from pathlib import Path

from tobsctl import setupcheck
from tobsctl.setupcheck import candidates, config_checks


def test_the_units_places_in_search_order(tmp_path):
    env = {"XDG_CONFIG_HOME": "/c", "XDG_STATE_HOME": "/s", "USER": "ada"}
    assert candidates(None, env) == [(Path("/c/tobsd/tobsd.toml"), Path("/s/tobsd")),
                                     (Path("/etc/tobs/ada.toml"), Path("/var/lib/tobsd/ada"))]
    assert candidates("work", env) == [
        (Path("/c/tobsd/work.toml"), Path("/s/tobsd/work")),
        (Path("/etc/tobs/work.toml"), Path("/var/lib/tobsd/work"))]


def test_the_session_defaults_to_the_state_folder_of_the_unit(tmp_path, monkeypatch):
    monkeypatch.setattr(setupcheck, "SYSTEM_CONFIGS", tmp_path / "etc")
    monkeypatch.setattr(setupcheck, "SYSTEM_STATE", tmp_path / "lib")
    (tmp_path / "etc").mkdir()
    (tmp_path / "vault").mkdir()
    (tmp_path / "etc" / "ada.toml").write_text(f'[vault]\npath = "{tmp_path / "vault"}"\n')
    state = tmp_path / "lib" / "ada"
    state.mkdir(parents=True)
    session = state / "tobsd.session"
    session.write_bytes(b"")
    os.chmod(session, 0o640)
    found = []
    config_checks(None, None, lambda *c: found.append(c),
                  env={"XDG_CONFIG_HOME": str(tmp_path / "none"), "USER": "ada"})
    checks = {name: (ok, detail) for name, ok, detail in found}
    assert checks["config"] == (True, str(tmp_path / "etc" / "ada.toml"))
    assert checks["vault"][0]
    assert checks["session"] == (False, f"{session} mode 640; run chmod 600 {session}")
