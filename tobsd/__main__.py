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
import logging
import os
import sys

from tobsd.core.config import load_config
from tobsd.core.errors import ConfigError, TobsError

EXIT_CONFIG = 2


def _logging(level: str) -> None:
    # Under systemd the journal adds its own timestamps.
    fmt = "%(levelname)s %(name)s: %(message)s" if os.environ.get("JOURNAL_STREAM") \
        else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format=fmt)
    # Telethon logs connection details at INFO; keep the daemon's log readable.
    logging.getLogger("telethon").setLevel(max(logging.WARNING, logging.getLogger().level))


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
    _logging(args.log_level or config.daemon.log_level)
    try:
        if args.command == "check-config":
            print(f"{config.source}: ok, {len(config.chats)} chats"
                  + (", plus [sync] all" if config.sync.all else ""))
            return 0
        if args.command == "login":
            from tobsd.telegram.login import interactive_login
            asyncio.run(interactive_login(config))
            return 0
        from tobsd.app import Daemon
        return asyncio.run(Daemon(config).run())
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
