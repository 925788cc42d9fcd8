"""`tobsd`: the TOBS daemon.

    tobsd --config tobsd.toml              run (the systemd unit does this)
    tobsd run --config tobsd.toml          the same
    tobsd login --config tobsd.toml        log in interactively, write the session file
    tobsd check-config --config tobsd.toml validate the configuration and exit
    tobsd unit-dropin --config tobsd.toml  print the systemd drop-in that lets the
                                           hardened unit write this configuration's vault
                                           (--unit tobsd@work.service, --system)
    tobsd --version                        the installed version

Exit status: 0 after a clean stop, 2 for a configuration error, 1 otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from importlib.metadata import PackageNotFoundError, version

from tobsd.core.config import load_config
from tobsd.core.errors import ConfigError, TobsError
from tobsd.core.logs import LIBRARIES_ENV, setup_logging

EXIT_CONFIG = 2
DISTRIBUTION = "tobs"


def installed_version() -> str:
    """The version of the installed `tobs` distribution (tobsctl reads the same)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed)"


def check_config(config) -> int:
    """What `run` would refuse (exit 2) or warn about, then a summary."""
    from tobsd.core.preflight import preflight
    found = preflight(config)
    for warning in found.warnings:
        print(f"tobsd: warning: {warning}", file=sys.stderr)
    if found.problems:
        print(f"tobsd: {ConfigError(str(config.source), found.problems)}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"{config.source}: ok, {len(config.chats)} chats"
          + (", plus [sync] all" if config.sync.all else "")
          + (f", {len(found.warnings)} warnings" if found.warnings else ""))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tobsd", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="run",
                        choices=["run", "login", "check-config", "unit-dropin"])
    parser.add_argument("--config", "-c", help="the TOML configuration file (required)")
    parser.add_argument("--log-level", help="override [daemon] log_level")
    parser.add_argument("--log-libraries", metavar="LEVEL",
                        help="log level of the libraries tobsd uses (default warning)")
    parser.add_argument("--unit", default=None,
                        help="unit-dropin: the unit it is for (default tobsd.service)")
    parser.add_argument("--system", action="store_true",
                        help="unit-dropin: for the system template (/etc/systemd/system)")
    parser.add_argument("--version", action="version", version=f"tobsd {installed_version()}")
    args = parser.parse_args(argv)
    if not args.config:
        parser.error("the following arguments are required: --config/-c")
    if args.command != "unit-dropin" and (args.unit or args.system):
        parser.error("--unit and --system belong to unit-dropin")
    if args.log_libraries:   # the vault writer process inherits it
        os.environ[LIBRARIES_ENV] = args.log_libraries
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"tobsd: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(args.log_level or config.daemon.log_level)
    try:
        if args.command == "check-config":
            return check_config(config)
        if args.command == "unit-dropin":
            from tobsd.unitdropin import render_dropin, running_executable
            unit = args.unit or ("tobsd@USER.service" if args.system else "tobsd.service")
            print(render_dropin(config, unit=unit, system=args.system,
                                executable=running_executable()), end="")
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
