"""Voice notes as files Obsidian plays.

Telegram records voice notes as Opus in an Ogg container and names them
.oga, which Obsidian does not embed as audio. The stream is copied into an
.ogg file (`-c copy`: no re-encoding, no quality lost); a voice note in a
codec Ogg cannot carry (an MP3 a bot sent as a voice message) is encoded
to Opus instead. The result is then checked: ffprobe must see one Opus or
Vorbis audio stream with a duration, and a full decode must pass.
"""
from __future__ import annotations

from pathlib import Path

import ffmpeg

from tobsd.media.process.runner import FfmpegError, Runner, first_stream, probe
from tobsd.media.process.video import command

#: Audio codecs an Ogg file carries and Obsidian's players decode.
OGG_CODECS = ("opus", "vorbis", "flac")


def remux_command(src: Path, dst: Path, codec: str) -> list[str]:
    """Copy the first audio stream into Ogg; encode to Opus when it cannot be copied."""
    audio = ffmpeg.input(str(src)).audio
    if codec in OGG_CODECS:
        return command(audio.output(str(dst), f="ogg", acodec="copy"))
    return command(audio.output(str(dst), f="ogg", acodec="libopus", **{"b:a": "48k"}))


def source_codec(runner: Runner, src: Path, timeout: float) -> str:
    """The codec of `src`'s first audio stream; FfmpegError when it has none."""
    stream = first_stream(probe(runner, src, timeout), "audio")
    if stream is None:
        raise FfmpegError("ffprobe", f"{src.name} has no audio stream")
    return str(stream.get("codec_name", ""))


def verify_playable(runner: Runner, path: Path, timeout: float) -> float:
    """The duration of `path` in seconds; FfmpegError unless it is an Ogg
    file with an Opus/Vorbis/FLAC stream that decodes without an error."""
    info = probe(runner, path, timeout)
    stream = first_stream(info, "audio")
    if "ogg" not in info.get("format", {}).get("format_name", ""):
        raise FfmpegError("ffprobe", f"{path.name} is not an Ogg file")
    if stream is None or stream.get("codec_name") not in OGG_CODECS:
        raise FfmpegError("ffprobe", f"{path.name} has no Opus, Vorbis or FLAC stream")
    try:
        duration = float(info["format"].get("duration") or stream.get("duration"))
    except (TypeError, ValueError):
        raise FfmpegError("ffprobe", f"{path.name} has no duration") from None
    runner.run(command(ffmpeg.input(str(path)).audio.output("-", f="null"), "-xerror"), timeout)
    return duration
