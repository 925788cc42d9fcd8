"""Regenerate the media files fakegram serves (run from any directory).

    python fakegram/assets/make_assets.py

Every file comes from ffmpeg's synthetic sources (testsrc2, sine) with fixed
parameters, single-threaded encoders and bit-exact flags, so a rerun with the
same ffmpeg gives the same bytes. The animated sticker (.tgs) is a small
Lottie animation written here and gzipped with a zero mtime.

This script is for regeneration only: fakegram reads the committed files at
run time and never needs ffmpeg.
"""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Flags that strip encoder version strings, creation times and random ids.
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-flags:a", "+bitexact", "-map_metadata", "-1"]


def video_source(w: int, h: int, seconds: float, rate: int = 25) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={rate}:duration={seconds}"]


def tone_source(seconds: float, freq: int = 440) -> list[str]:
    # A tone with a slow beep so the audio is not a flat sine.
    return ["-f", "lavfi", "-i",
            f"sine=frequency={freq}:beep_factor=2:sample_rate=48000:duration={seconds}"]


def h264(crf: int) -> list[str]:
    return ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf),
            "-pix_fmt", "yuv420p", "-threads", "1", "-x264-params", "threads=1"]


def aac() -> list[str]:
    return ["-c:a", "aac", "-b:a", "32k", "-ac", "1", "-ar", "44100"]


# name -> ffmpeg arguments between the global options and the output path.
JOBS: dict[str, list[str]] = {
    "photo_s.jpg": video_source(90, 68, 1, 1) + ["-frames:v", "1", "-q:v", "6"],
    "photo_m.jpg": video_source(320, 240, 1, 1) + ["-frames:v", "1", "-q:v", "8"],
    "photo_x.jpg": video_source(800, 600, 1, 1) + ["-frames:v", "1", "-q:v", "12"],
    "thumb_square.jpg": video_source(90, 90, 1, 1) + ["-frames:v", "1", "-q:v", "6"],
    "thumb_wide.jpg": video_source(320, 180, 1, 1) + ["-frames:v", "1", "-q:v", "10"],
    "voice.ogg": tone_source(2.0, 350) + ["-c:a", "libopus", "-b:a", "16k", "-ac", "1"],
    "round.mp4": video_source(240, 240, 2) + tone_source(2.0, 520) + h264(38) + aac()
    + ["-shortest", "-movflags", "+faststart"],
    "video.mp4": video_source(320, 180, 2) + tone_source(2.0, 660) + h264(38) + aac()
    + ["-shortest", "-movflags", "+faststart"],
    "gif.mp4": video_source(240, 180, 2, 20) + h264(38) + ["-an", "-movflags", "+faststart"],
    "audio.mp3": tone_source(3.0, 440) + ["-c:a", "libmp3lame", "-b:a", "48k", "-ac", "1",
                                          "-ar", "44100", "-write_xing", "0"],
    "sticker.webp": video_source(512, 512, 1, 1) + ["-frames:v", "1", "-c:v", "libwebp",
                                                    "-quality", "20", "-compression_level", "6"],
    "video_sticker.webm": video_source(512, 512, 1, 30) + [
        "-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "55", "-pix_fmt", "yuva420p",
        "-deadline", "good", "-cpu-used", "4", "-threads", "1", "-an"],
}


def lottie() -> dict:
    """A 512x512, 1 s, 30 fps Lottie animation: an orange disc that pulses."""
    scale = {"a": 1, "k": [
        {"t": 0, "s": [80, 80, 100], "i": {"x": [0.5], "y": [1]}, "o": {"x": [0.5], "y": [0]}},
        {"t": 15, "s": [110, 110, 100], "i": {"x": [0.5], "y": [1]}, "o": {"x": [0.5], "y": [0]}},
        {"t": 30, "s": [80, 80, 100]},
    ]}
    disc = {"ty": "gr", "nm": "disc", "it": [
        {"ty": "el", "nm": "circle", "p": {"a": 0, "k": [0, 0]}, "s": {"a": 0, "k": [300, 300]}},
        {"ty": "fl", "nm": "fill", "c": {"a": 0, "k": [1, 0.6, 0.1, 1]}, "o": {"a": 0, "k": 100}},
        {"ty": "tr", "p": {"a": 0, "k": [0, 0]}, "a": {"a": 0, "k": [0, 0]},
         "s": {"a": 0, "k": [100, 100]}, "r": {"a": 0, "k": 0}, "o": {"a": 0, "k": 100}},
    ]}
    layer = {"ddd": 0, "ind": 1, "ty": 4, "nm": "pulse", "sr": 1, "ip": 0, "op": 30, "st": 0,
             "ks": {"o": {"a": 0, "k": 100}, "r": {"a": 0, "k": 0},
                    "p": {"a": 0, "k": [256, 256, 0]}, "a": {"a": 0, "k": [0, 0, 0]},
                    "s": scale},
             "shapes": [disc]}
    return {"tgs": 1, "v": "5.5.2", "fr": 30, "ip": 0, "op": 30, "w": 512, "h": 512,
            "nm": "fakegram pulse", "ddd": 0, "assets": [], "layers": [layer]}


def write_tgs(path: Path) -> None:
    raw = json.dumps(lottie(), separators=(",", ":"), sort_keys=True).encode()
    path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))


def run_ffmpeg(name: str, args: list[str]) -> None:
    out = HERE / name
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, *BITEXACT, str(out)]
    subprocess.run(cmd, check=True)


def main() -> int:
    for name, args in JOBS.items():
        run_ffmpeg(name, args)
    write_tgs(HERE / "animated_sticker.tgs")
    for path in sorted(HERE.iterdir()):
        if path.suffix not in (".py", ".md"):
            print(f"{path.stat().st_size:8d}  {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
