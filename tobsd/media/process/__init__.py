"""Media processing with ffmpeg: the `MediaProcessor` of `tobsd.core.media`.

`build_processor(config)` is what the daemon calls; it returns an
`FfmpegProcessor` configured by `[processing]`. Call `await start()` once
(accelerator detection), then `process()` per downloaded original, and
`close()` at the stop.
"""
from __future__ import annotations

from tobsd.core.config import Config
from tobsd.media.process.processor import FfmpegProcessor

__all__ = ["FfmpegProcessor", "build_processor"]


def build_processor(config: Config) -> FfmpegProcessor:
    """The processor for `config` (its `[processing]` table); starts nothing."""
    return FfmpegProcessor(config.processing)
