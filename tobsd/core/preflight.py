"""What `tobsd run` would refuse or warn about in a valid configuration,
found without starting anything (for `tobsd check-config` and for `run`
itself, so both say the same).

`load_config` checks the file; this checks the machine it points at: the
vault folder exists, the state folder can be made, the api_hash file and
the state are not readable by others, and which keys do nothing yet. No
message quotes a secret: only paths and modes.
"""
from __future__ import annotations

import grp
import os
from dataclasses import dataclass, field
from pathlib import Path

from tobsd.core.config import Config
from tobsd.core.files import PRIVATE_DIR, PRIVATE_FILE, mode_of, wider_than


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)   # `run` refuses to start
    warnings: list[str] = field(default_factory=list)   # `run` starts, and says so


def preflight(config: Config) -> Findings:
    found = Findings()
    group = config.daemon.socket_group
    if group is not None:
        try:
            grp.getgrnam(group)
        except KeyError:
            found.warnings.append(f"daemon.socket_group: no group {group!r} on this system; "
                                  "only tobsd's own user can use the control socket")
    vault = config.vault.path
    if not vault.is_dir():
        found.problems.append(f"vault.path: {vault} is not a folder"
                              + ("" if vault.exists() else " (it does not exist)"))
    else:
        root = vault / config.vault.root
        # The writer never writes through a link (it could lead out of the vault).
        if root.is_symlink() or (root.exists() and not root.is_dir()):
            found.problems.append(f"vault.root: {root} is not a real folder inside the vault")
    _check_state_dir(config.daemon.state_dir, found)
    session_dir = _session_path(config.session).parent
    if session_dir != config.daemon.state_dir:
        _check_folder("session", session_dir, found)
    if config.api_hash_file is not None:
        mode = mode_of(config.api_hash_file)
        if mode is not None and mode & 0o077:
            found.warnings.append(
                f"api_hash_file: {config.api_hash_file} is accessible by other users "
                f"(mode {mode:04o}); make it private: chmod 600 {config.api_hash_file}")
    session = _session_path(config.session)
    mode = mode_of(session)
    if wider_than(mode, PRIVATE_FILE):
        found.warnings.append(f"session: {session} is readable by others (mode {mode:04o}); "
                              "tobsd sets it to 0600 when it starts")
    return found


def _check_folder(key: str, folder: Path, found: Findings) -> None:
    """`folder` is a writable folder, or can be made."""
    if folder.exists():
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            found.problems.append(f"{key}: {folder} is not a writable folder")
        return
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        found.problems.append(f"{key}: {folder} cannot be created "
                              f"({parent} is not a writable folder)")


def _check_state_dir(state_dir: Path, found: Findings) -> None:
    if state_dir.exists():
        if not state_dir.is_dir():
            found.problems.append(f"daemon.state_dir: {state_dir} is not a folder")
            return
        mode = mode_of(state_dir)
        if wider_than(mode, PRIVATE_DIR):
            found.warnings.append(f"daemon.state_dir: {state_dir} is readable by others "
                                  f"(mode {mode:04o}); tobsd sets it to 0700 when it starts")
    _check_folder("daemon.state_dir", state_dir, found)


def _session_path(path: Path) -> Path:
    # Telethon's SQLiteSession adds ".session" when the name lacks it.
    return path if path.name.endswith(".session") else path.with_name(path.name + ".session")
