"""tobsd under systemd's notification protocol (sd_notify(3)), with a real
NOTIFY_SOCKET that the test reads as systemd would: READY=1 once Telegram
answered, STATUS= progress, RELOADING=1 with MONOTONIC_USEC= then READY=1 on
SIGHUP, WATCHDOG=1 from the event loop (even when the status file cannot be
written), STOPPING=1 and a finished Takeout on SIGTERM; READY=1 also in the
degraded needs-login state."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import time

from fakegram.world import WorldBuilder
from tests.daemonkit import TobsdProcess, write_config
from tests.notifykit import NotifyListener
from tobsd.systemd import monotonic_usec

#: The shipped units' TimeoutStopSec: a stop must be over well within it.
TIMEOUT_STOP_S = 30


def quiet_world():
    b = WorldBuilder(seed=3)
    b.synthetic_channel("Quiet", count=250, username="quiet_chan")
    return b.build()


async def test_ready_status_reload_watchdog_and_stop(make_server, tmp_path):
    notify = NotifyListener(tmp_path / "notify.sock")
    async with make_server(quiet_world()) as server:
        config = write_config(tmp_path, server, ["@quiet_chan"])
        tobsd = TobsdProcess(config, env={"NOTIFY_SOCKET": notify.path,
                                          "WATCHDOG_USEC": "1500000"}).start()
        try:
            await notify.wait(lambda: notify.count("READY") >= 1, "READY=1", tobsd)
            ready = notify.datagrams[notify.index("READY")]
            # READY comes once Telegram answered; by then the database was opened.
            assert ready["STATUS"].startswith("connected to Telegram")
            assert 0 <= notify.index("STATUS", "starting: opening the database") < notify.index("READY")
            await tobsd.wait_synced(1)
            await notify.wait(lambda: any(d.get("STATUS", "").startswith("1/1 chats live")
                                          for d in notify.datagrams), "STATUS with progress", tobsd)
            # The watchdog keeps being pinged (every 0.5 s here) while tobsd runs.
            pings = notify.count("WATCHDOG", "1")
            await notify.wait(lambda: notify.count("WATCHDOG", "1") >= pings + 3, "watchdog pings", tobsd)

            mark = len(notify.datagrams)
            before = monotonic_usec()
            tobsd.proc.send_signal(signal.SIGHUP)
            await notify.wait(lambda: notify.index("READY", start=notify.index("RELOADING", start=mark) + 1) > 0
                              and notify.index("RELOADING", start=mark) >= 0,
                              "RELOADING=1 then READY=1", tobsd)
            reloading = notify.datagrams[notify.index("RELOADING", start=mark)]
            assert reloading["RELOADING"] == "1"
            # Type=notify-reload wants MONOTONIC_USEC= in the same message, on CLOCK_MONOTONIC.
            assert before <= int(reloading["MONOTONIC_USEC"]) <= monotonic_usec()

            mark = len(notify.datagrams)
            started = time.monotonic()
            assert await tobsd.terminate(timeout=TIMEOUT_STOP_S) == 0
            assert time.monotonic() - started < TIMEOUT_STOP_S
        finally:
            if tobsd.proc.poll() is None:
                tobsd.proc.kill()
        assert notify.index("STOPPING", "1", start=mark) >= 0
        # The Takeout session was finished before tobsd exited.
        assert server.request_log(method="account.finishTakeoutSession")
    notify.close()


async def test_needs_login_is_a_reported_ready_state(make_server, tmp_path):
    notify = NotifyListener(tmp_path / "notify.sock")
    async with make_server(quiet_world()) as server:
        config = write_config(tmp_path, server, ["@quiet_chan"])
        server.revoke_user_keys()   # the session file's login is no longer valid
        tobsd = TobsdProcess(config, env={"NOTIFY_SOCKET": notify.path}).start()
        try:
            await notify.wait(lambda: notify.count("READY") >= 1, "READY=1", tobsd)
            ready = notify.datagrams[notify.index("READY")]
            assert ready["STATUS"].startswith("needs-login")
            assert await tobsd.terminate() == 0
        finally:
            if tobsd.proc.poll() is None:
                tobsd.proc.kill()
    assert notify.count("STOPPING", "1") == 1
    notify.close()


async def test_the_watchdog_is_pinged_by_the_process_it_names(make_server, tmp_path):
    # (The status file this test used to break is retired: status leaves
    # tobsd through the control API.)
    notify = NotifyListener(tmp_path / "notify.sock")
    async with make_server(quiet_world()) as server:
        config = write_config(tmp_path, server, ["@quiet_chan"])
        tobsd = TobsdProcess(config, env={"NOTIFY_SOCKET": notify.path,
                                          "WATCHDOG_USEC": "1500000",
                                          "WATCHDOG_PID": "1"}).start()
        try:
            await notify.wait(lambda: notify.count("READY") >= 1, "READY=1", tobsd)
            # WATCHDOG_PID names another process: this one must not ping.
            assert notify.count("WATCHDOG") == 0
        finally:
            await tobsd.terminate()
        tobsd = TobsdProcess(config, env={"NOTIFY_SOCKET": notify.path,
                                          "WATCHDOG_USEC": "1500000"}).start()
        try:
            await notify.wait(lambda: notify.count("READY") >= 2, "READY=1 again", tobsd)
            pings = notify.count("WATCHDOG", "1")
            await notify.wait(lambda: notify.count("WATCHDOG", "1") >= pings + 3,
                              "watchdog pings", tobsd)
        finally:
            assert await tobsd.terminate() == 0
    notify.close()


def test_the_daemon_s_children_do_not_inherit_the_notify_socket(tmp_path):
    from tobsd.systemd import SystemdNotifier
    env = {"NOTIFY_SOCKET": "@tobs-test-" + str(os.getpid()), "WATCHDOG_USEC": "3000000",
           "WATCHDOG_PID": str(os.getpid()), "PATH": "/usr/bin"}
    notifier = SystemdNotifier(env)
    assert env == {"PATH": "/usr/bin"}
    assert notifier.enabled and notifier.watchdog_interval_s == 1.0


def test_an_abstract_notify_socket_is_reached(tmp_path):
    from tobsd.systemd import SystemdNotifier
    name = f"tobs-test-{os.getpid()}-{time.monotonic_ns()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(10)
    notifier = SystemdNotifier({"NOTIFY_SOCKET": "@" + name})
    notifier.status("one\ntwo")
    notifier.status("one\ntwo")   # unchanged: not sent again
    notifier.ready()
    assert sock.recv(4096) == b"STATUS=one two"
    assert sock.recv(4096) == b"READY=1"
    notifier.close()
    sock.close()
