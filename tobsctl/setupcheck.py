"""What `tobsctl doctor` checks in tobsd's configuration file, read here
with tomllib (tobsctl never imports tobsd): the vault folder is writable
and the session file is mode 0600.

Which file: --config, else the first that exists of the places the shipped
units read: $XDG_CONFIG_HOME/tobsd/tobsd.toml (the user unit;
PROFILE.toml for the instance tobsd@PROFILE), then /etc/tobs/NAME.toml
(the system template's instance NAME: the profile, else this user). The
session file: `session`, else tobsd.session in `[daemon] state_dir`, else
in the folder the unit that reads this file gives tobsd
($XDG_STATE_HOME/tobsd[/PROFILE] or /var/lib/tobsd/NAME)."""
from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Callable, Mapping

SYSTEM_CONFIGS = Path("/etc/tobs")
SYSTEM_STATE = Path("/var/lib/tobsd")
Check = Callable[[str, bool, str], None]


def _home(env: Mapping[str, str], var: str, fallback: str) -> Path:
    return Path(env.get(var) or Path.home() / fallback)


def candidates(profile: str | None, env: Mapping[str, str] = os.environ) -> list[tuple[Path, Path]]:
    """(configuration file, the state folder the unit reading it gives tobsd), in search order."""
    user_state = _home(env, "XDG_STATE_HOME", ".local/state") / "tobsd"
    found = [(_home(env, "XDG_CONFIG_HOME", ".config") / "tobsd" / f"{profile or 'tobsd'}.toml",
              user_state / profile if profile else user_state)]
    name = profile or env.get("USER") or env.get("LOGNAME")
    if name:
        found.append((SYSTEM_CONFIGS / f"{name}.toml", SYSTEM_STATE / name))
    return found


def config_checks(given: str | None, profile: str | None, check: Check,
                  env: Mapping[str, str] = os.environ) -> None:
    """Add the vault and session checks of tobsd's configuration file."""
    if given:
        path, state = Path(given), None
    else:
        places = candidates(profile, env)
        path, state = next(((c, s) for c, s in places if c.is_file()), (None, None))
        if path is None:
            check("config", False, "no configuration file at " + ", ".join(str(c) for c, _ in places)
                  + "; pass --config FILE to check the vault and the session file")
            return
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        check("config", False, f"{path}: {exc}")
        return
    check("config", True, str(path))
    base = path.resolve().parent

    def resolve(value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else base / p
    vault = data.get("vault", {}).get("path")
    if isinstance(vault, str) and vault:
        folder = resolve(vault)
        writable = folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
        check("vault", writable, f"{folder} is writable" if writable else
              f"{folder} is not a folder this user may write")
    else:
        check("vault", False, f"{path}: [vault] path is not set")
    session = data.get("session")
    state_dir = data.get("daemon", {}).get("state_dir")
    if isinstance(session, str) and session:
        file = resolve(session)
    elif isinstance(state_dir, str) and state_dir:
        file = resolve(state_dir) / "tobsd.session"
    elif state is not None:
        file = state / "tobsd.session"
    else:
        file = _home(env, "XDG_STATE_HOME", ".local/state") / "tobsd" / "tobsd.session"
    try:
        mode = stat.S_IMODE(file.stat().st_mode)
    except FileNotFoundError:
        check("session", False, f"{file} does not exist; log in with `tobsctl login` "
                                "(or `tobsd login` without a daemon)")
        return
    except PermissionError:
        check("session", False, f"{file} cannot be examined by this user (its folder is private "
                                "to tobsd's user); run doctor as that user")
        return
    check("session", mode == 0o600, f"{file} mode {mode:o}" + ("" if mode == 0o600 else
                                                              f"; run chmod 600 {file}"))
