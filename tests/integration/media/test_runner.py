"""The ffmpeg runner with the real ffmpeg: the reason it gives for a
failure, a stream fed on stdin, the timeout, and the stop."""
from __future__ import annotations

import itertools
import threading

import pytest

from tests.conditions import slack
from tobsd.media.process.runner import FfmpegError, SubprocessRunner

RAW = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", "bgra",
       "-s", "4x4", "-r", "10", "-i", "pipe:0"]
FRAME = b"\x10\x20\x30\xff" * 16


def test_a_failure_names_what_failed(tmp_path):
    runner = SubprocessRunner()
    with pytest.raises(FfmpegError) as failed:
        runner.feed([*RAW, "-c:v", "no_such_encoder", str(tmp_path / "x.webp")], [FRAME], 60)
    assert "no_such_encoder" in failed.value.line
    with pytest.raises(FfmpegError) as failed:
        runner.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"], 60)
    assert "No such file or directory" in failed.value.line
    with pytest.raises(FfmpegError, match="cannot run"):
        runner.run(["/nonexistent/ffmpeg"], 60)


def test_frames_fed_on_stdin_become_a_file(tmp_path):
    out = tmp_path / "x.webp"
    SubprocessRunner().feed([*RAW, "-c:v", "libwebp_anim", "-loop", "0", "-f", "webp", str(out)],
                            (FRAME for _ in range(20)), 60)
    assert out.read_bytes()[:4] == b"RIFF"


def test_an_endless_job_is_stopped_at_its_timeout():
    with pytest.raises(FfmpegError, match="took longer than 1 s"):
        SubprocessRunner().feed([*RAW, "-f", "null", "-"], itertools.repeat(FRAME), 1)


def test_terminate_all_ends_running_jobs_and_refuses_new_ones():
    runner = SubprocessRunner()
    errors = []
    started = threading.Event()

    def endless():
        for frame in itertools.repeat(FRAME):
            started.set()
            yield frame

    def job():
        try:
            runner.feed([*RAW, "-f", "null", "-"], endless(), 600)
        except FfmpegError as exc:
            errors.append(exc)
    worker = threading.Thread(target=job)
    worker.start()
    assert started.wait(slack(30))
    runner.terminate_all()
    worker.join(slack(30))
    assert not worker.is_alive() and len(errors) == 1
    with pytest.raises(FfmpegError, match="stopping"):
        runner.run(["ffmpeg", "-version"], 10)
