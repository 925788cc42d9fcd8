"""The accelerator logic with a fake ffmpeg: which family detection picks
from which test jobs pass, the GPU plans it builds, the fallback to the CPU,
the cap on GPU jobs and the bounded pool. (Real ffmpeg runs in
tests/integration/media; real GPUs in test_gpu.py there, when present.)"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from pathlib import Path

import pytest

from tests.conditions import slack, wait_for, wait_for_sync
from tobsd.core.config_processing import ProcessingConfig
from tobsd.core.media import CompactProfile, DerivedRole, ProcessRequest
from tobsd.core.models import MediaKind
from tobsd.media.process import FfmpegProcessor
from tobsd.media.process.accel import FamilyResult, detect
from tobsd.media.process.atomic import TEMP_PREFIX, atomic_output
from tobsd.media.process.gpu import GpuGate
from tobsd.media.process.runner import FfmpegError, last_line
from tobsd.media.process.video import VideoInfo, compact_gpu_command

VIDEO_PROBE = {"format": {"duration": "10.0", "bit_rate": "8000000", "format_name": "mov,mp4"},
               "streams": [{"codec_type": "video", "codec_name": "h264", "width": 1920, "height": 1080},
                           {"codec_type": "audio", "codec_name": "aac"}]}


class FakeFfmpeg:
    """Fails every command that names one of `broken` (an encoder, a
    filter, a hwaccel); writes a few bytes to a command's output file."""

    def __init__(self, broken: set[str], probe: dict = VIDEO_PROBE) -> None:
        self.broken, self.probe = broken, probe
        self.ran: list[list[str]] = []
        self.lock = threading.Lock()

    def run(self, argv, timeout):
        with self.lock:
            self.ran.append(list(argv))
        if argv[0] == "ffprobe":
            return json.dumps(self.probe)
        words = " ".join(argv)
        for name in self.broken:
            if name in words:
                raise FfmpegError("ffmpeg", f"{name}: Cannot load libcuda.so.1")
        if argv[-1] != "-" and "/" in argv[-1]:
            Path(argv[-1]).write_bytes(b"\0" * 64)
        return ""


NO_GPU = {"h264_cuvid", "scale_cuda", "h264_nvenc", "vaapi", "qsv"}
H100 = {"h264_nvenc", "vaapi", "qsv"}          # decodes and scales, cannot encode


def test_no_gpu_means_the_cpu_with_a_reason_per_family(tmp_path):
    found = detect(FakeFfmpeg(NO_GPU), "auto", str(tmp_path / "renderD128"))
    report = found.report()
    assert report.used == "cpu" and report.found == {} and not report.can_decode
    assert "nvidia: decode: h264_cuvid: Cannot load libcuda.so.1" in report.notes
    assert f"vaapi: no render node {tmp_path / 'renderD128'}" in report.notes
    assert any(n.startswith("qsv: ") for n in report.notes)


def test_a_gpu_that_decodes_but_cannot_encode_is_used_for_decoding(tmp_path):
    fake = FakeFfmpeg(H100)
    report = detect(fake, "auto", str(tmp_path / "none")).report()
    assert report.used == "nvidia" and report.can_decode and not report.can_encode
    assert "decode+scale passed" in report.found["nvidia"] and "encode failed" in report.found["nvidia"]
    # the test jobs really decode through the GPU: cuvid, and scale_cuda on CUDA frames
    words = [" ".join(a) for a in fake.ran]
    assert any("-c:v h264_cuvid" in w for w in words)
    assert any("-hwaccel_output_format cuda" in w and "scale_cuda" in w for w in words)
    assert any("-c:v h264_nvenc" in w for w in words)


def test_configured_cpu_runs_no_test_job():
    fake = FakeFfmpeg(set())
    assert detect(fake, "cpu").report().used == "cpu" and fake.ran == []


def test_gpu_plans_follow_what_detection_proved(tmp_path):
    info = VideoInfo(1920, 1080, 10.0, 8_000_000, True, "h264")
    profile = CompactProfile(max_height=720, max_kbps=1500)
    src, dst = tmp_path / "a.mp4", tmp_path / "a.compact.mp4"
    decode_only = compact_gpu_command(src, dst, info, profile, FamilyResult("nvidia", decode=True), "")
    text = " ".join(decode_only)
    assert "-hwaccel cuda" in text and "scale_cuda=1280:720" in text and "hwdownload" in text
    assert "libx264" in text and "nvenc" not in text and decode_only[-1] == str(dst)
    full = " ".join(compact_gpu_command(src, dst, info, profile,
                                        FamilyResult("nvidia", decode=True, encode=True), ""))
    assert "h264_nvenc" in full and "hwdownload" not in full and "-b:v 1500k" in full
    vaapi = compact_gpu_command(src, dst, info, profile, FamilyResult("vaapi", encode=True), "/dev/dri/x")
    assert vaapi.index("-vaapi_device") < vaapi.index("-i") and "h264_vaapi" in vaapi
    assert "hwupload" in " ".join(vaapi)
    assert compact_gpu_command(src, dst, info, profile, FamilyResult("qsv"), "") is None


async def test_a_failing_gpu_job_runs_on_the_cpu_logged_once_and_counted(tmp_path, caplog):
    fake = FakeFfmpeg(H100)
    p = FfmpegProcessor(ProcessingConfig(vaapi_device=str(tmp_path / "none")), runner=fake)
    await p.start()
    assert p.report().used == "nvidia"
    fake.broken = H100 | {"scale_cuda"}          # the GPU breaks after detection
    caplog.set_level(logging.DEBUG, "tobsd.media.process")
    src = tmp_path / "film.mp4"
    src.write_bytes(b"video")
    for _ in range(2):
        result = await p.process(ProcessRequest(source=src, kind=MediaKind.VIDEO, out_dir=tmp_path,
                                                stem="film", compact=CompactProfile()))
        assert result.errors == () and result.accelerator == "cpu"
        assert DerivedRole.COMPACT in [d.role for d in result.derived]
    assert p.report().fallbacks == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "compact on nvidia" in r.message]
    assert len(warnings) == 1 and "Cannot load libcuda" in warnings[0].message
    cpu_runs = [a for a in fake.ran if a[-1].endswith("film.compact.mp4") and "-hwaccel" not in a]
    assert len(cpu_runs) == 2
    assert not [n for n in (x.name for x in tmp_path.iterdir()) if n.startswith(TEMP_PREFIX)]
    # a working GPU does the job itself
    fake.broken = H100
    result = await p.process(ProcessRequest(source=src, kind=MediaKind.VIDEO, out_dir=tmp_path,
                                            stem="film", compact=CompactProfile()))
    assert result.accelerator == "nvidia" and p.report().fallbacks == 2
    await p.close()


def test_gpu_jobs_are_capped():
    gate = GpuGate("nvidia", cap=2)
    release = threading.Event()
    inside = []
    lock = threading.Lock()

    def job():
        with lock:
            inside.append(1)
        release.wait(slack(30))
        return "done"
    results = []
    threads = [threading.Thread(target=lambda: results.append(gate.run("compact", job, lambda: "cpu")))
               for _ in range(6)]
    for t in threads:
        t.start()
    wait_for_sync(lambda: len(inside) == 2, what="two GPU jobs to start")
    assert gate.peak == 2 and len(inside) == 2     # the others wait for a slot
    release.set()
    for t in threads:
        t.join(slack(30))
    assert results == [("done", "nvidia")] * 6 and gate.peak == 2


async def test_the_pool_bounds_jobs_at_once(tmp_path):
    inside, peak, release = [0], [0], threading.Event()
    lock = threading.Lock()

    class Slow(FakeFfmpeg):
        def run(self, argv, timeout):
            if argv[0] == "ffprobe":
                return json.dumps(self.probe)
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            release.wait(slack(30))
            with lock:
                inside[0] -= 1
            return super().run(argv, timeout)

    p = FfmpegProcessor(ProcessingConfig(accelerator="cpu", workers=2), runner=Slow(set()))
    await p.start()
    sources = []
    for i in range(5):
        (tmp_path / f"v{i}.mp4").write_bytes(b"x")
        sources.append(ProcessRequest(source=tmp_path / f"v{i}.mp4", kind=MediaKind.VIDEO,
                                      out_dir=tmp_path, stem=f"v{i}"))
    jobs = [asyncio.create_task(p.process(r)) for r in sources]
    await wait_for(lambda: inside[0] == 2, what="two jobs in the pool")
    assert peak[0] == 2
    release.set()
    results = await asyncio.gather(*jobs)
    assert all(r.errors == () for r in results) and peak[0] == 2
    await p.close()


def test_a_failed_job_leaves_neither_the_file_nor_a_temporary(tmp_path):
    final = tmp_path / "x.ogg"
    with pytest.raises(FfmpegError):
        with atomic_output(final) as tmp:
            tmp.write_bytes(b"half a file")
            raise FfmpegError("ffmpeg", "killed")
    assert list(tmp_path.iterdir()) == []
    with atomic_output(final) as tmp:
        tmp.write_bytes(b"whole")
    assert final.read_bytes() == b"whole" and [p.name for p in tmp_path.iterdir()] == ["x.ogg"]


def test_the_temporary_prefix_is_the_one_the_startup_sweep_removes():
    from tobsd.vault.atomic import TEMP_PREFIX as VAULT_PREFIX
    assert TEMP_PREFIX == VAULT_PREFIX


def test_ffmpegs_reason_is_the_component_that_failed():
    stderr = ("[h264_nvenc @ 0x5589315d1580] Cannot load libcuda.so.1\n"
              "Error initializing output stream 0:0 -- Error while opening encoder\n")
    assert last_line(stderr) == "h264_nvenc: Cannot load libcuda.so.1"
    assert last_line("first\nConversion failed!\n") == "Conversion failed!"


async def test_close_ends_running_jobs_and_answers_queued_ones(tmp_path):
    release, inside = threading.Event(), threading.Event()

    class Blocking(FakeFfmpeg):
        def run(self, argv, timeout):
            if argv[0] == "ffmpeg" and "poster" in argv[-1]:
                inside.set()
                release.wait(slack(30))
                raise FfmpegError("ffmpeg", "killed")
            return super().run(argv, timeout)

        def terminate_all(self):
            release.set()

    p = FfmpegProcessor(ProcessingConfig(accelerator="cpu", workers=1), runner=Blocking(set()))
    await p.start()
    jobs = []
    for i in range(3):
        (tmp_path / f"v{i}.mp4").write_bytes(b"x")
        jobs.append(asyncio.create_task(p.process(ProcessRequest(
            source=tmp_path / f"v{i}.mp4", kind=MediaKind.VIDEO, out_dir=tmp_path, stem=f"v{i}"))))
    await wait_for(inside.is_set, what="the first job to run")
    await p.close()
    first, *queued = await asyncio.gather(*jobs)
    assert first.derived == () and first.errors == ("poster: ffmpeg: killed",)
    assert all(r.errors == ("processing is stopping",) for r in queued)
    late = await p.process(ProcessRequest(source=tmp_path / "v0.mp4", kind=MediaKind.VIDEO,
                                          out_dir=tmp_path, stem="v0"))
    assert late.errors == ("processing is stopping",)
    assert [n for n in os.listdir(tmp_path) if n.startswith(TEMP_PREFIX)] == []
