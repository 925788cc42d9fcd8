"""The composition root: builds the objects by hand and runs the daemon.

    store  -> the SQLite state (tobsd.store)
    writer -> the vault writer (tobsd.vault), fed by a file watcher
    source -> Telegram through Telethon (tobsd.telegram)
    engine -> the sync engine (tobsd.sync) over the three

Runs until SIGTERM or SIGINT (a clean stop: the chat tasks are cancelled
between durable steps, Takeout is finished, the Bloom filter saved); SIGHUP
re-reads the configuration and adds or removes chats. When the session is
not authorised the daemon reports `needs-login` (control API, systemd
STATUS) and waits for the session file to change instead of exiting, so
systemd never crash-loops it and no state is dropped.

    api    -> the control API on a Unix socket (tobsd.api), over the
              service facade (tobsd.service); the state folder is locked
              so two daemons never share it

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
from dataclasses import dataclass
import tempfile
from pathlib import Path

from tobsd.api.server import ApiServer
from tobsd.core.config import Config, load_config
from tobsd.core.config_chats import ChatConfig, ChatRef
from tobsd.core.config_media import chat_media
from tobsd.core.config_processing import chat_compact
from tobsd.core.errors import ConfigError, InvalidArgument, NeedsLogin
from tobsd.events import EventHub, LogForwarder
from tobsd.media.process import FfmpegProcessor, build_processor
from tobsd.service import DaemonService
from tobsd.statelock import StateLock
from tobsd.status import one_line
from tobsd.core.files import private_dir, private_files
from tobsd.core.preflight import preflight
from tobsd.core.states import DaemonState
from tobsd.media.queue import MediaQueue
from tobsd.store import Store
from tobsd.sync.engine import ChatOptions, SyncEngine
from tobsd.sync.selection import Selected, Unresolved, chat_from_row, select_chats
from tobsd.systemd import SystemdNotifier
from tobsd.telegram.client import session_fingerprint
from tobsd.telegram.dcpool import DcPool
from tobsd.telegram.floodstore import FloodTableAdapter
from tobsd.telegram.source import TelethonSource
from tobsd.vault.atomic import TEMP_PREFIX
from tobsd.vault.mediafiles import attachment_name
from tobsd.vault.options import ChatSettings, VaultConfig
from tobsd.reportdue import ReportDue, at_rest
from tobsd.vault.remote import RemoteWriter, SpawnedWriter

log = logging.getLogger("tobsd")

LOGIN_POLL_S = 2.0
#: The longest a stop waits for Telegram (closing Takeout); well within the
#: units' TimeoutStopSec=30, which also covers the writer and the database.
SOURCE_STOP_S = 15
REPORT_EVERY_S = 1.0


@dataclass(frozen=True)
class Origin:
    """Where a tracked chat comes from: "config" (a [[chats]] entry, named
    by `entry`), "sync_all" ([sync] all) or "api" (added with tobsctl)."""
    kind: str
    entry: str
    options: ChatConfig


def vault_config(config: Config) -> VaultConfig:
    default = ChatSettings(tz=config.vault.zone(), period=config.vault.period,
                           remove_deleted=config.sync.remove_deleted)
    return VaultConfig(root=config.vault.root, default_chat=default,
                       shared_attachments=config.media.shared_folder)


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
        self.processor: FfmpegProcessor | None = None   # media processing (ffmpeg, GPU detection)
        self.media: MediaQueue | None = None            # media downloads (a side stream)
        self.state = DaemonState.STARTING
        self.unresolved: list = []
        self.me = None                          # the logged-in account (core Person)
        self.origins: dict[int, Origin] = {}    # chat id -> where it was declared
        self.config_error: str | None = None    # why the last reload was refused
        self.events = EventHub()
        self.service = DaemonService(self, self.events)
        self._reload_lock = asyncio.Lock()
        self._refused_key: str | None = None   # the session key Telegram stopped accepting
        self._stop = asyncio.Event()
        self._reload = asyncio.Event()
        self._connected = False               # Telegram answered in this session
        self._status_due = ReportDue(min_interval_s=REPORT_EVERY_S)   # now(): a state; soon(): progress

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
        lock = StateLock(cfg.daemon.state_dir)
        lock.acquire()
        own_folder = cfg.vault.path / cfg.vault.root
        vault_lock = StateLock(own_folder, ".tobsd.lock", "vault folder")
        api = ApiServer(cfg.daemon.socket, self.service, group=cfg.daemon.socket_group)
        try:
            own_folder.mkdir(parents=True, exist_ok=True)
            vault_lock.acquire()
            await api.start()
        except BaseException:
            vault_lock.release()
            lock.release()
            raise
        forwarder = LogForwarder(self.events)
        logging.getLogger().addHandler(forwarder)
        try:
            return await self._run_locked()
        finally:
            logging.getLogger().removeHandler(forwarder)
            self.events.close()        # event streams end cleanly before the server stops
            await api.stop()
            vault_lock.release()
            lock.release()

    async def _run_locked(self) -> int:
        cfg = self.config
        swept = sweep_temp_files(cfg.vault.path / cfg.vault.root)
        if swept:
            log.info("removed %d temporary files left by an interrupted write", swept)
        self.store = await Store.open(cfg.daemon.db_path, bloom_path=cfg.daemon.bloom_path)
        # Notes are rendered and written in a child process (which also
        # watches the vault), so that work runs on another core.
        self.writer = RemoteWriter(cfg.vault.path, vault_config(cfg), spawned=self.writer_process)
        await self.writer.start()
        self.processor = build_processor(cfg)
        background = [asyncio.create_task(self._start_processor()),
                      asyncio.create_task(self._report_loop()),
                      asyncio.create_task(self._watch_config()),
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
            await self.processor.close()
            self.state = DaemonState.STOPPED
            try:
                await self.service.refresh()
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
        cfg = self.config
        self.media = MediaQueue(self.store.media, DcPool(self.source), vault_dir=cfg.vault.path,
                                state_dir=cfg.daemon.state_dir, folder=self.writer.attachments_folder,
                                name=attachment_name, config=cfg.media,
                                workers=cfg.limits.media_downloads, processor=self.processor)
        self.engine = SyncEngine(self.source, self.store, self.writer,
                                 workers=self.config.limits.backfill_requests_in_flight,
                                 reconcile_every_s=self.config.daemon.reconcile_every_s,
                                 page_check_every_s=self.config.daemon.page_check_every_s,
                                 on_change=self._status_due.now,
                                 on_progress=self._status_due.soon,
                                 verify_full=self.config.sync.verify == "full", media=self.media)
        self.media.rerender = self.engine.rerender
        self.media.on_progress = self._status_due.soon
        try:
            me = await self.source.start()
            self.me = me
            log.info("logged in as user %s", me.id)
            # The database is open and Telegram answered: ready, while the
            # chats are resolved (which may take many requests).
            self._connected = True
            self.notifier.ready(self._status_line({"state": self.state}))
            await self._track_chats()
            await self.engine.start()
            self.media.start()
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
                            await self.reload_config()
                        except InvalidArgument:
                            pass   # logged and reported; the running configuration stays
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
            log.error("needs-login: run `tobsctl login`, or `tobsd login --config %s`",
                      self.config.source)
            # Up and reporting, just not syncing: systemd must not time the start out.
            self.notifier.ready(one_line({"state": self.state}))
        await self._shutdown()

    async def _shutdown(self) -> None:
        if self.media is not None:
            # Downloads stop first: their partial files stay for the next start.
            await self.media.stop()
            await self.media.source.close()
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
            if current is not None and current != self._refused_key \
                    and not self.service.login_busy:   # an API login writes it as it goes
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
                self.notifier.status(self._status_line(await self.collect_status()))

    async def _select(self, config: Config) -> list:
        """The configuration's chats, then those added through the API."""
        rows = await self.store.chats.list()
        known = [chat_from_row(row) for row in rows]
        selected, self.unresolved = await select_chats(config, self.source, known)
        origins: dict[int, Origin] = {}
        for item in selected:
            if item.options in config.chats:
                index = config.chats.index(item.options)
                origins[item.chat.id] = Origin(
                    "config", f"{config.source}: chats[{index}]",
                    item.options)
            else:
                origins[item.chat.id] = Origin("sync_all", f"{config.source}: [sync] all",
                                               item.options)
        by_id = {row.id: row for row in rows}
        for row in await self.store.api_chats.list():
            if row.chat_id in origins or row.chat_id not in by_id:
                continue
            options = ChatConfig(ref=ChatRef(id=row.chat_id), since=row.since, media=row.media,
                                 remove_deleted=row.remove_deleted)
            selected.append(Selected(chat_from_row(by_id[row.chat_id]), options))
            origins[row.chat_id] = Origin("api", f"added with tobsctl as {row.ref}", options)
        self.origins = origins
        return selected

    async def _track_chats(self, selected: list | None = None) -> None:
        for item in selected if selected is not None else await self._select(self.config):
            self._chat_settings(item.chat.id, item.options)
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

    async def reload_config(self) -> dict:
        """Read the configuration file again and apply it (SIGHUP, the API).
        An invalid file raises InvalidArgument; the running configuration
        stays in force and the reason shows in status and events."""
        async with self._reload_lock:
            try:
                new = load_config(self.config.source)
            except ConfigError as exc:
                self.config_error = str(exc)
                log.error("configuration not reloaded: %s", exc)
                self.events.publish("config_reloaded", ok=False, error=str(exc), chats=0)
                self.report_soon()
                raise InvalidArgument(f"configuration not reloaded: {exc}") from None
            self.config, self.config_error = new, None
            if self.engine is None or self.state != "running":
                self.events.publish("config_reloaded", ok=True, error="", chats=0)
                return {"chats": 0, "unresolved": []}
            selected = await self._select(new)
            keep = {item.chat.id for item in selected}
            for chat_id in list(self.engine.chats):
                if chat_id not in keep:
                    await self.engine.remove_chat(chat_id)
            await self._track_chats(selected)
            count = len(self.engine.chats)
            log.info("configuration reloaded: %d chats", count)
            self.events.publish("config_reloaded", ok=True, error="", chats=count)
            self.report_soon()
            return {"chats": count, "unresolved": [{"ref": str(u.ref), "error": u.error}
                                                   for u in self.unresolved]}

    async def add_api_chat(self, chat, options: ChatConfig, ref_text: str) -> None:
        """Track a chat added through the API and keep it in the state database."""
        self.origins[chat.id] = Origin("api", f"added with tobsctl as {ref_text}", options)
        self._chat_settings(chat.id, options)
        await self.engine.add_chat(chat, ChatOptions(since=options.since))
        await self.store.api_chats.put(chat.id, ref_text, since=options.since, media=options.media,
                                       remove_deleted=options.remove_deleted)
        log.info("chat %s added through the API", chat.title)
        self.report_soon()

    async def remove_api_chat(self, chat, *, delete_notes: bool = False):
        """Stop tracking an API chat; with delete_notes, then remove its
        files that are tobsd's alone (tobsd.vault.purge). The PurgeResult, or None."""
        await self.engine.remove_chat(chat.id)     # its api_chats row goes with the chat
        self.origins.pop(chat.id, None)
        self.report_soon()
        if not delete_notes:
            return None
        shown_elsewhere = await self.store.media.shown_elsewhere(chat.id)
        purged = await self.writer.purge_chat(chat, shown_elsewhere)
        # The chat's media rows go with its files, so a chat added again
        # downloads what was deleted instead of showing it done.
        if await self.store.media.forget_deleted(chat.id, purged.deleted_media) and self.media:
            self.media.wake()
        return purged

    def _chat_settings(self, chat_id: int, options: ChatConfig) -> None:
        if self.media is not None:
            self.media.set_chat(chat_id, chat_media(self.config.media, options.media, options.media_kinds,
                                                    options.media_max_size_mb,
                                                    chat_compact(self.config.processing, options.compact)),
                                drop_done=options.remove_deleted)
        if options.remove_deleted != self.config.sync.remove_deleted:
            base = self.writer.config.default_chat
            self.writer.set_chat_settings(chat_id, ChatSettings(
                tz=base.tz, period=base.period, remove_deleted=options.remove_deleted))

    async def _watch_config(self) -> None:
        """Reload when the configuration file changes (watchfiles; the
        folder is watched, so an editor's write-and-rename is seen too)."""
        import watchfiles
        source = Path(self.config.source).resolve()
        try:
            async for changes in watchfiles.awatch(source.parent, recursive=False,
                                                   stop_event=self._stop, debounce=300,
                                                   rust_timeout=1000):
                if not any(Path(path).resolve() == source for _, path in changes):
                    continue
                log.info("the configuration file changed; reloading")
                try:
                    await self.reload_config()
                except InvalidArgument:
                    pass   # logged and reported; the running configuration stays
                except Exception:
                    log.exception("reloading the changed configuration failed")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("watching %s failed; use SIGHUP or `tobsctl reload`", source)

    async def _start_processor(self) -> None:
        """Detect the accelerators (test jobs off the loop) while the daemon
        connects; status shows the result as soon as it is known."""
        try:
            await self.processor.start()
        except Exception:
            log.exception("media processing could not start; its jobs report the failure")
        self.report_soon()

    def login_flow(self):
        """A step-by-step login on the configured session file (the API's Login)."""
        from tobsd.telegram.login import LoginFlow
        return LoginFlow(self.config)

    def report_soon(self) -> None:
        """A state changed: refresh the status snapshot now, not at the next tick."""
        self._status_due.set()

    # --- reporting ------------------------------------------------------------------------
    async def collect_status(self) -> dict:
        engine = await self.engine.status() if self.engine else {}
        # A chat the configuration names but that could not be resolved or
        # added is listed too, in "error" with the reason: the user sees it
        # where the other chats are.
        failed = [{"id": None, "title": str(u.ref), "ref": str(u.ref), "state": "error",
                   "error": u.error, "written": 0, "indexed": 0, "backfill_done": False}
                  for u in self.unresolved]
        return {
            "state": self.state, "pid": os.getpid(),
            "error": self.engine.error if self.engine else None,
            "chats": engine.get("chats", []) + failed,
            "source": engine.get("source", {}),
            "catch_up": engine.get("catch_up", {}),
            "media": await self.media.status() if self.media is not None else None,
            "unresolved": [{"ref": str(u.ref), "error": u.error} for u in self.unresolved],
        }

    def _status_line(self, status: dict) -> str:
        if status.get("state") == DaemonState.CONNECTING and self._connected:
            return "connected to Telegram; resolving the chats"
        return one_line(status)

    async def _report_loop(self) -> None:
        """Refresh the status snapshot the control API answers from and
        systemd's STATUS= line: at once when a state changes, every second
        while anything is under way, and at rest (tobsd.reportdue.at_rest)
        only when messages are written, else once a minute. A failing
        refresh is logged when it starts failing and when it recovers, not
        every second."""
        failing: str | None = None
        status: dict = {}
        while True:
            try:
                status = await self.service.refresh()
                self.notifier.status(self._status_line(status))
                if failing is not None:
                    log.info("status report works again")
                failing = None
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                if reason != failing:
                    log.error("status report failed: %s", reason,
                              exc_info=not isinstance(exc, OSError))
                failing = reason
            await self._status_due.wait(at_rest=failing is None and at_rest(status))

