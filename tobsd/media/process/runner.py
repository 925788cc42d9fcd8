"""One way to run ffmpeg and ffprobe: argv in, an error carrying ffmpeg's
last stderr line out.

Argv lists are built with ffmpeg-python (`compile`) by the callers; this
module only runs them. `Runner` is the seam the accelerator logic is tested
through: `SubprocessRunner` runs the real binaries, a unit test hands a fake.
Every run has a timeout, and `terminate_all` ends the ffmpeg processes still
running when the daemon stops, so a stop never waits for a long encode.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
import threading
from pathlib import Path
from typing import IO, Iterable, Protocol, Sequence

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"


class FfmpegError(Exception):
    """ffmpeg or ffprobe failed: `line` is its last meaningful stderr line."""

    def __init__(self, what: str, line: str, returncode: int | None = None) -> None:
        self.what, self.line, self.returncode = what, line, returncode
        super().__init__(f"{what}: {line}" if line else what)


class Runner(Protocol):
    """Runs one command to completion; raises FfmpegError on failure or timeout."""

    def run(self, argv: Sequence[str], timeout: float) -> str:
        """Run `argv`; return its stdout as text."""
        ...

    def feed(self, argv: Sequence[str], chunks: Iterable[bytes], timeout: float) -> None:
        """Run `argv` with `chunks` written to its standard input, one at a
        time (so a long stream of raw frames is never all in memory)."""
        ...


_COMPONENT = re.compile(r"^\[([^\]@]+?) @ 0x[0-9a-f]+\]\s*(.+)$")


def last_line(stderr: str) -> str:
    """Why ffmpeg failed, in one line: the first message a component (a
    codec, a device, a demuxer) logged, which names the cause ("h264_nvenc:
    Cannot load libcuda.so.1"), else the last non-empty line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        found = _COMPONENT.match(line)
        if found:
            return f"{found.group(1).strip()}: {found.group(2)}"[:300]
    return lines[-1][:300] if lines else ""


class SubprocessRunner:
    """Runs the system ffmpeg/ffprobe. Thread-safe: jobs call it from a pool."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self._closed = False

    def run(self, argv: Sequence[str], timeout: float) -> str:
        what = Path(argv[0]).name
        with self._lock:
            if self._closed:
                raise FfmpegError(what, "processing is stopping")
            try:
                proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
            except OSError as exc:
                raise FfmpegError(what, f"cannot run {argv[0]}: {exc.strerror or exc}") from None
            self._running.add(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise FfmpegError(what, f"took longer than {timeout:.0f} s; stopped") from None
        finally:
            with self._lock:
                self._running.discard(proc)
        if proc.returncode != 0:
            line = last_line(err.decode("utf-8", "replace"))
            raise FfmpegError(what, line or f"exit status {proc.returncode}", proc.returncode)
        return out.decode("utf-8", "replace")

    def feed(self, argv: Sequence[str], chunks: Iterable[bytes], timeout: float) -> None:
        what = Path(argv[0]).name
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._closed:
                raise FfmpegError(what, "processing is stopping")
            try:
                proc = subprocess.Popen(list(argv), stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            except OSError as exc:
                raise FfmpegError(what, f"cannot run {argv[0]}: {exc.strerror or exc}") from None
            self._running.add(proc)
        # stderr is read while the frames are written: a full pipe must not stall ffmpeg
        tail: list[bytes] = []
        reader = threading.Thread(target=_drain, args=(proc.stderr, tail), daemon=True)
        reader.start()
        try:
            self._write_all(proc, chunks, deadline, what, timeout)
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise FfmpegError(what, f"took longer than {timeout:.0f} s; stopped") from None
        finally:
            reader.join(10)
            with self._lock:
                self._running.discard(proc)
        if proc.returncode != 0:
            line = last_line(b"".join(tail).decode("utf-8", "replace"))
            raise FfmpegError(what, line or f"exit status {proc.returncode}", proc.returncode)

    @staticmethod
    def _write_all(proc: subprocess.Popen, chunks: Iterable[bytes], deadline: float, what: str,
                   timeout: float) -> None:
        stdin: IO[bytes] = proc.stdin
        try:
            for chunk in chunks:
                if time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    raise FfmpegError(what, f"took longer than {timeout:.0f} s; stopped")
                stdin.write(chunk)
        except BrokenPipeError:
            pass   # ffmpeg stopped reading: its exit status and stderr say why
        finally:
            try:
                stdin.close()
            except BrokenPipeError:
                pass

    def terminate_all(self) -> None:
        """Stop accepting runs and end the ones in progress."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        for proc in running:
            try:
                proc.kill()
            except OSError:
                pass


def _drain(stream: IO[bytes], tail: list[bytes], keep: int = 64 * 1024) -> None:
    """Read `stream` to its end, keeping about its last `keep` bytes in `tail`."""
    size = 0
    for chunk in iter(lambda: stream.read(4096), b""):
        tail.append(chunk)
        size += len(chunk)
        while size > keep and len(tail) > 1:
            size -= len(tail.pop(0))
    stream.close()


def probe(runner: Runner, path: Path, timeout: float = 60) -> dict:
    """ffprobe's JSON for `path` (format and streams)."""
    out = runner.run([FFPROBE, "-v", "error", "-print_format", "json", "-show_format",
                      "-show_streams", str(path)], timeout)
    try:
        return json.loads(out)
    except ValueError:
        raise FfmpegError("ffprobe", "unreadable output") from None


def first_stream(info: dict, codec_type: str) -> dict | None:
    """The first stream of `codec_type` ("audio", "video") in ffprobe's JSON."""
    for stream in info.get("streams", []):
        if stream.get("codec_type") == codec_type:
            return stream
    return None
