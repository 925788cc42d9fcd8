"""A smoke run of bench/media_processing.py on a tiny corpus: the JSON that
bench/media.py imports has its keys, and every job succeeded."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from media_processing import processing_throughput  # noqa: E402

TINY = {"voice": 2, "video": 1, "round": 1, "sticker": 1, "voice_s": 1, "video_s": 1}


def test_the_processing_bench_reports_every_run(tmp_path):
    r = processing_throughput(workdir=tmp_path, sizes=TINY)
    for name in ("cpu", "one_worker"):
        run = r[name]
        assert run["files"] == 5 and run["errors"] == [] and run["files_per_s"] > 0
        assert set(run["by_kind"]) == {"voice", "video", "round", "animated_sticker"}
        assert run["devices"] == {"cpu": 5}
    assert r["one_worker"]["workers"] == 1 and r["cpu"]["workers"] == 2
    assert r["ratio_pool_vs_one_worker"] > 0
    if r["gpu"] is None:
        assert r["ratio_gpu_vs_cpu"] is None and "nvidia" in r["gpu_note"]
    else:
        assert r["gpu"]["errors"] == [] and r["ratio_gpu_vs_cpu"] > 0
