"""The drop-in text: paths quoted and %-escaped as unit files need them, an
ExecStart= override only for a tobsd outside /usr/bin."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from tobsd.core.config_processing import ProcessingConfig
from tobsd.unitdropin import quote_path, render_dropin, running_executable


def config(vault: str, source: str = "/home/me/.config/tobsd/tobsd.toml"):
    return SimpleNamespace(vault=SimpleNamespace(path=Path(vault)), source=Path(source),
                           processing=ProcessingConfig())


def test_paths_are_quoted_and_specifiers_escaped():
    assert quote_path(Path("/home/me/Vault")) == "/home/me/Vault"
    assert quote_path(Path("/home/me/My Vault")) == '"/home/me/My Vault"'
    assert quote_path(Path("/home/me/100%")) == "/home/me/100%%"
    assert quote_path(Path('/v/a"b')) == '"/v/a\\"b"'


def test_the_packaged_tobsd_needs_no_execstart():
    text = render_dropin(config("/srv/vault"), executable=Path("/usr/bin/tobsd"))
    assert text.splitlines()[2:] == ["[Service]", "ReadWritePaths=/srv/vault"]


def test_a_pipx_tobsd_gets_an_execstart():
    text = render_dropin(config("/srv/vault"), unit="tobsd@alice.service", system=True,
                         executable=Path("/home/me/.local/bin/tobsd"))
    assert "/etc/systemd/system/tobsd@alice.service.d/vault.conf" in text
    assert text.splitlines()[-2:] == [
        "ExecStart=", "ExecStart=/home/me/.local/bin/tobsd run --config /home/me/.config/tobsd/tobsd.toml"]


def test_only_a_tobsd_console_script_counts_as_the_executable():
    assert running_executable("/home/me/.local/bin/tobsd") == Path("/home/me/.local/bin/tobsd")
    assert running_executable("/x/tobsd/__main__.py") is None
    assert running_executable("-c") is None
