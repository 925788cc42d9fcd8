"""Which GPU can process video, found by doing it once.

Listing ffmpeg's encoders says what ffmpeg was built with, not what the
machine can do: Debian's ffmpeg lists h264_nvenc everywhere, and
`-hwaccel cuda` quietly decodes on the CPU when CUDA does not start. So each
family gets a one-frame test decode (through the GPU scaler, which fails on
frames that did not come from the GPU) and a one-frame test encode:

    nvidia  decode: h264_cuvid; scale: -hwaccel cuda + scale_cuda; encode: h264_nvenc
    vaapi   decode + scale: -hwaccel vaapi + scale_vaapi;          encode: h264_vaapi
    qsv     decode + scale: h264_qsv + scale_qsv;                  encode: h264_qsv

A family whose decode passes but whose encode fails (an H100 has no NVENC)
is used for decoding and scaling with an encode on the CPU.
"""
from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tobsd.core.media import AcceleratorReport
from tobsd.media.process.runner import FFMPEG, FfmpegError, Runner

log = logging.getLogger("tobsd.media.process")

FAMILIES = ("nvidia", "vaapi", "qsv")
PROBE_TIMEOUT_S = 30
_SOURCE = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"]
_QUIET = [FFMPEG, "-hide_banner", "-nostdin", "-v", "error", "-y"]
_NULL = ["-frames:v", "1", "-f", "null", "-"]


@dataclass(frozen=True, slots=True)
class FamilyResult:
    """What the test jobs proved for one family; `failures` says why each
    failed step failed (ffmpeg's last line)."""
    family: str
    decode: bool = False
    encode: bool = False
    failures: tuple[str, ...] = ()

    def describe(self) -> str:
        done = [w for w, ok in (("decode+scale", self.decode), ("encode", self.encode)) if ok]
        missing = [w for w, ok in (("decode+scale", self.decode), ("encode", self.encode)) if not ok]
        text = ", ".join(done) + " passed"
        if missing:
            text += f"; {', '.join(missing)} failed (the CPU does it)"
        return text


@dataclass(slots=True)
class Accelerators:
    """The detection's outcome: `used` is None when jobs run on the CPU."""
    results: dict[str, FamilyResult] = field(default_factory=dict)
    used: FamilyResult | None = None
    notes: list[str] = field(default_factory=list)

    def report(self, fallbacks: int = 0, extra_notes: tuple[str, ...] = ()) -> AcceleratorReport:
        found = {r.family: r.describe() for r in self.results.values() if r.decode or r.encode}
        used = self.used
        return AcceleratorReport(found=found, used=used.family if used else "cpu",
                                 can_encode=bool(used and used.encode),
                                 can_decode=bool(used and used.decode),
                                 fallbacks=fallbacks, notes=(*self.notes, *extra_notes))


def decode_probes(family: str, sample: Path, vaapi_device: str) -> list[list[str]]:
    """The test decodes of `family`; all must pass for it to decode."""
    src = str(sample)
    if family == "nvidia":
        return [[*_QUIET, "-c:v", "h264_cuvid", "-i", src, *_NULL],
                [*_QUIET, "-hwaccel", "cuda", "-hwaccel_output_format", "cuda", "-i", src,
                 "-vf", "scale_cuda=160:120,hwdownload,format=nv12", *_NULL]]
    if family == "vaapi":
        return [[*_QUIET, "-hwaccel", "vaapi", "-hwaccel_device", vaapi_device,
                 "-hwaccel_output_format", "vaapi", "-i", src,
                 "-vf", "scale_vaapi=w=160:h=120,hwdownload,format=nv12", *_NULL]]
    if family == "qsv":
        return [[*_QUIET, "-hwaccel", "qsv", "-hwaccel_output_format", "qsv", "-c:v", "h264_qsv",
                 "-i", src, "-vf", "scale_qsv=w=160:h=120,hwdownload,format=nv12", *_NULL]]
    raise ValueError(family)


def encode_probe(family: str, vaapi_device: str) -> list[str]:
    """The test encode of `family`: one synthetic frame through its H.264 encoder."""
    if family == "nvidia":
        return [*_QUIET, *_SOURCE, "-c:v", "h264_nvenc", *_NULL]
    if family == "vaapi":
        return [*_QUIET, "-vaapi_device", vaapi_device, *_SOURCE,
                "-vf", "format=nv12,hwupload", "-c:v", "h264_vaapi", *_NULL]
    if family == "qsv":
        return [*_QUIET, *_SOURCE, "-vf", "format=nv12", "-c:v", "h264_qsv", *_NULL]
    raise ValueError(family)


def probe_family(runner: Runner, family: str, sample: Path | None, vaapi_device: str) -> FamilyResult:
    """Run `family`'s test jobs; never raises."""
    failures: list[str] = []
    if family in ("vaapi", "qsv") and not os.path.exists(vaapi_device):
        return FamilyResult(family, failures=(f"no render node {vaapi_device}",))
    decode = sample is not None
    if sample is None:
        failures.append("decode: no test clip (the CPU H.264 encode failed)")
    for argv in decode_probes(family, sample, vaapi_device) if sample is not None else []:
        try:
            runner.run(argv, PROBE_TIMEOUT_S)
        except FfmpegError as exc:
            decode = False
            failures.append(f"decode: {exc.line}")
            break
    try:
        runner.run(encode_probe(family, vaapi_device), PROBE_TIMEOUT_S)
        encode = True
    except FfmpegError as exc:
        encode = False
        failures.append(f"encode: {exc.line}")
    return FamilyResult(family, decode=decode, encode=encode, failures=tuple(failures))


def make_sample(runner: Runner, folder: Path) -> Path | None:
    """A short H.264 clip made on the CPU, for the test decodes."""
    sample = folder / "probe.mp4"
    try:
        runner.run([*_QUIET, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=0.2",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(sample)], PROBE_TIMEOUT_S)
    except FfmpegError as exc:
        log.warning("cannot make the clip for the GPU test decodes: %s", exc)
        return None
    return sample


def detect(runner: Runner, choice: str = "auto", vaapi_device: str = "/dev/dri/renderD128") -> Accelerators:
    """Test the families `choice` names ("auto": all, "cpu": none) and pick
    the first that can decode or encode. Never raises."""
    found = Accelerators()
    if choice == "cpu":
        found.notes.append("accelerator = \"cpu\" in the configuration: no GPU tested")
        return found
    families = FAMILIES if choice == "auto" else (choice,)
    try:
        folder = tempfile.TemporaryDirectory(prefix="tobsd-accel-")
    except OSError as exc:   # no writable temporary folder: the encode tests still run
        found.notes.append(f"no temporary folder for the test clip ({exc.strerror or exc}); "
                           "decoding not tested")
        folder = None
    try:
        sample = make_sample(runner, Path(folder.name)) if folder else None
        for family in families:
            result = probe_family(runner, family, sample, vaapi_device)
            found.results[family] = result
            for failure in result.failures:
                found.notes.append(f"{family}: {failure}")
            if found.used is None and (result.decode or result.encode):
                found.used = result
    finally:
        if folder is not None:
            folder.cleanup()
    if found.used is None:
        log.info("no GPU passed a test encode or decode; media are processed on the CPU")
    else:
        log.info("media processing uses %s: %s", found.used.family, found.used.describe())
    return found
