"""`tobsd`: the TOBS daemon.

    tobsd --config tobsd.toml              run (the systemd unit does this)
    tobsd run --config tobsd.toml          the same
    tobsd login --config tobsd.toml        log in interactively, write the session file
    tobsd check-config --config tobsd.toml validate the configuration and exit

Exit status: 0 after a clean stop, 2 for a configuration error, 1 otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import sys

from tobsd.core.config import load_config
from tobsd.core.errors import ConfigError, TobsError
from tobsd.logs import setup_logging

EXIT_CONFIG = 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tobsd", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "login", "check-config"])
    parser.add_argument("--config", "-c", required=True, help="the TOML configuration file")
    parser.add_argument("--log-level", help="override [daemon] log_level")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"tobsd: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(args.log_level or config.daemon.log_level)
    try:
        if args.command == "check-config":
            print(f"{config.source}: ok, {len(config.chats)} chats"
                  + (", plus [sync] all" if config.sync.all else ""))
            return 0
        if args.command == "login":
            from tobsd.telegram.login import interactive_login
            asyncio.run(interactive_login(config))
            return 0
        # The vault writer's interpreter starts now, on the other core,
        # while this one imports Telethon and the rest of the daemon.
        from tobsd.vault.remote import SpawnedWriter
        writer = SpawnedWriter()
        try:
            from tobsd.app import Daemon
            return asyncio.run(Daemon(config, writer_process=writer).run())
        finally:
            writer.discard()
    except ConfigError as exc:
        print(f"tobsd: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except TobsError as exc:
        print(f"tobsd: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
