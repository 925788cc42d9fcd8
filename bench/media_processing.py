"""Benchmark: media processing throughput (ffmpeg jobs, sticker rendering).

    python bench/media_processing.py            # the default corpus (about 1-2 minutes on 2 cores)
    python bench/media_processing.py --quick    # a small corpus, seconds
    python bench/media_processing.py --json     # one JSON object instead of the table

`processing_throughput(quick=...)` is the importable part (bench/media.py
puts its result under "processing"). On one corpus made here by the real
ffmpeg (Opus voice notes named .oga, 1280x720 H.264 videos with audio,
fakegram's round video and animated sticker), in one run:

* ``cpu``: tobsd's processor on the CPU with its default pool (2 workers);
* ``one_worker``: the same processor with one worker, the peer: what a
  plain loop over the files, one ffmpeg at a time, does;
* ``gpu``: the processor on the accelerator detection found, when one is
  present (null otherwise, with the detection's notes).

Each run reports files/s, input MB/s and wall seconds, in all and per kind
(the kinds run one after the other, each kind's files at once);
``ratio_pool_vs_one_worker`` and ``ratio_gpu_vs_cpu`` compare runs of this
process on this machine. Every video is compacted (1280x720 -> 640x360),
so the GPU run exercises decode/scale (and encode where it can).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tobsd.core.config_processing import ProcessingConfig  # noqa: E402
from tobsd.core.media import CompactProfile, ProcessRequest  # noqa: E402
from tobsd.core.models import MediaKind  # noqa: E402
from tobsd.media.process import FfmpegProcessor  # noqa: E402

ASSETS = Path(__file__).resolve().parent.parent / "fakegram" / "assets"
PROFILE = CompactProfile(max_height=360, max_kbps=600)
CORPUS = {"quick": {"voice": 12, "video": 2, "round": 4, "sticker": 6, "voice_s": 5, "video_s": 2},
          "full": {"voice": 60, "video": 8, "round": 16, "sticker": 30, "voice_s": 20, "video_s": 5}}


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_corpus(folder: Path, sizes: dict) -> list[tuple[Path, MediaKind]]:
    """The originals, each in its own folder (as files of different chats)."""
    items: list[tuple[Path, MediaKind]] = []
    voice0 = folder / "voice0.oga"
    _ffmpeg("-f", "lavfi", "-i", f"sine=frequency=330:duration={sizes['voice_s']}", "-ac", "1",
            "-c:a", "libopus", "-b:a", "32k", "-f", "ogg", str(voice0))
    video0 = folder / "video0.mp4"
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={sizes['video_s']}",
            "-f", "lavfi", "-i", f"sine=duration={sizes['video_s']}", "-c:v", "libx264",
            "-preset", "ultrafast", "-b:v", "5M", "-pix_fmt", "yuv420p", "-c:a", "aac", str(video0))
    for kind, source, count, suffix in ((MediaKind.VOICE, voice0, sizes["voice"], ".oga"),
                                        (MediaKind.VIDEO, video0, sizes["video"], ".mp4"),
                                        (MediaKind.ROUND, ASSETS / "round.mp4", sizes["round"], ".mp4"),
                                        (MediaKind.ANIMATED_STICKER, ASSETS / "animated_sticker.tgs",
                                         sizes["sticker"], ".tgs")):
        for i in range(count):
            target = folder / f"{kind.value}-{i}" / f"f{suffix}"
            target.parent.mkdir()
            shutil.copyfile(source, target)
            items.append((target, kind))
    return items


def _clean(items) -> None:
    for path, _ in items:
        for other in path.parent.iterdir():
            if other != path:
                other.unlink()


async def _run(settings: ProcessingConfig, items) -> dict:
    processor = FfmpegProcessor(settings)
    await processor.start()
    report = processor.report()
    per_kind: dict[str, dict] = {}
    devices: dict[str, int] = {}
    errors = []

    async def one(path: Path, kind: MediaKind):
        result = await processor.process(ProcessRequest(
            source=path, kind=kind, out_dir=path.parent, stem="f",
            compact=PROFILE if kind == MediaKind.VIDEO else None))
        devices[result.accelerator] = devices.get(result.accelerator, 0) + 1
        errors.extend(result.errors)

    wall = 0.0
    for kind in dict.fromkeys(k for _, k in items):   # one kind at a time: its own rate
        batch = [(p, k) for p, k in items if k == kind]
        t0 = time.perf_counter()
        await asyncio.gather(*(one(p, k) for p, k in batch))
        spent = time.perf_counter() - t0
        wall += spent
        per_kind[kind.value] = {"files": len(batch), "wall_s": round(spent, 3),
                                "files_per_s": round(len(batch) / spent, 2)}
    fallbacks = processor.report().fallbacks
    await processor.close()
    size = sum(p.stat().st_size for p, _ in items)
    return {"files": len(items), "wall_s": round(wall, 3), "files_per_s": round(len(items) / wall, 2),
            "input_mb_per_s": round(size / wall / 1e6, 2), "by_kind": per_kind,
            "devices": devices, "fallbacks": fallbacks, "errors": errors[:5],
            "used": report.used, "workers": settings.workers}


def processing_throughput(quick: bool = False, workdir: Path | None = None,
                          sizes: dict | None = None) -> dict:
    """Process one corpus on the CPU (pool, then one worker) and on the GPU
    when detection finds one; the JSON-ready measurements and ratios.
    `sizes` overrides the corpus (keys as in CORPUS)."""
    sizes = sizes or CORPUS["quick" if quick else "full"]
    with tempfile.TemporaryDirectory(prefix="tobs-bench-media-", dir=workdir) as tmp:
        items = make_corpus(Path(tmp), sizes)
        out: dict = {"corpus": {k: v for k, v in sizes.items()},
                     "input_bytes": sum(p.stat().st_size for p, _ in items)}
        out["cpu"] = asyncio.run(_run(ProcessingConfig(accelerator="cpu", workers=2), items))
        _clean(items)
        out["one_worker"] = asyncio.run(_run(ProcessingConfig(accelerator="cpu", workers=1), items))
        _clean(items)
        gpu = asyncio.run(_run(ProcessingConfig(accelerator="auto", workers=2), items))
        out["gpu"] = gpu if gpu["used"] != "cpu" else None
        if out["gpu"] is None:
            probe = FfmpegProcessor(ProcessingConfig())
            asyncio.run(probe.start())
            out["gpu_note"] = "; ".join(probe.report().notes)
            asyncio.run(probe.close())
    out["ratio_pool_vs_one_worker"] = round(out["one_worker"]["wall_s"] / out["cpu"]["wall_s"], 3)
    out["ratio_gpu_vs_cpu"] = (round(out["cpu"]["wall_s"] / out["gpu"]["wall_s"], 3)
                               if out["gpu"] else None)
    return out


def table(r: dict) -> str:
    lines = [f"{'run':<12}{'files/s':>10}{'MB/s':>8}{'wall s':>9}  files/s by kind"]
    for name in ("cpu", "one_worker", "gpu"):
        run = r.get(name)
        if not run:
            lines.append(f"{name:<12}{'n/a':>10}   {r.get('gpu_note', '')[:100]}")
            continue
        kinds = ", ".join(f"{k} {v['files_per_s']:.2f}" for k, v in run["by_kind"].items())
        lines.append(f"{name:<12}{run['files_per_s']:>10.2f}{run['input_mb_per_s']:>8.2f}"
                     f"{run['wall_s']:>9.2f}  {kinds}")
    lines.append(f"pool vs one worker: {r['ratio_pool_vs_one_worker']}x; "
                 f"GPU vs CPU: {r['ratio_gpu_vs_cpu'] if r['ratio_gpu_vs_cpu'] else 'n/a'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = processing_throughput(quick=args.quick)
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()
