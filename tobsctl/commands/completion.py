"""tobsctl completion bash|zsh|fish: print the shell completion script.

Completes verbs, options and (asking the running tobsd) the names of the
tracked chats. The packages install the scripts; by hand:

    bash:  tobsctl completion bash > ~/.local/share/bash-completion/completions/tobsctl
    zsh:   tobsctl completion zsh > ~/.zfunc/_tobsctl     (a folder on your $fpath)
    fish:  tobsctl completion fish > ~/.config/fish/completions/tobsctl.fish
"""
from __future__ import annotations

import sys

from tobsctl.completion import SHELLS, script

NAME = "completion"
HELP = "print the shell completion script (bash, zsh or fish)"


def add_arguments(p) -> None:
    p.add_argument("shell", choices=SHELLS)


def run(ctx) -> int:
    text = script(ctx.args.shell)
    if ctx.out.json:
        ctx.out.document({"shell": ctx.args.shell, "script": text})
    else:
        sys.stdout.write(text)
    return 0
