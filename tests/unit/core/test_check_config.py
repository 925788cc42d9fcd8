"""`tobsd check-config`: it refuses what `tobsd run` would refuse, warns
about what run would accept but should not (an api_hash file others can
read, a state folder readable by others, keys that do nothing yet) and never
echoes a value that may be a secret."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tobsd.__main__ import main

HASH = "0123456789abcdef0123456789abcdef"


def config_file(tmp_path: Path, body: str = "", *, head: str = "", vault: bool = True) -> Path:
    if vault:
        (tmp_path / "vault").mkdir(exist_ok=True)
    head = head or f'api_hash = "{HASH}"'
    text = (f'api_id = 1\n{head}\n'
            f'[vault]\npath = "vault"\n[daemon]\nstate_dir = "state"\n{body}\n')
    path = tmp_path / "tobsd.toml"
    path.write_text(text)
    return path


def check(path: Path, capsys) -> tuple[int, str, str]:
    code = main(["check-config", "--config", str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(autouse=True)
def no_systemd_dirs(monkeypatch):
    for name in ("CREDENTIALS_DIRECTORY", "STATE_DIRECTORY", "RUNTIME_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def logging_levels_restored():
    """main() sets up logging; the tests after these keep their levels."""
    loggers = [logging.getLogger(), logging.getLogger("tobsd")]
    levels = [lg.level for lg in loggers]
    yield
    for lg, level in zip(loggers, levels):
        lg.setLevel(level)


def test_a_clean_config_is_ok_without_warnings(tmp_path, capsys):
    code, out, err = check(config_file(tmp_path), capsys)
    assert code == 0 and "ok, 0 chats" in out and err == ""


def test_a_missing_vault_folder_is_refused_as_run_refuses_it(tmp_path, capsys):
    code, out, err = check(config_file(tmp_path, vault=False), capsys)
    assert code == 2
    assert "vault.path" in err and "does not exist" in err and out == ""


def test_an_api_hash_file_others_can_read_gets_a_warning(tmp_path, capsys):
    secret = tmp_path / "api_hash"
    secret.write_text(HASH)
    os.chmod(secret, 0o644)
    path = config_file(tmp_path, head='api_hash_file = "api_hash"')
    code, out, err = check(path, capsys)
    assert code == 0 and "1 warnings" in out
    assert "api_hash_file" in err and "0644" in err and "chmod 600" in err
    assert HASH not in out + err
    os.chmod(secret, 0o600)
    code, out, err = check(path, capsys)
    assert code == 0 and err == ""


def test_an_api_hash_typed_into_api_id_is_never_echoed(tmp_path, capsys):
    path = tmp_path / "tobsd.toml"
    (tmp_path / "vault").mkdir()
    path.write_text(f'api_id = "{HASH}"\napi_hash = "{HASH}"\n[vault]\npath = "vault"\n')
    code, out, err = check(path, capsys)
    assert code == 2 and "api_id: expected an integer, got a string" in err
    assert HASH not in out + err and HASH[:8] not in out + err
    number = str(int(HASH[:15], 16))
    path.write_text(f'api_id = -{number}\napi_hash = "x"\n[vault]\npath = "vault"\n')
    code, out, err = check(path, capsys)
    assert code == 2 and "api_id: expected an integer at least 1" in err
    assert number not in out + err


def test_the_media_keys_are_active_without_warnings(tmp_path, capsys):
    body = ('[sync]\nmedia = false\n[limits]\nconnections_per_dc = 2\nmedia_downloads = 3\n'
            '[media]\nkinds = ["photo", "voice"]\nmax_size_mb = 10\ndisk_budget_mb = 100\n'
            'shared_folder = "Attachments"\n'
            '[[chats]]\nchat = "@news"\nmedia = true\nmedia_kinds = ["video"]\nmedia_max_size_mb = 5\n')
    code, out, err = check(config_file(tmp_path, body), capsys)
    assert code == 0 and "warning" not in out + err


def test_bad_media_keys_are_named(tmp_path, capsys):
    body = '[media]\nkinds = ["photos"]\nshared_folder = "../x"\n'
    code, out, err = check(config_file(tmp_path, body), capsys)
    assert code == 2
    assert 'media.kinds[0]: expected one of' in err and 'did you mean "photo"' in err
    assert "media.shared_folder: must be one folder name" in err


def test_a_state_folder_readable_by_others_gets_a_warning(tmp_path, capsys):
    (tmp_path / "state").mkdir(mode=0o755)
    os.chmod(tmp_path / "state", 0o755)
    code, out, err = check(config_file(tmp_path), capsys)
    assert code == 0 and "daemon.state_dir" in err and "0755" in err


def test_a_state_folder_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "state").write_text("")
    code, out, err = check(config_file(tmp_path), capsys)
    assert code == 2 and "daemon.state_dir" in err and "not a folder" in err



def test_a_vault_root_that_is_a_link_is_refused(tmp_path, capsys):
    path = config_file(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "vault" / "Telegram").symlink_to(tmp_path / "elsewhere")
    code, out, err = check(path, capsys)
    assert code == 2 and "vault.root" in err and "not a real folder" in err


def test_a_session_folder_that_cannot_be_made_is_refused(tmp_path, capsys):
    (tmp_path / "blocker").write_text("a file, not a folder")
    path = config_file(tmp_path, head=f'api_hash = "{HASH}"\nsession = "blocker/s/tobsd.session"')
    code, out, err = check(path, capsys)
    assert code == 2 and "session:" in err and "cannot be created" in err
