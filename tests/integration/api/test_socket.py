"""The control socket as access control and as the one-daemon guard: modes,
another uid refused, two daemons on one state folder or socket refused, a
stale socket replaced; generic gRPC tools (health, reflection) work; tobsctl
checks the API version first."""
from __future__ import annotations

import asyncio
import grp
import os
import shutil
import socket
import stat
import tempfile
import threading
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase)

from fakegram.testing import small_world
from tests.daemonkit import TobsdProcess, run_tobsctl, write_config
from tobs.v1 import pb, pb_grpc

OK, UNREACHABLE, PERMISSION, VERSION = 0, 3, 4, 7
NOBODY = 65534


@pytest.fixture
def open_dir():
    """A folder anyone may enter, so only the socket's own mode guards it."""
    path = Path(tempfile.mkdtemp(prefix="tobs-perm-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def connect_as(uid: int, path: Path) -> str:
    """Fork, drop to `uid`, try to connect to the socket; the child's errno name or 'ok'."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(str(path))
                result = b"ok"
            except OSError as exc:
                result = (exc.__class__.__name__).encode()
            os.write(write, result)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        answer = f.read().decode()
    os.waitpid(pid, 0)
    return answer


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to another uid")
async def test_another_uid_cannot_connect(make_server, tmp_path, open_dir):
    async with make_server(small_world()) as server:
        config = write_config(tmp_path, server, ["@news"])
        sock_path = open_dir / "tobsd.sock"
        config.write_text(config.read_text().replace(
            f'socket = "{TobsdProcess(config).socket}"', f'socket = "{sock_path}"'))
        tobsd = TobsdProcess(config)
        tobsd.socket = sock_path
        tobsd.start()
        try:
            await tobsd.wait_for(lambda s: s["state"] == "running", 60, "running")
            assert stat.S_IMODE(sock_path.stat().st_mode) == 0o600
            assert connect_as(os.getuid(), sock_path) == "ok"
            assert connect_as(NOBODY, sock_path) == "PermissionError"
            # and tobsctl run as that user says so, with its own exit status
            ran = await asyncio.create_subprocess_exec(
                "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                "--", os.sys.executable, "-m", "tobsctl", "--socket", str(sock_path), "status",
                cwd=Path(__file__).resolve().parents[3], stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env={**os.environ, "HOME": "/"})
            out, err = await asyncio.wait_for(ran.communicate(), 60)
            assert ran.returncode == PERMISSION, (out, err)
            assert b"permission denied" in err
        finally:
            assert await tobsd.terminate() == 0


def group_config(config: Path, sock_path: Path, group: str) -> TobsdProcess:
    config.write_text(config.read_text().replace(
        f'socket = "{TobsdProcess(config).socket}"',
        f'socket = "{sock_path}"\nsocket_group = "{group}"'))
    tobsd = TobsdProcess(config)
    tobsd.socket = sock_path
    return tobsd


async def test_socket_group_gives_its_members_the_socket(make_server, tmp_path, open_dir):
    """[daemon] socket_group (the system unit's TOBS_SOCKET_GROUP=tobs): the
    folder tobsd makes is 0750 and the socket 0660, both of that group."""
    group = grp.getgrgid(os.getgid()).gr_name       # one this user may give files to
    async with make_server(small_world()) as server:
        sock_path = open_dir / "run" / "tobsd.sock"
        tobsd = group_config(write_config(tmp_path, server, ["@news"]), sock_path, group).start()
        try:
            await tobsd.wait_for(lambda s: s["state"] == "running", 60, "running")
            for path, mode in ((sock_path.parent, 0o750), (sock_path, 0o660)):
                st = path.stat()
                assert (stat.S_IMODE(st.st_mode), st.st_gid) == (mode, os.getgid()), path
            assert (await run_tobsctl("--socket", str(sock_path), "status")).returncode == OK
        finally:
            assert await tobsd.terminate() == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to other uids")
async def test_a_member_of_the_socket_group_connects_and_others_cannot(make_server, tmp_path, open_dir):
    group = grp.getgrgid(NOBODY).gr_name               # nobody's group; uid 65533 is not in it
    async with make_server(small_world()) as server:
        sock_path = open_dir / "run" / "tobsd.sock"
        tobsd = group_config(write_config(tmp_path, server, ["@news"]), sock_path, group).start()
        try:
            await tobsd.wait_for(lambda s: s["state"] == "running", 60, "running")
            assert connect_as(NOBODY, sock_path) == "ok"
            assert connect_as(NOBODY - 1, sock_path) == "PermissionError"
        finally:
            assert await tobsd.terminate() == 0


async def test_default_socket_folder_is_created_0700(make_server, tmp_path):
    async with make_server(small_world()) as server:
        config = write_config(tmp_path, server, ["@news"])
        short = Path(tempfile.mkdtemp(prefix="tobs-run-"))
        try:
            sock_path = short / "tobsd" / "tobsd.sock"
            config.write_text(config.read_text().replace(
                f'socket = "{TobsdProcess(config).socket}"', f'socket = "{sock_path}"'))
            tobsd = TobsdProcess(config)
            tobsd.socket = sock_path
            tobsd.start()
            try:
                await tobsd.wait_for(lambda s: s["state"] == "running", 60, "running")
                assert stat.S_IMODE(sock_path.parent.stat().st_mode) == 0o700
                assert stat.S_IMODE(sock_path.stat().st_mode) == 0o600
            finally:
                assert await tobsd.terminate() == 0
            assert not sock_path.exists()
        finally:
            shutil.rmtree(short, ignore_errors=True)


async def test_two_daemons_on_one_state_folder_are_refused(make_server, tmp_path):
    async with make_server(small_world()) as server:
        config = write_config(tmp_path, server, ["@news"])
        first = TobsdProcess(config).start()
        try:
            await first.wait_synced(1)
            # the same configuration: the socket answers, the state folder is locked
            second = TobsdProcess(config)
            second.log_path = tmp_path / "second.log"
            second.start()
            assert await second._wait(60) == 1
            assert "another tobsd" in second.log()
            # another socket, the same state folder: the lock refuses it
            other = tmp_path / "other.toml"
            other.write_text(config.read_text().replace(str(first.socket), str(tmp_path / "o.sock")))
            third = TobsdProcess(other)
            third.log_path = tmp_path / "third.log"
            third.start()
            assert await third._wait(60) == 1
            assert "another tobsd" in third.log() and "state folder" in third.log()
            # its own state folder and socket, the same vault: the vault's lock refuses it
            other_base = tmp_path / "other"
            other_base.mkdir()
            (other_base / "state").mkdir()
            fourth_config = other_base / "tobsd.toml"
            fourth_config.write_text(config.read_text()
                                     .replace(str(first.socket), str(other_base / "o.sock"))
                                     .replace(f'state_dir = "{tmp_path / "state"}"',
                                              f'state_dir = "{other_base / "state"}"'))
            fourth = TobsdProcess(fourth_config)
            fourth.start()
            assert await fourth._wait(60) == 1
            assert "another tobsd" in fourth.log() and "vault folder" in fourth.log()
            # the first one is untouched
            assert (await first.tobsctl("--json", "status")).json()["daemon"]["pid"] == first.proc.pid
        finally:
            assert await first.terminate() == 0


async def test_a_stale_socket_is_replaced(make_server, tmp_path):
    async with make_server(small_world()) as server:
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config)
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(str(tobsd.socket))       # bound, never listening: what a killed daemon leaves
        stale.close()
        assert tobsd.socket.exists()
        tobsd.start()
        try:
            await tobsd.wait_synced(1)
        finally:
            assert await tobsd.terminate() == 0


async def test_health_and_reflection_serve_generic_tools(make_server, tmp_path):
    async with make_server(small_world()) as server:
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_for(lambda s: s["state"] == "running", 60, "running")

            def probe():
                with grpc.insecure_channel(f"unix:{tobsd.socket}") as channel:
                    health = health_pb2_grpc.HealthStub(channel).Check(
                        health_pb2.HealthCheckRequest(service="tobs.v1.Tobs"), timeout=10)
                    db = ProtoReflectionDescriptorDatabase(channel)
                    services = set(db.get_services())
                    method = db.FindFileContainingSymbol("tobs.v1.Tobs").name
                    return health.status, services, method
            status, services, file = await asyncio.to_thread(probe)
            assert status == health_pb2.HealthCheckResponse.SERVING
            assert {"tobs.v1.Tobs", "grpc.health.v1.Health"} <= services
            assert file == "tobs/v1/tobs.proto"
        finally:
            assert await tobsd.terminate() == 0


class FakeDaemon(pb_grpc.TobsServicer):
    """Another version of tobsd: only GetVersion, with the API version given
    (None: it does not know GetVersion at all)."""

    def __init__(self, api_version):
        self.api_version = api_version
        self.other_calls = 0

    def GetStatus(self, request, context):
        self.other_calls += 1
        return pb.GetStatusResponse()

    def GetVersion(self, request, context):
        if self.api_version is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "unknown method")
        return pb.GetVersionResponse(daemon_version="9.9.9", api_version=self.api_version)


@pytest.mark.parametrize("api_version, words", [(0, "tobsd is older"), (2, "tobsd is newer"),
                                                (None, "older than this tobsctl")])
async def test_tobsctl_checks_the_api_version_first(tmp_path, api_version, words):
    path = Path(tempfile.mkdtemp(prefix="tobs-fake-")) / "fake.sock"
    fake = FakeDaemon(api_version)
    server = grpc.server(futures.ThreadPoolExecutor(2))
    pb_grpc.add_TobsServicer_to_server(fake, server)
    server.add_insecure_port(f"unix:{path}")
    server.start()
    try:
        ran = await run_tobsctl("--socket", str(path), "status")
        assert ran.returncode == VERSION, ran
        assert words in ran.stderr
        assert fake.other_calls == 0          # nothing else was asked of it
        as_json = await run_tobsctl("--socket", str(path), "--json", "chats")
        assert as_json.returncode == VERSION and as_json.json()["error"]["exit_code"] == VERSION
    finally:
        server.stop(0)
        shutil.rmtree(path.parent, ignore_errors=True)
