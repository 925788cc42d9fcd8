"""The composition root: builds the objects by hand and runs the daemon.

    store  -> the SQLite state (tobsd.store)
    writer -> the vault writer (tobsd.vault), fed by a file watcher
    source -> Telegram through Telethon (tobsd.telegram)
    engine -> the sync engine (tobsd.sync) over the three

Runs until SIGTERM or SIGINT (a clean stop: the chat tasks are cancelled
between durable steps, Takeout is finished, the Bloom filter saved); SIGHUP
re-reads the configuration and adds or removes chats. When the session is
not authorised the daemon reports `needs-login` (status file, systemd
STATUS) and waits for the session file to change instead of exiting, so
systemd never crash-loops it and no state is dropped.

Under systemd (tobsd.systemd): READY=1 once the database is open and
Telegram answered as a logged-in account, or once needs-login is reported;
RELOADING=1 then READY=1 around a SIGHUP reload; STOPPING=1 when a stop
begins; WATCHDOG=1 from a task of its own on the event loop.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import tempfile
from pathlib import Path

from tobsd.core.config import Config, load_config
from tobsd.core.errors import ConfigError, NeedsLogin
from tobsd.core.files import private_dir, private_files
from tobsd.core.preflight import preflight
from tobsd.core.states import DaemonState
from tobsd.status import StatusReporter
from tobsd.store import Store
from tobsd.sync.engine import ChatOptions, SyncEngine
from tobsd.sync.selection import Unresolved, chat_from_row, select_chats
from tobsd.systemd import SystemdNotifier
from tobsd.telegram.client import session_fingerprint
from tobsd.telegram.floodstore import FloodTableAdapter
from tobsd.telegram.source import TelethonSource
from tobsd.vault.atomic import TEMP_PREFIX
from tobsd.vault.options import ChatSettings, VaultConfig
from tobsd.vault.remote import RemoteWriter, SpawnedWriter

log = logging.getLogger("tobsd")

LOGIN_POLL_S = 2.0
#: The longest a stop waits for Telegram (closing Takeout); well within the
#: units' TimeoutStopSec=30, which also covers the writer and the database.
SOURCE_STOP_S = 15


def vault_config(config: Config) -> VaultConfig:
    default = ChatSettings(tz=config.vault.zone(), period=config.vault.period,
                           remove_deleted=config.sync.remove_deleted)
    return VaultConfig(root=config.vault.root, default_chat=default)


def check_vault_writable(config: Config) -> None:
    """ConfigError unless tobsd may create files in the vault (its root folder
    if that exists yet). Under the hardened units the home folder is
    read-only until a drop-in names the vault in ReadWritePaths=."""
    vault = config.vault.path
    if not vault.is_dir():
        raise ConfigError(str(config.source), [f"vault.path: {vault} is not a folder"])
    target = vault / config.vault.root
    probe_dir = target if target.is_dir() else vault
    try:
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX + "probe-", dir=probe_dir)
    except OSError as exc:
        hint = ""
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            hint = ("; under systemd, `tobsd unit-dropin --config "
                    f"{config.source}` prints the drop-in that makes it writable")
        raise ConfigError(str(config.source), [
            f"vault.path: cannot write in {probe_dir}: {exc.strerror or exc}{hint}"]) from None
    os.close(fd)
    os.unlink(name)


def sweep_temp_files(root: Path) -> int:
    """Remove temporary files a killed writer left (never a note: notes are
    only ever replaced by an atomic rename)."""
    removed = 0
    if root.is_dir():
        for path in root.rglob(TEMP_PREFIX + "*"):
            if path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
                removed += 1
    return removed


class Daemon:
    def __init__(self, config: Config, *, notifier: SystemdNotifier | None = None,
                 client_options: dict | None = None, writer_process: SpawnedWriter | None = None):
        self.config = config
        self.writer_process = writer_process
        self.notifier = notifier or SystemdNotifier()
        self.client_options = client_options
        self.store: Store | None = None
        self.writer: RemoteWriter | None = None
        self.source: TelethonSource | None = None
        self.engine: SyncEngine | None = None
        self.status = StatusReporter(config.daemon.state_dir / "status.json")
        self.state = DaemonState.STARTING
        self.unresolved: list = []
        self._refused_key: str | None = None   # the session key Telegram stopped accepting
        self._stop = asyncio.Event()
        self._reload = asyncio.Event()
        self._connected = False               # Telegram answered in this session
        self._status_due = asyncio.Event()   # a state changed: report now, not at the next tick

    # --- lifecycle -----------------------------------------------------------------
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._stop.set)
        loop.add_signal_handler(signal.SIGINT, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, self._reload.set)
        cfg = self.config
        found = preflight(cfg)   # the same checks as `tobsd check-config`
        if found.problems:
            raise ConfigError(str(cfg.source), found.problems)
        for warning in found.warnings:
            log.warning("%s", warning)
        check_vault_writable(cfg)
        # Everything in the state folder is private: 0700, files 0600.
        try:
            private_dir(cfg.daemon.state_dir)
        except OSError as exc:
            raise ConfigError(str(cfg.source), [
                f"daemon.state_dir: cannot create {cfg.daemon.state_dir}: {exc.strerror or exc}; "
                "under systemd leave it unset (the unit's StateDirectory) or name it in "
                "ReadWritePaths="]) from None
        private_files(cfg.daemon.state_dir, log)
        tobs_folder = cfg.vault.path / cfg.vault.root / ".tobs"
        if tobs_folder.is_dir() and not tobs_folder.is_symlink():
            private_dir(tobs_folder, log, "the vault's .tobs folder")
            private_files(tobs_folder, log)
        self.notifier.status(self._status_line({"state": self.state}))
        swept = sweep_temp_files(cfg.vault.path / cfg.vault.root)
        if swept:
            log.info("removed %d temporary files left by an interrupted write", swept)
        self.store = await Store.open(cfg.daemon.db_path, bloom_path=cfg.daemon.bloom_path)
        # Notes are rendered and written in a child process (which also
        # watches the vault), so that work runs on another core.
        self.writer = RemoteWriter(cfg.vault.path, vault_config(cfg), spawned=self.writer_process)
        await self.writer.start()
        background = [asyncio.create_task(self._report_loop()),
                      asyncio.create_task(self.notifier.watchdog_loop())]
        try:
            while not self._stop.is_set():
                await self._session()
                if self.state == DaemonState.NEEDS_LOGIN and not self._stop.is_set():
                    await self._wait_for_login()
        finally:
            self.notifier.stopping()
            await self._shutdown()
            await self.writer.close()
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            self.state = DaemonState.STOPPED
            try:
                await self.status.write(await self._status())
            except Exception:   # the stop goes on: the database must still be closed
                log.exception("the last status report failed")
            finally:
                await self.store.close()
                self.notifier.close()
        return 0

    async def _session(self) -> None:
        """One connected run: start the source, track the chats, follow them
        until asked to stop or the session turns out not to be authorised."""
        self.state = DaemonState.CONNECTING
        self._connected = False
        self.source = TelethonSource(self.config, FloodTableAdapter(self.store.flood),
                                     client_options=self.client_options)
        self.engine = SyncEngine(self.source, self.store, self.writer,
                                 workers=self.config.limits.backfill_requests_in_flight,
                                 reconcile_every_s=self.config.daemon.reconcile_every_s,
                                 on_change=self._status_due.set,
                                 verify_full=self.config.sync.verify == "full")
        try:
            me = await self.source.start()
            log.info("logged in as user %s", me.id)
            # The database is open and Telegram answered: ready, while the
            # chats are resolved (which may take many requests).
            self._connected = True
            self.notifier.ready(self._status_line({"state": self.state}))
            await self._track_chats()
            await self.engine.start()
        except NeedsLogin as exc:
            self.engine.state = DaemonState.NEEDS_LOGIN
            self.engine.error = str(exc)
        if self.engine.state != DaemonState.NEEDS_LOGIN:
            self.state = DaemonState.RUNNING
            self._status_due.set()
            while not self._stop.is_set() and self.engine.state != DaemonState.NEEDS_LOGIN:
                waits = [asyncio.create_task(self._stop.wait()),
                         asyncio.create_task(self.engine.stopped.wait()),
                         asyncio.create_task(self._reload.wait())]
                done, _ = await asyncio.wait(waits, timeout=self.config.daemon.check_every_s,
                                             return_when=asyncio.FIRST_COMPLETED)
                for task in waits:
                    task.cancel()
                try:
                    if self._reload.is_set():
                        self._reload.clear()
                        self.notifier.reloading()
                        try:
                            await self._reload_config()
                        finally:
                            self.notifier.ready()
                            self._status_due.set()
                    elif not done:
                        await self.engine.check()
                except NeedsLogin as exc:
                    self.engine.state, self.engine.error = DaemonState.NEEDS_LOGIN, str(exc)
        if self.engine.state == DaemonState.NEEDS_LOGIN:
            self._refused_key = self.source.session_fingerprint()
            self.state = DaemonState.NEEDS_LOGIN
            log.error("needs-login: run `tobsd login --config %s`", self.config.source)
            # Up and reporting, just not syncing: systemd must not time the start out.
            self.notifier.ready(StatusReporter.one_line({"state": self.state}))
        await self._shutdown()

    async def _shutdown(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
        if self.source is not None:
            try:
                # Finishing Takeout needs Telegram to answer; an unreachable
                # Telegram must not hold the stop past the unit's TimeoutStopSec.
                await asyncio.wait_for(self.source.stop(), SOURCE_STOP_S)
            except asyncio.TimeoutError:
                log.warning("Telegram did not answer within %d s while stopping; "
                            "Takeout left to expire", SOURCE_STOP_S)
            except Exception:
                log.exception("stopping the Telegram connection failed")

    async def _wait_for_login(self) -> None:
        """Wait until the session file holds another key than the one that
        stopped working (`tobsd login` replaced it), however early that
        happened: a login that landed before the daemon noticed the
        revocation counts too."""
        session = self.config.session
        while not self._stop.is_set():
            current = await asyncio.to_thread(session_fingerprint, session)
            if current is not None and current != self._refused_key:
                log.info("the session file changed; connecting again")
                return
            try:
                await asyncio.wait_for(self._stop.wait(), LOGIN_POLL_S)
            except asyncio.TimeoutError:
                pass
            if self._reload.is_set():   # the chats are selected once logged in
                self._reload.clear()
                self.notifier.reloading()
                self._reread_config()
                self.notifier.ready()
                self.notifier.status(self._status_line(await self._status()))

    async def _select(self, config: Config) -> list:
        known = [chat_from_row(row) for row in await self.store.chats.list()]
        selected, self.unresolved = await select_chats(config, self.source, known)
        return selected

    async def _track_chats(self, selected: list | None = None) -> None:
        for item in selected if selected is not None else await self._select(self.config):
            if item.options.remove_deleted != self.config.sync.remove_deleted:
                base = self.writer.config.default_chat
                self.writer.set_chat_settings(item.chat.id, ChatSettings(
                    tz=base.tz, period=base.period, remove_deleted=item.options.remove_deleted))
            try:
                await self.engine.add_chat(item.chat, ChatOptions(since=item.options.since,
                                                                  paused=item.options.paused))
            except (NeedsLogin, asyncio.CancelledError):
                raise
            except Exception as exc:   # one chat must not keep the others from syncing
                log.exception("chat %s could not be added", item.chat.title)
                self.unresolved.append(Unresolved(item.options.ref, f"{type(exc).__name__}: {exc}"))

    def _reread_config(self) -> Config | None:
        """The configuration file read again; None (and the old one kept) when it has errors."""
        try:
            new = load_config(self.config.source)
        except ConfigError as exc:
            log.error("configuration not reloaded: %s", exc)
            return None
        self.config = new
        return new

    async def _reload_config(self) -> None:
        new = self._reread_config()
        if new is None:
            return
        selected = await self._select(new)
        keep = {item.chat.id for item in selected}
        for chat_id in list(self.engine.chats):
            if chat_id not in keep:
                await self.engine.remove_chat(chat_id)
        await self._track_chats(selected)
        log.info("configuration reloaded: %d chats", len(self.engine.chats))

    # --- reporting ------------------------------------------------------------------------
    async def _status(self) -> dict:
        engine = await self.engine.status() if self.engine else {}
        # A chat the configuration names but that could not be resolved or
        # added is listed too, in "error" with the reason: the user sees it
        # where the other chats are.
        failed = [{"id": None, "title": str(u.ref), "ref": str(u.ref), "state": "error",
                   "error": u.error, "written": 0, "indexed": 0, "backfill_done": False}
                  for u in self.unresolved]
        return {
            "state": self.state, "pid": os.getpid(),
            "chats": engine.get("chats", []) + failed,
            "source": engine.get("source", {}),
            "catch_up": engine.get("catch_up", {}),
            "unresolved": [{"ref": str(u.ref), "error": u.error} for u in self.unresolved],
        }

    def _status_line(self, status: dict) -> str:
        if status.get("state") == DaemonState.CONNECTING and self._connected:
            return "connected to Telegram; resolving the chats"
        return StatusReporter.one_line(status)

    async def _report_loop(self) -> None:
        """Write status.json and systemd's STATUS= line every second (and at
        once when a state changes). A failing write (a full or read-only
        state disk) is logged when it starts failing and when it recovers,
        not every second."""
        failing: str | None = None
        while True:
            try:
                status = await self._status()
                self.notifier.status(self._status_line(status))
                await self.status.write(status)
                if failing is not None:
                    log.info("status report written again")
                failing = None
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                if reason != failing:
                    log.error("status report failed: %s", reason,
                              exc_info=not isinstance(exc, OSError))
                failing = reason
            try:
                await asyncio.wait_for(self._status_due.wait(), self.status.interval_s)
            except asyncio.TimeoutError:
                pass
            self._status_due.clear()

