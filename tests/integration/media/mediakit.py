"""Media made by the real ffmpeg for the processing tests, and an
independent look at what came out (ffprobe run here, not through tobsd)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.conditions import slack

ASSETS = Path(__file__).resolve().parents[3] / "fakegram" / "assets"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", *args],
                   check=True, timeout=slack(120))


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                          "-show_streams", str(path)], check=True, capture_output=True, timeout=slack(60))
    return json.loads(out.stdout)


def packets(path: Path) -> list[tuple[str, str]]:
    """(pts, size) of every audio packet: equal lists mean the stream was copied."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                          "packet=pts,size", "-of", "csv=p=0", str(path)],
                         check=True, capture_output=True, text=True, timeout=slack(60))
    return [tuple(line.split(",")) for line in out.stdout.split()]


def stream(info: dict, kind: str) -> dict:
    return next(s for s in info["streams"] if s["codec_type"] == kind)


def has_filter(name: str) -> bool:
    out = subprocess.run(["ffmpeg", "-hide_banner", "-filters"], capture_output=True, text=True,
                         timeout=slack(60))
    return any(line.split()[1:2] == [name] for line in out.stdout.splitlines() if line.strip())


def speech(path: Path, text: str) -> Path:
    """`text` spoken by flite (ffmpeg's libflite source), as an Opus voice note."""
    ffmpeg("-f", "lavfi", "-i", f"flite=text='{text}':voice=slt", "-ac", "1", "-ar", "48000",
           "-c:a", "libopus", "-b:a", "32k", "-f", "ogg", str(path))
    return path


def opus_voice(path: Path, seconds: float = 2.0) -> Path:
    """A voice note as Telegram sends it: Opus in Ogg, named .oga."""
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-ac", "1", "-ar", "48000",
           "-c:a", "libopus", "-b:a", "24k", "-f", "ogg", str(path))
    return path


def mp4(path: Path, width: int, height: int, seconds: float = 2.0, kbps: int = 4000,
        audio: bool = True) -> Path:
    """An H.264 (+AAC) MP4 of the given size and video bitrate."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=25:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}", "-c:a", "aac"]
    ffmpeg(*args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-b:v", f"{kbps}k", "-minrate", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps}k",
           "-x264-params", "nal-hrd=cbr", str(path))
    return path


def asset(name: str, folder: Path, as_name: str | None = None) -> Path:
    target = folder / (as_name or name)
    shutil.copyfile(ASSETS / name, target)
    return target
