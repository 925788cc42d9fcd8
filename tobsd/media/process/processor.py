"""`FfmpegProcessor`: the `MediaProcessor` the daemon uses.

Per kind:
    voice             -> <stem>.ogg, the Opus stream copied (playable), checked
    round, video      -> <stem>.poster.jpg; video with a compact profile also
                         <stem>.compact.mp4 when it is above the profile
    animated_sticker  -> <stem>.webp (animated; a plain still without rlottie)
    video_sticker     -> nothing: Obsidian plays the .webm as it is
and, asked to transcribe, voice notes and round videos get a transcript.

Jobs run in a thread pool of `workers` threads (each drives an ffmpeg
process or the renderer), never on the event loop. Accelerators are
detected once, in the pool, when `start()` runs (or before the first job).
Every step catches its own failure: `process` never raises for a bad file.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tobsd.core.config_processing import ProcessingConfig
from tobsd.core.media import (AcceleratorReport, DerivedFile, DerivedRole, ProcessRequest,
                              ProcessResult)
from tobsd.core.models import MediaKind
from tobsd.media.process import stickers, video, voice
from tobsd.media.process.accel import Accelerators, detect
from tobsd.media.process.atomic import atomic_output, derived_path
from tobsd.media.process.gpu import GpuGate
from tobsd.media.process.runner import Runner, SubprocessRunner, probe
from tobsd.media.process.transcribe import Transcriber

log = logging.getLogger("tobsd.media.process")

POSTER_KINDS = (MediaKind.ROUND, MediaKind.VIDEO)
SPEECH_KINDS = (MediaKind.VOICE, MediaKind.ROUND)
STOPPING = ProcessResult(errors=("processing is stopping",))
WANTED = (MediaKind.VOICE, MediaKind.ROUND, MediaKind.VIDEO, MediaKind.ANIMATED_STICKER)


class _Job:
    """What one `process` call has made so far."""

    def __init__(self) -> None:
        self.derived: list[DerivedFile] = []
        self.errors: list[str] = []
        self.device = "cpu"
        self.transcript: str | None = None
        self.remove_original = False

    def result(self) -> ProcessResult:
        return ProcessResult(derived=tuple(self.derived), transcript=self.transcript,
                             accelerator=self.device, errors=tuple(self.errors),
                             remove_original=self.remove_original)


class FfmpegProcessor:
    def __init__(self, settings: ProcessingConfig, *, runner: Runner | None = None,
                 transcriber: Transcriber | None = None) -> None:
        self.settings = settings
        self.runner = runner or SubprocessRunner()
        self.timeout = float(settings.job_timeout_s)
        self.transcriber = transcriber
        if transcriber is None and settings.transcribe_model:
            self.transcriber = Transcriber(settings.transcribe_model, device=settings.transcribe_device,
                                           download=settings.transcribe_download,
                                           language=settings.transcribe_language)
        self._pool = ThreadPoolExecutor(max_workers=settings.workers,
                                        thread_name_prefix="tobsd-media")
        self.accelerators: Accelerators | None = None
        self.gate = GpuGate(None, settings.gpu_jobs)
        self._detection: asyncio.Future | None = None
        self._closed = False

    # --- the MediaProcessor protocol ----------------------------------------------
    def wants(self, kind: MediaKind, *, compact: bool, transcribe: bool) -> bool:
        return kind in WANTED

    async def start(self) -> None:
        """Detect the accelerators (test jobs in the pool); idempotent."""
        if self._detection is None:
            loop = asyncio.get_running_loop()
            self._detection = loop.run_in_executor(self._pool, self._detect)
        await asyncio.shield(self._detection)

    async def process(self, request: ProcessRequest) -> ProcessResult:
        if self._closed:
            return STOPPING
        await self.start()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, self.process_now, request)
        except RuntimeError:   # the pool shut down between the check and the call
            if self._closed:
                return STOPPING
            raise

    @property
    def detected(self) -> bool:
        """Whether the start-up detection has finished (then `report` is final but for fallbacks)."""
        return self.accelerators is not None

    def report(self) -> AcceleratorReport:
        if self.accelerators is None:
            state = "detection running" if self._detection is not None else "detection not started"
            return AcceleratorReport(notes=(state,), fallbacks=self.gate.fallbacks)
        extra = (f"transcription: {self.transcriber.describe()}",) if self.transcriber else ()
        return self.accelerators.report(self.gate.fallbacks, extra)

    async def close(self) -> None:
        """Stop: running ffmpeg processes are ended, queued jobs return at
        once with a "stopping" error, a transcription stops at its next
        segment; returns when the pool's threads are done."""
        self._closed = True
        terminate = getattr(self.runner, "terminate_all", None)
        if terminate is not None:
            terminate()
        await asyncio.to_thread(self._pool.shutdown, True)

    # --- the work, in a pool thread --------------------------------------------------
    def _detect(self) -> None:
        try:
            found = detect(self.runner, self.settings.accelerator, self.settings.vaapi_device)
        except Exception as exc:   # jobs must still run: on the CPU
            log.exception("accelerator detection failed; media are processed on the CPU")
            found = Accelerators(notes=[f"detection failed: {exc}"])
        self.accelerators = found
        self.gate.family = found.used.family if found.used else None

    def process_now(self, request: ProcessRequest) -> ProcessResult:
        """Process `request` in the calling thread (the pool's)."""
        if self._closed:
            return STOPPING
        job = _Job()
        source, out_dir = Path(request.source), Path(request.out_dir)
        if not source.is_file():
            job.errors.append(f"the original {source.name} is not there")
            return job.result()
        if not out_dir.is_dir():
            job.errors.append(f"the folder {out_dir} does not exist")
            return job.result()
        kind = request.kind
        if kind == MediaKind.VOICE:
            self._step(job, "voice", self._voice, request)
        if kind in POSTER_KINDS:
            self._step(job, "poster", self._poster, request)
        if kind == MediaKind.VIDEO and request.compact is not None:
            self._step(job, "compact", self._compact, request)
        if kind == MediaKind.ANIMATED_STICKER:
            self._step(job, "sticker", self._sticker, request)
        if request.transcribe and kind in SPEECH_KINDS and self.transcriber is not None:
            self._step(job, "transcript", self._transcript, request)
        elif request.transcribe and kind in SPEECH_KINDS:
            job.errors.append("transcript: no transcription model configured "
                              "([processing] transcribe_model)")
        return job.result()

    def _step(self, job: _Job, name: str, fn, request: ProcessRequest) -> None:
        try:
            fn(job, request)
        except Exception as exc:   # one failed step never loses the others or the original
            log.warning("%s of %s failed: %s", name, Path(request.source).name, exc)
            job.errors.append(f"{name}: {exc}")

    def _voice(self, job: _Job, request: ProcessRequest) -> None:
        src = Path(request.source)
        codec = voice.source_codec(self.runner, src, self.timeout)
        if src.suffix.lower() == ".ogg" and codec in voice.OGG_CODECS:
            voice.verify_playable(self.runner, src, self.timeout)
            return   # already a file Obsidian plays
        dst = derived_path(request.out_dir, request.stem, ".ogg")
        if dst == src:
            dst = derived_path(request.out_dir, request.stem, ".voice.ogg")
        with atomic_output(dst) as tmp:
            self.runner.run(voice.remux_command(src, tmp, codec), self.timeout)
            voice.verify_playable(self.runner, tmp, self.timeout)
        job.derived.append(DerivedFile(dst, DerivedRole.PLAYABLE))

    def _poster(self, job: _Job, request: ProcessRequest) -> None:
        src = Path(request.source)
        info = video.VideoInfo.from_probe(probe(self.runner, src, self.timeout))
        dst = derived_path(request.out_dir, request.stem, ".poster.jpg")
        with atomic_output(dst) as tmp:
            self.runner.run(video.poster_command(src, tmp, info), self.timeout)
        job.derived.append(DerivedFile(dst, DerivedRole.POSTER))

    def _compact(self, job: _Job, request: ProcessRequest) -> None:
        src, profile = Path(request.source), request.compact
        info = video.VideoInfo.from_probe(probe(self.runner, src, self.timeout))
        if not video.needs_compact(info, profile):
            return
        dst = derived_path(request.out_dir, request.stem, ".compact.mp4")
        used = self.accelerators.used if self.accelerators else None
        cpu = video.compact_cpu_command(src, dst, info, profile)
        gpu = None if used is None else video.compact_gpu_command(
            src, dst, info, profile, used, self.settings.vaapi_device)
        _, device = self.gate.run("compact", None if gpu is None else lambda: self._write(dst, gpu),
                                  lambda: self._write(dst, cpu))
        if device != "cpu":
            job.device = device
        job.derived.append(DerivedFile(dst, DerivedRole.COMPACT))
        job.remove_original = not profile.keep_original

    def _write(self, dst: Path, argv: list[str]) -> None:
        """Run `argv` (which writes `dst`) into a temporary file renamed to `dst`."""
        with atomic_output(dst) as tmp:
            self.runner.run(_retarget(argv, dst, tmp), self.timeout)

    def _sticker(self, job: _Job, request: ProcessRequest) -> None:
        src = Path(request.source)
        doc = stickers.read_tgs(src)
        dst = derived_path(request.out_dir, request.stem, ".webp")
        if stickers.renderer_available():
            with atomic_output(dst) as tmp:
                stickers.render_webp(doc, tmp, self.runner, self.timeout)
            job.derived.append(DerivedFile(dst, DerivedRole.ANIMATION))
            return
        with atomic_output(dst) as tmp:
            stickers.placeholder(self.runner, doc, tmp, self.timeout)
        job.derived.append(DerivedFile(dst, DerivedRole.STILL))
        job.errors.append("sticker: no Lottie renderer installed (pip install 'tobs[stickers]'); "
                          "a plain still stands in for the animation")

    def _transcript(self, job: _Job, request: ProcessRequest) -> None:
        job.transcript = self.transcriber.transcribe(Path(request.source),
                                                     stop=lambda: self._closed)


def _retarget(argv: list[str], final: Path, temp: Path) -> list[str]:
    """`argv` writing to `temp` instead of `final` (the output is its last argument)."""
    if argv[-1] != str(final):
        raise ValueError("the output is not the command's last argument")
    return [*argv[:-1], str(temp)]
