"""`[processing]`: how downloaded media are processed (ffmpeg jobs, sticker
rendering, transcription).

Read by `read_processing(table, base)` into a `ProcessingConfig`. Every key
is optional; the defaults process on the CPU or the GPU detection finds,
with two jobs at once and no transcription.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tobsd.core.config_reader import TableReader
from tobsd.core.media import CompactProfile

ACCELERATORS = ("auto", "cpu", "nvidia", "vaapi", "qsv")
TRANSCRIBE_DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True, slots=True)
class ProcessingConfig:
    """`[processing]`.

    ``accelerator``: "auto" tests every GPU family at start and uses the
    first that passes; "cpu" tests none; a family name tests only that one.
    ``gpu_jobs`` caps GPU jobs at once (consumer NVENC allows a handful of
    sessions). ``transcribe_model`` is a faster-whisper model name or a
    local folder; empty means no transcription. A model name is fetched from
    the network only when ``transcribe_download`` is true. ``compact_chats``
    (the key ``compact``) is the default of the per-chat ``compact`` switch:
    whether a chat's videos get the ``compact`` profile.
    """

    workers: int = 2
    accelerator: str = "auto"
    gpu_jobs: int = 2
    vaapi_device: str = "/dev/dri/renderD128"
    job_timeout_s: int = 900
    compact: CompactProfile = field(default_factory=CompactProfile)
    compact_chats: bool = False
    transcribe_model: str = ""
    transcribe_download: bool = False
    transcribe_device: str = "auto"
    transcribe_language: str = ""


def read_processing(t: TableReader, base: Path) -> ProcessingConfig:
    """The `[processing]` table; problems go to `t`'s problem list."""
    workers = t.get_int("workers", 2, lo=1, hi=32)
    accelerator = t.get_choice("accelerator", "auto", ACCELERATORS)
    gpu_jobs = t.get_int("gpu_jobs", 2, lo=1, hi=32)
    vaapi_device = t.get_str("vaapi_device", "/dev/dri/renderD128")
    job_timeout_s = t.get_int("job_timeout_s", 900, lo=10, hi=86400)
    compact = CompactProfile(
        max_height=t.get_int("compact_max_height", 720, lo=144, hi=4320),
        max_kbps=t.get_int("compact_max_kbps", 1500, lo=100, hi=100_000),
        keep_original=t.get_bool("compact_keep_original", True))
    compact_chats = t.get_bool("compact", False)
    model = t.get_str("transcribe_model", "", allow_empty=True).strip()
    if model.startswith(("/", "~", ".")):
        path = t.get_path("transcribe_model", None, base)
        model = str(path) if path is not None else ""
    download = t.get_bool("transcribe_download", False)
    device = t.get_choice("transcribe_device", "auto", TRANSCRIBE_DEVICES)
    language = t.get_str("transcribe_language", "", allow_empty=True).strip()
    t.finish()
    return ProcessingConfig(workers=workers, accelerator=accelerator, gpu_jobs=gpu_jobs,
                            vaapi_device=vaapi_device, job_timeout_s=job_timeout_s,
                            compact=compact, compact_chats=compact_chats, transcribe_model=model,
                            transcribe_download=download, transcribe_device=device,
                            transcribe_language=language)


def chat_compact(processing: ProcessingConfig, chat_compact: bool | None) -> CompactProfile | None:
    """The compact profile for a chat whose `compact` is `chat_compact`
    (None: not set, so `[processing] compact` decides), or None."""
    wanted = processing.compact_chats if chat_compact is None else chat_compact
    return processing.compact if wanted else None
