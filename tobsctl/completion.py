"""Shell completion for tobsctl, by argcomplete: `tobsctl completion SHELL`
prints the script a shell loads; on each Tab the shell runs tobsctl with
argcomplete's environment set, and `complete(parser)` answers from the
parser (verbs, options) and from the daemon (the tracked chats' names).

Asking the daemon is best effort: when its socket is missing, not ours or
slow, a chat argument simply completes nothing."""
from __future__ import annotations

import os

SHELLS = ("bash", "zsh", "fish")
ASK_TIMEOUT_S = 5.0       # bounds a Tab against a stuck daemon; an answering one takes milliseconds


def script(shell: str, prog: str = "tobsctl") -> str:
    """The completion script for `shell` (one of SHELLS)."""
    import argcomplete
    return argcomplete.shellcode([prog], shell=shell)


def chat_names(prefix: str, parsed_args, **_) -> list[str]:
    """Completer of a tracked chat's name: each chat's title, its @username
    and its id, from the daemon that --socket / --profile / TOBS_SOCKET name."""
    from tobs.v1 import pb
    from tobsctl.client import Client, Failure, check_profile, default_socket
    try:
        path = getattr(parsed_args, "socket", None)
        if not path:
            profile = getattr(parsed_args, "profile", None)
            path = default_socket(profile=check_profile(profile) if profile else None)
        client = Client.connect(path, check_version=False)
    except (Failure, OSError, ValueError):
        return []
    try:
        chats = client.stub.ListChats(pb.ListChatsRequest(), timeout=ASK_TIMEOUT_S).chats
    except Exception:          # noqa: BLE001  (any failure: nothing to offer)
        return []
    finally:
        client.close()
    names: list[str] = []
    for chat in chats:
        names += [chat.title, str(chat.id)] + ([f"@{chat.username}"] if chat.username else [])
    return [n for n in names if n.startswith(prefix)]


def profile_names(prefix: str, **_) -> list[str]:
    """Completer of --profile: the instances whose socket is there now
    ($XDG_RUNTIME_DIR/tobsd/NAME/ for the user template, /run/tobsd/NAME/
    for the system template)."""
    from pathlib import Path
    folders = [Path("/run/tobsd")]
    if os.environ.get("XDG_RUNTIME_DIR"):
        folders.insert(0, Path(os.environ["XDG_RUNTIME_DIR"]) / "tobsd")
    names: set[str] = set()
    for folder in folders:
        try:
            names.update(p.parent.name for p in folder.glob("*/tobsd.sock"))
        except OSError:
            pass          # a folder this user may not read
    return sorted(n for n in names if n.startswith(prefix))


def complete(parser) -> None:
    """Answer a completion request and exit, when the shell asked for one."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    import argcomplete
    argcomplete.autocomplete(parser)
