"""`tobsctl`: the TOBS control tool (the gRPC client is still to come).

    tobsctl --version    the installed version (the same as `tobsd --version`)

Anything else says the client is not built yet and exits with status 2.
"""
from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version

EXIT_USAGE = 2


def installed_version() -> str:
    try:
        return version("tobs")
    except PackageNotFoundError:
        return "unknown (not installed)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tobsctl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tobsctl {installed_version()}")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.parse_args(argv)
    print("tobsctl: the control client is not built yet; read the state folder's status.json",
          file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
