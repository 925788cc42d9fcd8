"""Media processing on a real GPU: run where the start-up detection finds
one, skipped (with what each family's test job said) elsewhere."""
from __future__ import annotations

import pytest

from tobsd.core.config_processing import ProcessingConfig
from tobsd.core.media import CompactProfile, DerivedRole, ProcessRequest
from tobsd.core.models import MediaKind
from tobsd.media.process import FfmpegProcessor
from tobsd.media.process.accel import detect
from tobsd.media.process.runner import SubprocessRunner
from tests.integration.media.mediakit import ffprobe, mp4, stream

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu():
    found = detect(SubprocessRunner())
    if found.used is None:
        pytest.skip("no accelerator passed a test decode or encode: " + "; ".join(found.notes))
    return found.used


async def test_compact_runs_on_the_gpu_that_detection_found(gpu, tmp_path):
    src = mp4(tmp_path / "film.mp4", 1920, 1080, seconds=3, kbps=6000)
    p = FfmpegProcessor(ProcessingConfig(accelerator=gpu.family))
    try:
        await p.start()
        report = p.report()
        assert report.used == gpu.family
        assert (report.can_decode, report.can_encode) == (gpu.decode, gpu.encode)
        result = await p.process(ProcessRequest(source=src, kind=MediaKind.VIDEO, out_dir=tmp_path,
                                                stem="film", compact=CompactProfile(720, 1500)))
        assert result.errors == () and result.accelerator == gpu.family, (result, p.report())
        assert p.report().fallbacks == 0
        compact = next(d.path for d in result.derived if d.role == DerivedRole.COMPACT)
        video = stream(ffprobe(compact), "video")
        assert (video["width"], video["height"]) == (1280, 720) and video["codec_name"] == "h264"
    finally:
        await p.close()


def test_transcription_uses_cuda_when_ctranslate2_sees_it():
    pytest.importorskip("faster_whisper", reason="the transcribe extra is not installed")
    from tobsd.media.process.transcribe import choose_device, cuda_devices
    if cuda_devices() == 0:
        pytest.skip("CTranslate2 sees no CUDA device")
    assert choose_device("auto", cuda_devices()) == ("cuda", "float16")
