"""Where tobsctl looks for tobsd's socket: --profile, TOBS_SOCKET, the user
service's runtime folder, the system template's folder."""
from __future__ import annotations

import pytest

from tobsctl.client import Failure, check_profile, default_socket


def test_tobs_socket_wins_unless_a_profile_is_asked_for(tmp_path):
    env = {"TOBS_SOCKET": "/somewhere/t.sock", "XDG_RUNTIME_DIR": str(tmp_path), "USER": "ada"}
    assert str(default_socket(env)) == "/somewhere/t.sock"
    assert default_socket(env, "work", run_root=tmp_path / "run") == tmp_path / "tobsd/work/tobsd.sock"


def test_the_user_service_first_then_the_system_instance_that_exists(tmp_path):
    run = tmp_path / "run"
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "xdg"), "USER": "ada"}
    # Nothing exists: the user service's path (what the error message names).
    assert default_socket(env, run_root=run) == tmp_path / "xdg/tobsd/tobsd.sock"
    (run / "ada").mkdir(parents=True)
    (run / "ada" / "tobsd.sock").touch()
    assert default_socket(env, run_root=run) == run / "ada/tobsd.sock"
    assert default_socket(env, "work", run_root=run) == tmp_path / "xdg/tobsd/work/tobsd.sock"
    (run / "work").mkdir()
    (run / "work" / "tobsd.sock").touch()
    assert default_socket(env, "work", run_root=run) == run / "work/tobsd.sock"
    # No runtime folder (a login without systemd --user): the system instance.
    assert default_socket({"USER": "ada"}, run_root=run) == run / "ada/tobsd.sock"


@pytest.mark.parametrize("name", ["work", "alice", "a.b-c_d@e"])
def test_instance_names_are_profiles(name):
    assert check_profile(name) == name


@pytest.mark.parametrize("name", ["", "../work", ".hidden", "a/b", "a b"])
def test_names_that_are_not_one_folder_are_refused(name):
    with pytest.raises(Failure):
        check_profile(name)
