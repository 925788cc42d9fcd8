"""tobsctl: control a running tobsd over its socket.

    tobsctl status [--watch]         the daemon's and every chat's state
    tobsctl chats                    tracked chats and where each comes from
    tobsctl add CHAT [--since DATE]  track a chat (kept across restarts)
    tobsctl rm CHAT [--delete-notes] stop tracking a chat added with tobsctl
    tobsctl pause CHAT / resume CHAT
    tobsctl sync [CHAT]              reconcile now
    tobsctl resync CHAT              compare the whole history with Telegram
    tobsctl events [--follow]        chat states, progress, reloads, log lines
    tobsctl reload                   read the configuration file again
    tobsctl login                    log a waiting tobsd (needs-login) in to Telegram
    tobsctl doctor                   check socket, versions, vault, session, ffmpeg
    tobsctl completion SHELL         print the bash, zsh or fish completion script

Global options, before or after the command: --json (one JSON document on
stdout, nothing else; one per line for --watch/--follow), --socket PATH
(default $TOBS_SOCKET, else $XDG_RUNTIME_DIR/tobsd/tobsd.sock, else
/run/tobsd/$USER/tobsd.sock), --profile NAME (the tobsd@NAME instance:
$XDG_RUNTIME_DIR/tobsd/NAME/tobsd.sock, else /run/tobsd/NAME/tobsd.sock).
tobsctl checks the daemon's API version first.

Exit status: 0 ok, 1 internal error, 2 usage, 3 tobsd unreachable,
4 permission denied, 5 not found, 6 invalid argument, 7 version mismatch,
8 refused (conflicts with the configuration file or tobsd's state),
9 doctor found a problem.
"""
from __future__ import annotations

import argparse
import sys
from importlib import metadata

from tobsctl import exits
from tobsctl.client import Failure
from tobsctl.commands import (add, chats, completion, doctor, events, login, pause, reload,
                              resume, resync, rm, status, sync)
from tobsctl.completion import complete, profile_names
from tobsctl.context import Context
from tobsctl.output import Output

COMMANDS = [status, chats, add, rm, pause, resume, sync, resync, events, reload, login, doctor,
            completion]


def version() -> str:
    try:
        return metadata.version("tobs")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _globals(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="print one JSON document on stdout and nothing else")
    parser.add_argument("--socket", metavar="PATH", default=default,
                        help="tobsd's control socket (default: $TOBS_SOCKET, else "
                             "$XDG_RUNTIME_DIR/tobsd/tobsd.sock, else /run/tobsd/$USER/tobsd.sock)")
    parser.add_argument("--profile", metavar="NAME", default=default,
                        help="the tobsd@NAME instance: $XDG_RUNTIME_DIR/tobsd/NAME/tobsd.sock "
                             "(user template), else /run/tobsd/NAME/tobsd.sock (system template)"
                        ).completer = profile_names  # type: ignore[attr-defined]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tobsctl", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"tobsctl {version()}")
    _globals(p, suppress=False)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        cp = sub.add_parser(module.NAME, help=module.HELP, description=module.__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        _globals(cp, suppress=True)     # the same options after the command
        module.add_arguments(cp)
        cp.set_defaults(run=module.run)
    return p


def main(argv=None) -> int:
    p = parser()
    complete(p)           # a shell asking for completions: answered, then exits
    args = p.parse_args(argv)
    if not getattr(args, "command", None):
        p.print_help(sys.stderr)
        return exits.USAGE
    out = Output(args.json)
    ctx = Context(args, out)
    try:
        return args.run(ctx)
    except Failure as exc:
        out.error(str(exc), exc.exit_code, exc.code)
        return exc.exit_code
    except KeyboardInterrupt:
        return exits.OK
    except BrokenPipeError:
        return exits.OK
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
