"""Video jobs: a poster frame, and the `compact` re-encode.

The argv of each job is built with ffmpeg-python. A poster is one frame
decoded on the CPU: starting a GPU context costs more than decoding one
frame. `compact` has a CPU plan and, when a GPU passed detection, a GPU plan
that decodes and scales on the GPU and encodes there too when the encode
test passed (on the CPU with libx264 otherwise, as on an H100).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from tobsd.core.media import CompactProfile
from tobsd.media.process.accel import FamilyResult
from tobsd.media.process.runner import FFMPEG, FfmpegError, first_stream

GLOBAL = ["-hide_banner", "-nostdin", "-v", "error", "-y"]
POSTER_MAX_HEIGHT = 720
CPU_ENCODE = {"vcodec": "libx264", "preset": "veryfast", "pix_fmt": "yuv420p"}
GPU_ENCODERS = {"nvidia": "h264_nvenc", "vaapi": "h264_vaapi", "qsv": "h264_qsv"}


def command(stream, *global_options: str) -> list[str]:
    """ffmpeg's argv for an ffmpeg-python graph, global options first."""
    return [FFMPEG, *GLOBAL, *global_options, *stream.get_args()]


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What ffprobe says about a video file; width/height as displayed."""
    width: int
    height: int
    duration: float
    bit_rate: int          # bits per second of the whole file; 0 when unknown
    has_audio: bool
    codec: str

    @staticmethod
    def from_probe(info: dict) -> "VideoInfo":
        video = first_stream(info, "video")
        if video is None or not video.get("width") or not video.get("height"):
            raise FfmpegError("ffprobe", "no video stream")
        width, height = int(video["width"]), int(video["height"])
        if _rotation(video) in (90, 270):
            width, height = height, width
        fmt = info.get("format", {})
        duration = _number(fmt.get("duration")) or _number(video.get("duration"))
        rate = int(_number(fmt.get("bit_rate")) or _number(video.get("bit_rate")))
        return VideoInfo(width, height, duration, rate, first_stream(info, "audio") is not None,
                         str(video.get("codec_name", "")))


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _rotation(stream: dict) -> int:
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            return int(_number(side["rotation"])) % 360
    return int(_number(stream.get("tags", {}).get("rotate"))) % 360


def fit(width: int, height: int, max_height: int) -> tuple[int, int]:
    """(w, h) scaled down to at most `max_height`, both even, aspect kept."""
    h = min(height, max_height)
    w = max(2, round(width * h / height / 2) * 2)
    return w, max(2, h // 2 * 2)


def poster_command(src: Path, dst: Path, info: VideoInfo) -> list[str]:
    """One JPEG frame a tenth of the way in (at most 1 s), at most 720 high."""
    at = min(1.0, info.duration / 10) if info.duration > 0 else 0.0
    w, h = fit(info.width, info.height, POSTER_MAX_HEIGHT)
    graph = (ffmpeg.input(str(src), ss=f"{at:.3f}").video
             .filter("scale", w, h).filter("format", "yuvj420p")
             .output(str(dst), f="image2", vcodec="mjpeg", vframes=1, **{"q:v": 3}))
    return command(graph)


def needs_compact(info: VideoInfo, profile: CompactProfile) -> bool:
    """Taller than the profile allows, or a bitrate clearly above it."""
    return info.height > profile.max_height or info.bit_rate > profile.max_kbps * 1000 * 1.1


def _rate(profile: CompactProfile) -> dict:
    k = profile.max_kbps
    return {"b:v": f"{k}k", "maxrate": f"{k}k", "bufsize": f"{2 * k}k"}


def _output(video, src, dst: Path, info: VideoInfo, codec: dict, profile: CompactProfile):
    streams = [video]
    audio = {}
    if info.has_audio:
        streams.append(src.audio)
        audio = {"acodec": "aac", "b:a": "96k"}
    return ffmpeg.output(*streams, str(dst), f="mp4", movflags="+faststart",
                         **codec, **_rate(profile), **audio)


def compact_cpu_command(src: Path, dst: Path, info: VideoInfo, profile: CompactProfile) -> list[str]:
    """Decode, scale and encode (libx264) on the CPU."""
    w, h = fit(info.width, info.height, profile.max_height)
    inp = ffmpeg.input(str(src))
    return command(_output(inp.video.filter("scale", w, h), inp, dst, info, CPU_ENCODE, profile))


def compact_gpu_command(src: Path, dst: Path, info: VideoInfo, profile: CompactProfile,
                        gpu: FamilyResult, vaapi_device: str) -> list[str] | None:
    """The GPU plan for what `gpu` proved it can do; None when it can do nothing."""
    w, h = fit(info.width, info.height, profile.max_height)
    family = gpu.family
    codec = {"vcodec": GPU_ENCODERS[family]} if gpu.encode else CPU_ENCODE
    global_options: list[str] = []
    if gpu.decode:
        if family == "nvidia":
            inp = ffmpeg.input(str(src), hwaccel="cuda", hwaccel_output_format="cuda")
            video = inp.video.filter("scale_cuda", w, h)
        elif family == "vaapi":
            inp = ffmpeg.input(str(src), hwaccel="vaapi", hwaccel_device=vaapi_device,
                               hwaccel_output_format="vaapi")
            video = inp.video.filter("scale_vaapi", w=w, h=h)
        else:
            inp = ffmpeg.input(str(src), hwaccel="qsv", hwaccel_output_format="qsv",
                               **{"c:v": f"{info.codec}_qsv"})
            video = inp.video.filter("scale_qsv", w=w, h=h)
        if not gpu.encode:   # frames come back to the CPU for libx264
            video = video.filter("hwdownload").filter("format", "nv12")
    elif gpu.encode:
        inp = ffmpeg.input(str(src))
        video = inp.video.filter("scale", w, h).filter("format", "nv12")
        if family == "vaapi":
            global_options = ["-vaapi_device", vaapi_device]
            video = video.filter("hwupload")
    else:
        return None
    return command(_output(video, inp, dst, info, codec, profile), *global_options)
