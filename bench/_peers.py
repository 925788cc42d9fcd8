"""The peers tobsd is measured against, each run as its own process and timed
from spawn to exit:

* the plain Telethon loop (`bench/_telethon_loop.py`, the project's Telethon
  and cryptg);
* tg-archive 1.3.1 from PyPI, in its own venv under `bench/.venvs/tg-archive/`
  with the Telethon it pins, run for its sync step only
  (`tg-archive --sync`), writing into its own SQLite DB.

A peer that does not get every message counts as failed: its rate is not
reported (a fast partial run is not a result). The one exception is a run
given a window (`window_s`, for limits.py, where a peer under a strict flood
model would take many minutes): a peer still running when the window ends is
stopped, and its rate is what fakegram delivered to it in that window (see
`delivered_in_window`).
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from _fakegram import ROOT, FakegramProcess

TG_ARCHIVE_VERSION = "1.3.1"
TG_ARCHIVE_VENV = ROOT / "bench" / ".venvs" / "tg-archive"


class PeerFailed(Exception):
    """A peer could not be installed or did not sync everything; the message
    says why (it goes into the report's notes)."""


#: What one history request delivers: Telethon asks for pages of 100.
PAGE = 100
HISTORY = ("messages.getHistory",)


def delivered_in_window(fg: FakegramProcess, since_seq: int, until: float, expected: int) -> int:
    """Messages fakegram delivered in history pages answered (without an
    error) after request `since_seq` and before the wall time `until`: 100 a
    page, at most `expected`. It counts what reached the peer, stored or
    not, so it is on the peer's side."""
    pages = sum(1 for r in fg.control.requests(since=since_seq)
                if r["method"] in HISTORY and not r.get("error") and r["at"] <= until)
    return min(expected, pages * PAGE)


def _run_windowed(argv: list[str], fg: FakegramProcess, expected: int, window_s: float,
                  *, cwd: Path | None = None, what: str,
                  count_done: Callable[[subprocess.CompletedProcess], int]) -> dict:
    """Runs a peer for at most `window_s` seconds. Finished in time: its own
    count over its own time, as without a window. Still running: stopped,
    and rated by `delivered_in_window` over the window."""
    since = fg.last_request_seq()
    started_wall = time.time()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        out, err = proc.communicate(timeout=window_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        end_wall = started_wall + window_s
        count = delivered_in_window(fg, since, end_wall, expected)
        return {"seconds": window_s, "messages": count, "msgs_per_s": count / window_s,
                "complete": False, "window_s": window_s}
    seconds = time.perf_counter() - start
    done = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    if done.returncode != 0:
        raise PeerFailed(f"{what} exited {done.returncode}: {(err or '')[-1500:]}")
    count = count_done(done)
    if count != expected:
        raise PeerFailed(f"{what} got {count} of {expected} messages")
    return {"seconds": seconds, "messages": count, "msgs_per_s": count / seconds,
            "complete": True, "window_s": window_s}


def run_telethon_loop(fg: FakegramProcess, session: Path, workdir: Path, expected: int, *,
                      default_wait: bool = False, all_dialogs: bool = False,
                      window_s: float | None = None) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "loop.txt"
    argv = [sys.executable, str(ROOT / "bench" / "_telethon_loop.py"),
            "--ready-file", str(fg.ready_file), "--session", str(session),
            "--out", str(out)] + (["--default-wait"] if default_wait else []) \
        + (["--all-dialogs"] if all_dialogs else [])
    if window_s is not None:
        return _run_windowed(argv, fg, expected, window_s, what="telethon loop",
                             count_done=lambda done: json.loads(
                                 done.stdout.strip().splitlines()[-1])["count"])
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise PeerFailed(f"telethon loop exited {result.returncode}: {result.stderr[-1500:]}")
    count = json.loads(result.stdout.strip().splitlines()[-1])["count"]
    if count != expected:
        raise PeerFailed(f"telethon loop saw {count} of {expected} messages")
    return {"seconds": seconds, "messages": count, "msgs_per_s": count / seconds}


# --- tg-archive ----------------------------------------------------------------------------
def tg_archive_python() -> Path:
    """The tg-archive venv's interpreter, creating the venv on first use."""
    python = TG_ARCHIVE_VENV / "bin" / "python"
    if python.exists() and _has_tg_archive(python):
        return python
    try:
        # The base interpreter, not this venv's: the new venv must not see
        # the project's packages (tg-archive brings its own Telethon).
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(TG_ARCHIVE_VENV)],
                       check=True, capture_output=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "-q",
                        f"tg-archive=={TG_ARCHIVE_VERSION}"],
                       check=True, capture_output=True, text=True, timeout=900)
    except subprocess.CalledProcessError as exc:
        raise PeerFailed(f"could not install tg-archive {TG_ARCHIVE_VERSION}: "
                         f"{(exc.stderr or '')[-500:]}") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PeerFailed(f"could not install tg-archive {TG_ARCHIVE_VERSION}: {exc}") from exc
    if not _has_tg_archive(python):
        raise PeerFailed("tg-archive venv was created but tgarchive does not import")
    return python


def _has_tg_archive(python: Path) -> bool:
    check = subprocess.run([str(python), "-c", "import tgarchive, telethon"],
                           capture_output=True, timeout=120)
    return check.returncode == 0


def tg_archive_telethon_version(python: Path) -> str:
    out = subprocess.run([str(python), "-c", "import telethon; print(telethon.__version__)"],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def run_tg_archive(fg: FakegramProcess, python: Path, workdir: Path, expected: int, *,
                   window_s: float | None = None) -> dict:
    """One fresh `tg-archive --sync` of @synthetic. The config follows the
    project's example with media and avatars off (the world has none), no
    wait between batches and batches of 2,000 (Telethon adds no sleep below
    3,000 per call)."""
    workdir.mkdir(parents=True, exist_ok=True)
    session = fg.write_session(workdir / "session.session")
    data = workdir / "data.sqlite"
    data.unlink(missing_ok=True)
    (workdir / "config.yaml").write_text(
        f"api_id: {fg.ready['api_id']}\n"
        f"api_hash: {json.dumps(fg.ready['api_hash'])}\n"
        'group: "synthetic"\n'
        "download_media: False\n"
        "download_avatars: False\n"
        "fetch_batch_size: 2000\n"
        "fetch_wait: 0\n"
        "fetch_limit: 0\n"
        "use_takeout: False\n")
    argv = [str(python), "-c", "import sys, tgarchive; sys.exit(tgarchive.main())",
            "--sync", "-c", "config.yaml", "-d", str(data), "-se", str(session)]
    if window_s is not None:
        def stored(_done) -> int:
            with sqlite3.connect(data) as db:
                return db.execute("SELECT count(*) FROM messages").fetchone()[0]
        return _run_windowed(argv, fg, expected, window_s, cwd=workdir, what="tg-archive",
                             count_done=stored)
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise PeerFailed(f"tg-archive exited {result.returncode}: {result.stderr[-1500:]}")
    with sqlite3.connect(data) as db:
        count = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    if count != expected:
        raise PeerFailed(f"tg-archive stored {count} of {expected} messages")
    return {"seconds": seconds, "messages": count, "msgs_per_s": count / seconds}
