"""The packages people install: the sdist and wheel give working `tobsd` and
`tobsctl` commands in a fresh virtual environment; the Debian package holds
what it should, runs from an unpacked root, upgrades without touching state,
purges it only when asked, and passes lintian."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conditions import slack
from tests.daemonkit import ROOT
from tests.integration.packaging.conftest import DEBIAN_PYTHON, project_version, run

pytestmark = pytest.mark.slow

API_HASH = "0123456789abcdef0123456789abcdef"


def test_sdist_and_wheel_install_working_commands(dist, wheel, wheelhouse, tmp_path):
    (sdist,) = dist.glob("tobs-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    top = f"tobs-{project_version()}"
    for needed in ("pyproject.toml", "tobsd/store/migrations", "tobsctl/__main__.py"):
        assert any(n.startswith(f"{top}/{needed}") for n in names), needed
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet",
         "--disable-pip-version-check", "--no-index", "--find-links", str(wheelhouse), str(wheel)])
    for cmd in ("tobsd", "tobsctl"):
        result = run([str(venv / "bin" / cmd), "--version"], cwd=tmp_path)
        assert result.stdout.strip() == f"{cmd} {project_version()}"
    # The installed tobsd reads a configuration (its migrations and modules are all there).
    config = write_example_config(tmp_path, ROOT / "packaging" / "etc-tobs-example.toml")
    result = run([str(venv / "bin" / "tobsd"), "check-config", "--config", str(config)], cwd=tmp_path)
    assert "ok" in result.stdout
    run([str(venv / "bin" / "python"), "-c", "import tobsd.store.db, importlib.resources as r; "
         "assert any(r.files('tobsd.store').joinpath('migrations').iterdir())"], cwd=tmp_path)


def write_example_config(folder: Path, example: Path) -> Path:
    """The shipped example, with its api_hash file next to it and the vault in folder."""
    text = example.read_text().replace('path = "/home/alice/Obsidian/Main"',
                                       f'path = "{folder / "vault"}"')
    (folder / "vault").mkdir(exist_ok=True)
    config = folder / "alice.toml"
    config.write_text(text)
    (folder / "api_hash").write_text(API_HASH)
    return config


def dpkg_field(deb: Path, field: str) -> str:
    return run(["dpkg-deb", "--field", str(deb), field]).stdout.strip()


def test_debian_package_metadata_and_contents(deb):
    debian_python = Path(os.path.realpath(DEBIAN_PYTHON)).name
    assert dpkg_field(deb, "Package") == "tobs"
    assert dpkg_field(deb, "Version") == f"{project_version()}-1"
    depends = [d.strip() for d in dpkg_field(deb, "Depends").split(",")]
    assert "ffmpeg" in depends and debian_python in depends
    listing = run(["dpkg-deb", "--contents", str(deb)]).stdout
    paths = {line.split()[5].removeprefix("."): line for line in listing.splitlines()}
    for path in ("/usr/lib/systemd/user/tobsd.service", "/usr/lib/systemd/user/tobsd@.service",
                 "/usr/lib/systemd/system/tobsd@.service", "/usr/lib/sysusers.d/tobs.conf",
                 "/usr/lib/tmpfiles.d/tobs.conf", "/etc/tobs/example.toml",
                 "/opt/tobs/venv/bin/tobsd", "/opt/tobs/venv/bin/tobsctl",
                 "/usr/share/doc/tobs/copyright", "/usr/share/bash-completion/completions/tobsctl",
                 "/usr/share/zsh/vendor-completions/_tobsctl",
                 "/usr/share/fish/vendor_completions.d/tobsctl.fish"):
        assert path in paths, path
    for cmd in ("tobsd", "tobsctl"):
        assert paths[f"/usr/bin/{cmd}"].endswith(f"-> /opt/tobs/venv/bin/{cmd}")
    assert all(" root/root " in line for line in listing.splitlines())


def test_maintainer_scripts_never_start_or_stop_an_instance(deb, tmp_path):
    control = tmp_path / "control"
    run(["dpkg-deb", "--control", str(deb), str(control)])
    assert (control / "conffiles").read_text().split() == ["/etc/tobs/example.toml"]
    scripts = {p.name: p.read_text() for p in control.iterdir() if p.name in ("preinst", "postinst",
                                                                              "prerm", "postrm")}
    assert set(scripts) == {"postinst", "postrm"}
    for name, text in scripts.items():
        run(["sh", "-n", str(control / name)])
        for verb in ("start", "stop", "restart", "enable", "disable", "kill", "mask"):
            code = "\n".join(line for line in text.splitlines()
                             if not line.lstrip().startswith(("#", "echo")))
            assert f"systemctl {verb}" not in code and f"deb-systemd-invoke {verb}" not in code


def unpacked(deb: Path, root: Path) -> Path:
    run(["dpkg-deb", "--extract", str(deb), str(root)])
    return root


def run_in_root(root: Path, argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a packaged command from `root` as if the package were installed.

    The package's files name /opt/tobs (the scripts' interpreter, the
    /usr/bin links), so /opt is bound to root/opt in a private mount namespace
    of the command; nothing outside it changes. Where mount namespaces are
    not allowed, the venv's interpreter in root runs the script directly
    (Python finds the venv from the interpreter's path)."""
    if shutil.which("unshare") and subprocess.run(
            ["unshare", "--mount", "true"], capture_output=True).returncode == 0:
        script = 'mount --make-rprivate / && mount --bind "$0/opt" /opt && exec "$@"'
        command = [str(root / argv[0].lstrip("/")), *argv[1:]]
        return run(["unshare", "--mount", "sh", "-c", script, str(root), *command], cwd=cwd)
    target = os.readlink(root / argv[0].lstrip("/"))
    return run([str(root / "opt/tobs/venv/bin/python"), str(root / target.lstrip("/")), *argv[1:]],
               cwd=cwd)


def test_the_unpacked_package_runs(deb, tmp_path):
    root = unpacked(deb, tmp_path / "root")
    venv = root / "opt/tobs/venv"
    assert (venv / "bin/tobsd").read_text().splitlines()[0] == "#!/opt/tobs/venv/bin/python"
    debian_python = os.path.realpath(DEBIAN_PYTHON)         # /usr/bin/python3.11
    assert os.readlink(venv / "bin" / Path(debian_python).name) == debian_python
    assert str(root) not in (venv / "pyvenv.cfg").read_text()
    for rel in ("systemd/tobsd.service", "systemd/tobsd@.service"):
        assert (root / "usr/lib/systemd/user" / Path(rel).name).read_text() == (ROOT / rel).read_text()
    assert (root / "usr/lib/systemd/system/tobsd@.service").read_text() == \
        (ROOT / "systemd/system/tobsd@.service").read_text()
    versions = [run_in_root(root, [f"/usr/bin/{cmd}", "--version"], tmp_path).stdout.strip()
                for cmd in ("tobsd", "tobsctl")]
    assert versions == [f"tobsd {project_version()}", f"tobsctl {project_version()}"]
    config = write_example_config(tmp_path, root / "etc/tobs/example.toml")
    result = run_in_root(root, ["/usr/bin/tobsd", "check-config", "--config", str(config)], tmp_path)
    assert result.stdout.startswith(f"{config}: ok, 1 chats")


def as_root() -> list[str]:
    """Nothing for root; fakeroot for anyone else (dpkg wants to own files as root)."""
    if os.geteuid() == 0:
        return []
    if shutil.which("fakeroot") is None:
        pytest.skip("not root and no fakeroot (`make system-deps` installs it)")
    return ["fakeroot"]


def dpkg_in(root: Path, *args: str) -> subprocess.CompletedProcess:
    """dpkg on a throwaway root; the maintainer scripts run outside a chroot
    with $DPKG_ROOT set, as they must support."""
    return run([*as_root(), "dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends",
                "--force-confold", "--log=/dev/null", *args])


def test_upgrade_keeps_state_and_only_purge_removes_it(deb, newer_deb, tmp_path):
    first, second = deb, newer_deb
    root = tmp_path / "root"
    for folder in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"):
        (root / folder).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    dpkg_in(root, "--install", str(first))
    assert "tobs:" in (root / "etc/group").read_text()      # sysusers.d, in the target root
    state = root / "var/lib/tobsd/alice"
    state.mkdir(parents=True)
    (state / "tobsd.db").write_bytes(b"the user's state")
    example = root / "etc/tobs/example.toml"
    example.write_text(example.read_text() + "# edited by the admin\n")
    dpkg_in(root, "--install", str(second))
    installed = run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "tobs"]).stdout.split()
    assert installed == ["tobs", f"{project_version()}-2"]
    assert (state / "tobsd.db").read_bytes() == b"the user's state"
    assert example.read_text().endswith("# edited by the admin\n")
    dpkg_in(root, "--remove", "tobs")
    assert not (root / "opt/tobs").exists()
    assert (state / "tobsd.db").read_bytes() == b"the user's state"
    dpkg_in(root, "--purge", "tobs")
    assert not (root / "var/lib/tobsd").exists() and not example.exists()


def test_lintian_is_clean(deb, tmp_path):
    if shutil.which("lintian") is None:
        pytest.skip("lintian is not installed (`make system-deps` installs it on Debian)")
    result = subprocess.run(["lintian", "--fail-on", "error,warning", str(deb)], capture_output=True,
                            text=True, timeout=slack(300), cwd=tmp_path)
    tags = [line for line in result.stdout.splitlines() if line[:2] in ("E:", "W:")]
    assert result.returncode == 0 and not tags, result.stdout + result.stderr
