"""Build the packages once per test session: the sdist and wheel with
packaging/build-python.sh, the dependencies as wheels (from PyPI or pip's
cache), and the Debian package with packaging/build-deb.sh."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.daemonkit import ROOT

#: The Debian Python a .deb is built for (the package depends on it).
DEBIAN_PYTHON = Path("/usr/bin/python3")


def project_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


def run(cmd, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)
    assert result.returncode == 0, f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """The sdist and the wheel, built (offline, with the installed setuptools)."""
    out = tmp_path_factory.mktemp("dist")
    run([str(ROOT / "packaging" / "build-python.sh"), str(out)],
        env={**os.environ, "PYTHON": sys.executable, "BUILD_ARGS": "--no-isolation"})
    return out


@pytest.fixture(scope="session")
def wheel(dist) -> Path:
    (path,) = dist.glob("tobs-*.whl")
    return path


@pytest.fixture(scope="session")
def wheelhouse(wheel, tmp_path_factory) -> Path:
    """tobs's dependencies as wheels, so the installs below need no index."""
    out = tmp_path_factory.mktemp("wheelhouse")
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
         "--wheel-dir", str(out), str(wheel)])
    for own in out.glob("tobs-*.whl"):
        own.unlink()
    return out


@pytest.fixture(scope="session")
def debian_tools():
    missing = [tool for tool in ("dpkg-deb", "dpkg") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"not a Debian system: {', '.join(missing)} missing")
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        pytest.fail(f"{DEBIAN_PYTHON} is missing: the package is built for Debian's python3")


@pytest.fixture(scope="session")
def deb_factory(debian_tools, wheel, wheelhouse, tmp_path_factory):
    built: dict[str, Path] = {}

    def build(revision: str = "1") -> Path:
        if revision not in built:
            out = tmp_path_factory.mktemp(f"deb-{revision}")
            result = run([str(ROOT / "packaging" / "build-deb.sh"), str(wheel), str(out)],
                         env={**os.environ, "PYTHON": str(DEBIAN_PYTHON), "FIND_LINKS": str(wheelhouse),
                              "PIP": f"{sys.executable} -m pip", "DEB_REVISION": revision,
                              "DEB_COMPRESSION": "-Zgzip -z1"})
            built[revision] = Path(result.stdout.strip().splitlines()[-1])
        return built[revision]
    return build


@pytest.fixture(scope="session")
def deb(deb_factory) -> Path:
    return deb_factory("1")


@pytest.fixture(scope="session")
def newer_deb(deb, tmp_path_factory) -> Path:
    """The same package with Debian revision 2: an upgrade for dpkg. Repacked
    rather than rebuilt (what an upgrade does to state does not depend on the
    payload, and a rebuild costs a quarter of a minute)."""
    work = tmp_path_factory.mktemp("deb-2")
    tree = work / "tree"
    run(["dpkg-deb", "--raw-extract", str(deb), str(tree)])
    control = tree / "DEBIAN" / "control"
    version = f"{project_version()}-"
    text = control.read_text()
    assert f"Version: {version}1\n" in text
    control.write_text(text.replace(f"Version: {version}1\n", f"Version: {version}2\n"))
    out = work / deb.name.replace(f"_{version}1_", f"_{version}2_")
    run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", str(tree), str(out)])
    return out
