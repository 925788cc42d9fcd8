"""tobsd and the libraries it loads (CPython, grpcio, cryptg, psutil, ffmpeg as
a child) work under the restrictions the shipped units set: seccomp filters
for SystemCallFilter, MemoryDenyWriteExecute, RestrictAddressFamilies and
RestrictNamespaces, no capabilities, no new privileges, and a read-only
file system but for the vault and the state (see sandbox.py for how each is
applied, and which are not). A vault left read-only stops tobsd with exit 2
and the hint to `tobsd unit-dropin`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fakegram.server import API_HASH
from fakegram.world import WorldBuilder
from tests.conditions import slack
from tests.daemonkit import ROOT, TobsdProcess, write_config
from tests.notifykit import NotifyListener
from tests.vaultscan import by_message, leftovers, scan

SANDBOX = [sys.executable, "-m", "tests.integration.service.sandbox"]

PROBE = r'''
import errno, mmap, os, socket, subprocess
from concurrent import futures
# The filters are on: each of these is refused, with the errno systemd's would give.
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    raise SystemExit("a writable and executable mapping was allowed")
except PermissionError:
    pass
try:
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raise SystemExit("an AF_PACKET socket was allowed")
except OSError as e:
    assert e.errno == errno.EAFNOSUPPORT, e
try:
    os.sched_setaffinity(0, os.sched_getaffinity(0))    # @resources is filtered out
    raise SystemExit("sched_setaffinity was allowed")
except PermissionError:
    pass
# ...and the libraries work.
import cryptg, grpc, psutil
data = bytes(range(32))
assert cryptg.decrypt_ige(cryptg.encrypt_ige(data, b"k" * 32, b"i" * 32), b"k" * 32, b"i" * 32) == data
me = psutil.Process()
assert me.memory_info().rss > 0 and me.num_threads() >= 1 and me.cpu_times().user >= 0
server = grpc.server(futures.ThreadPoolExecutor(2))
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
    "probe.Echo", {"Reverse": grpc.unary_unary_rpc_method_handler(lambda req, ctx: req[::-1])}),))
path = os.path.join(os.environ["PROBE_DIR"], "probe.sock")
server.add_insecure_port("unix:" + path)
server.start()
with grpc.insecure_channel("unix:" + path) as channel:
    assert channel.unary_unary("/probe.Echo/Reverse")(b"abc", timeout=30) == b"cba"
server.stop(None)
assert not os.path.exists("/proc/meminfo") or not os.environ.get("PROBE_NARROW_PROC")
assert subprocess.run(["ffmpeg", "-hide_banner", "-version"], capture_output=True).returncode == 0
print("probe ok")
'''


def mount_namespaces_allowed(tmp_path: Path) -> bool:
    result = subprocess.run([*SANDBOX, "--rw", str(tmp_path), "--", "true"], capture_output=True,
                            text=True, cwd=ROOT, timeout=slack(60))
    if result.returncode != 0 and "unshare(CLONE_NEWNS)" not in result.stderr:
        raise AssertionError(result.stderr)
    return result.returncode == 0


def test_the_libraries_work_under_the_unit_restrictions(tmp_path):
    # The file-system part too where this machine allows mount namespaces
    # (then psutil also runs with ProcSubset=pid's narrow /proc).
    rw = ["--rw", str(tmp_path)] if mount_namespaces_allowed(tmp_path) else []
    result = subprocess.run([*SANDBOX, *rw, "--", sys.executable, "-c", PROBE], capture_output=True,
                            text=True, cwd=ROOT, timeout=slack(120),
                            env={"PROBE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
                                 "PROBE_NARROW_PROC": "1" if rw else ""})
    assert result.returncode == 0 and result.stdout.strip() == "probe ok", result.stdout + result.stderr


async def test_tobsd_syncs_as_the_unit_runs_it(make_server, tmp_path):
    """The environment systemd gives the service (STATE_DIRECTORY,
    RUNTIME_DIRECTORY, CREDENTIALS_DIRECTORY with the api_hash, NOTIFY_SOCKET,
    WATCHDOG_USEC), a configuration like the shipped example (no state_dir,
    no session, api_hash_file), and only what the unit makes writable: the
    state and runtime folders and the vault of the drop-in."""
    if not mount_namespaces_allowed(tmp_path):
        pytest.skip("this machine refuses mount namespaces (no CAP_SYS_ADMIN): "
                    "ProtectSystem cannot be emulated; the seccomp part is tested above")
    b = WorldBuilder(seed=5)
    b.synthetic_channel("Sandboxed", count=300, username="sandboxed")
    notify = NotifyListener(tmp_path / "notify.sock")
    async with make_server(b.build()) as server:
        config = write_config(tmp_path, server, ["@sandboxed"])
        text = config.read_text()
        lines = [line for line in text.splitlines()
                 if not line.startswith(("api_hash =", "session =", "state_dir =", "socket ="))]
        config.write_text("\n".join(['api_hash_file = "api_hash"', *lines]) + "\n")
        credentials = tmp_path / "credentials"
        credentials.mkdir(mode=0o700)
        (credentials / "api_hash").write_text(API_HASH)
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700)
        env = {"STATE_DIRECTORY": str(tmp_path / "state"), "RUNTIME_DIRECTORY": str(runtime),
               "CREDENTIALS_DIRECTORY": str(credentials), "NOTIFY_SOCKET": notify.path,
               "WATCHDOG_USEC": "3000000"}
        writable = [tmp_path / "state", runtime, tmp_path / "vault"]
        # No socket in the config: tobsd takes $RUNTIME_DIRECTORY/tobsd.sock, as under systemd.
        tobsd = TobsdProcess(config, env=env, socket=runtime / "tobsd.sock",
                             prefix=[*SANDBOX, *[a for p in writable for a in ("--rw", str(p))], "--"])
        tobsd.start()
        try:
            status = await tobsd.wait_synced(1)
            assert status["chats"][0]["state"] == "live", status
            assert status["chats"][0]["indexed"] == 300
            await notify.wait(lambda: notify.count("READY", "1") >= 1 and notify.count("WATCHDOG") >= 1,
                              "READY and a watchdog ping", tobsd)
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
    notify.close()
    # Read back with the independent parser: every message is in a note.
    assert len(by_message(scan(tmp_path / "vault"))) == 300
    assert not leftovers(tmp_path / "vault") and "Traceback" not in tobsd.log()
    assert (tmp_path / "state" / "tobsd.db").exists()


async def test_a_read_only_vault_stops_tobsd_with_the_dropin_hint(make_server, tmp_path):
    if not mount_namespaces_allowed(tmp_path):
        pytest.skip("this machine refuses mount namespaces (no CAP_SYS_ADMIN)")
    b = WorldBuilder(seed=5)
    b.synthetic_channel("Sandboxed", count=10, username="sandboxed")
    async with make_server(b.build()) as server:
        config = write_config(tmp_path, server, ["@sandboxed"])
        # Only the state is writable: the unit without its drop-in.
        tobsd = TobsdProcess(config, prefix=[*SANDBOX, "--rw", str(tmp_path / "state"), "--"]).start()
        code = await tobsd._wait(60)
    assert code == 2, tobsd.log()[-3000:]
    assert "Read-only file system" in tobsd.log() and "tobsd unit-dropin" in tobsd.log()
    assert not list((tmp_path / "vault").rglob("*"))
