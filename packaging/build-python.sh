#!/bin/sh
# Builds the Python distribution of TOBS: an sdist, then a wheel built from
# that sdist (so a file the sdist forgets breaks the wheel too).
#
#   packaging/build-python.sh [OUTDIR]        (default: dist/)
#
# PYTHON (default python3) needs the `build` package (the test extra has it).
# BUILD_ARGS passes options to it: the tests use --no-isolation to build with
# the setuptools already installed instead of fetching one.
set -eu
cd "$(dirname "$0")/.."
"${PYTHON:-python3}" -m build --outdir "${1:-dist}" ${BUILD_ARGS:-} .
