"""The contract between media downloads and media processing.

The downloader (``tobsd/media``) fetches an original file into the vault and
then hands it to a `MediaProcessor` (ffmpeg jobs, Lottie rendering,
transcription). The processor never touches Telegram, the state DB or a
note: it turns one file on disk into derived files beside it and says what it
made; the downloader records the result and has the note re-rendered.
Everything that crosses here is a plain record of core types and paths.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .models import MediaKind


@dataclass(frozen=True, slots=True)
class CompactProfile:
    """Re-encode videos taller than ``max_height`` or above ``max_kbps``
    to at most that height and bitrate (the original is kept unless
    ``keep_original`` is False)."""
    max_height: int = 720
    max_kbps: int = 1500
    keep_original: bool = True


@dataclass(frozen=True, slots=True)
class ProcessRequest:
    """One downloaded original to process.

    ``source`` is the absolute path of the complete, verified original (inside
    the vault). ``out_dir`` is the folder derived files go to (inside the
    vault; the processor creates nothing outside it). ``stem`` is the file
    name stem derived files share (``<stem>.ogg``, ``<stem>.poster.jpg``...).
    ``compact`` is None unless the chat asks for video compaction;
    ``transcribe`` asks for a transcript of speech (voice notes, round videos).
    """
    source: Path
    kind: MediaKind
    out_dir: Path
    stem: str
    mime: str | None = None
    compact: CompactProfile | None = None
    transcribe: bool = False


class DerivedRole:
    """What a derived file is for; the renderer embeds each role its own way."""
    PLAYABLE = "playable"        # voice note remuxed to .ogg
    POSTER = "poster"            # a still frame of a video or round video
    ANIMATION = "animation"      # an animated sticker rendered to .webp
    STILL = "still"              # a static fallback image of a sticker
    COMPACT = "compact"          # a re-encoded smaller video


@dataclass(frozen=True, slots=True)
class DerivedFile:
    """A file the processor wrote: ``path`` is absolute, inside ``out_dir``."""
    path: Path
    role: str


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What processing one original produced.

    ``derived`` lists files written completely (never a partial file).
    ``transcript`` is the speech text, or None. ``accelerator`` names the
    device that did the work (``"cpu"``, ``"nvidia"``, ``"vaapi"``, ``"qsv"``).
    ``errors`` holds one clear line per step that failed; a failed step leaves
    the original untouched and is not retried for the same file unless the
    processor's configuration changes.
    """
    derived: tuple[DerivedFile, ...] = ()
    transcript: str | None = None
    accelerator: str = "cpu"
    errors: tuple[str, ...] = ()
    remove_original: bool = False   # True only when a profile asked to drop it


@dataclass(frozen=True, slots=True)
class AcceleratorReport:
    """What start-up detection found, for status and ``tobsctl doctor``.

    ``found`` maps a device family to a one-line description; ``used`` is the
    family jobs go to (``"cpu"`` when none passed the test encode/decode);
    ``can_encode``/``can_decode`` say what the test jobs proved;
    ``fallbacks`` counts GPU jobs that fell back to the CPU.
    """
    found: dict[str, str] = field(default_factory=dict)
    used: str = "cpu"
    can_encode: bool = False
    can_decode: bool = False
    fallbacks: int = 0
    notes: tuple[str, ...] = ()


class MediaProcessor(Protocol):
    """Turns downloaded originals into files Obsidian can show and play.

    `process` runs its jobs off the event loop in a bounded pool and never
    raises for a bad file: failures come back in `ProcessResult.errors`.
    `wants` says whether a kind needs any processing at all, so the
    downloader can skip the call. `report` is cheap and never blocks.
    """

    def wants(self, kind: MediaKind, *, compact: bool, transcribe: bool) -> bool: ...

    async def process(self, request: ProcessRequest) -> ProcessResult: ...

    def report(self) -> AcceleratorReport: ...

    async def close(self) -> None: ...
