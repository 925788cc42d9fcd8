"""FfmpegProcessor on real files with the real ffmpeg, on the CPU: voice
notes, posters, compact, animated stickers, and what a bad file does."""
from __future__ import annotations

import hashlib
import os

import pytest

from tobsd.core.config_processing import ProcessingConfig
from tobsd.core.media import CompactProfile, DerivedRole, ProcessRequest, ProcessResult
from tobsd.core.models import MediaKind
from tobsd.media.process import FfmpegProcessor, stickers
from tests.integration.media.mediakit import asset, ffprobe, mp4, opus_voice, packets, stream

CPU = ProcessingConfig(accelerator="cpu", workers=2)


@pytest.fixture
async def processor():
    p = FfmpegProcessor(CPU)
    await p.start()
    yield p
    await p.close()


def request(path, kind, **kw) -> ProcessRequest:
    return ProcessRequest(source=path, kind=kind, out_dir=path.parent, stem=path.name.split(".")[0], **kw)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(".tobs-tmp-")]


async def test_a_voice_note_is_copied_into_ogg_without_reencoding(processor, tmp_path):
    src = opus_voice(tmp_path / "voice_1.oga")
    before = digest(src)
    result = await processor.process(request(src, MediaKind.VOICE))
    assert result.errors == () and result.accelerator == "cpu"
    [out] = result.derived
    assert out.role == DerivedRole.PLAYABLE and out.path == tmp_path / "voice_1.ogg"
    info = ffprobe(out.path)
    assert "ogg" in info["format"]["format_name"] and stream(info, "audio")["codec_name"] == "opus"
    assert packets(out.path) == packets(src) and len(packets(src)) > 50   # the same packets: copied
    assert digest(src) == before and not result.remove_original
    assert leftovers(tmp_path) == []


async def test_fakegrams_voice_asset_and_an_mp3_voice_note(processor, tmp_path):
    oga = asset("voice.ogg", tmp_path, "v.oga")
    [out] = (await processor.process(request(oga, MediaKind.VOICE))).derived
    assert stream(ffprobe(out.path), "audio")["codec_name"] == "opus"
    # an MP3 sent as a voice message cannot be copied into Ogg: it is encoded to Opus
    mp3 = asset("audio.mp3", tmp_path, "m.mp3")
    result = await processor.process(request(mp3, MediaKind.VOICE))
    assert result.errors == ()
    [out] = result.derived
    assert out.path.name == "m.ogg" and stream(ffprobe(out.path), "audio")["codec_name"] == "opus"
    assert float(ffprobe(out.path)["format"]["duration"]) == pytest.approx(3.0, abs=0.2)


async def test_a_voice_note_already_in_ogg_needs_no_copy(processor, tmp_path):
    src = opus_voice(tmp_path / "v.ogg")
    result = await processor.process(request(src, MediaKind.VOICE))
    assert result.derived == () and result.errors == ()


async def test_a_broken_voice_note_gives_an_error_and_leaves_nothing(processor, tmp_path):
    src = tmp_path / "bad.oga"
    src.write_bytes(b"OggS" + os.urandom(3000))
    result = await processor.process(request(src, MediaKind.VOICE))
    assert result.derived == () and len(result.errors) == 1 and result.errors[0].startswith("voice: ")
    assert sorted(os.listdir(tmp_path)) == ["bad.oga"]   # no .ogg, no temporary file
    assert leftovers(tmp_path) == []


async def test_round_videos_and_videos_get_a_poster(processor, tmp_path):
    round_video = asset("round.mp4", tmp_path)
    result = await processor.process(request(round_video, MediaKind.ROUND))
    assert result.errors == ()
    [poster] = result.derived
    assert poster.role == DerivedRole.POSTER and poster.path.name == "round.poster.jpg"
    video = stream(ffprobe(poster.path), "video")
    assert video["codec_name"] == "mjpeg" and (video["width"], video["height"]) == (240, 240)
    big = mp4(tmp_path / "big.mp4", 1920, 1080, kbps=1000)
    [poster] = (await processor.process(request(big, MediaKind.VIDEO))).derived
    video = stream(ffprobe(poster.path), "video")
    assert (video["width"], video["height"]) == (1280, 720)   # posters are at most 720 high


async def test_compact_reencodes_a_large_video_and_keeps_the_original(processor, tmp_path):
    src = mp4(tmp_path / "film.mp4", 1280, 720, kbps=3000)
    before = digest(src)
    profile = CompactProfile(max_height=360, max_kbps=400)
    result = await processor.process(request(src, MediaKind.VIDEO, compact=profile))
    assert result.errors == ()
    roles = {d.role: d.path for d in result.derived}
    assert set(roles) == {DerivedRole.POSTER, DerivedRole.COMPACT}
    compact = ffprobe(roles[DerivedRole.COMPACT])
    video = stream(compact, "video")
    assert (video["width"], video["height"]) == (640, 360) and video["codec_name"] == "h264"
    assert stream(compact, "audio")["codec_name"] == "aac"
    assert roles[DerivedRole.COMPACT].stat().st_size < src.stat().st_size / 3
    assert digest(src) == before and not result.remove_original
    # a profile that drops the original says so; the processor never deletes it itself
    drop = CompactProfile(max_height=360, max_kbps=400, keep_original=False)
    result = await processor.process(request(src, MediaKind.VIDEO, compact=drop))
    assert result.remove_original and src.exists()


async def test_compact_leaves_a_small_video_alone(processor, tmp_path):
    src = asset("video.mp4", tmp_path)
    result = await processor.process(request(src, MediaKind.VIDEO, compact=CompactProfile()))
    assert [d.role for d in result.derived] == [DerivedRole.POSTER] and result.errors == ()


async def test_an_animated_sticker_becomes_an_animated_webp(processor, tmp_path):
    pytest.importorskip("rlottie_python", reason="the stickers extra (rlottie-python) is not installed")
    from PIL import Image
    src = asset("animated_sticker.tgs", tmp_path, "st.tgs")
    result = await processor.process(request(src, MediaKind.ANIMATED_STICKER))
    assert result.errors == ()
    [webp] = result.derived
    assert webp.role == DerivedRole.ANIMATION and webp.path.name == "st.webp"
    with Image.open(webp.path) as image:
        assert image.format == "WEBP" and image.size == (512, 512)
        assert image.is_animated and image.n_frames > 10
        frames = set()
        for i in (0, image.n_frames // 2):
            image.seek(i)
            frame = image.convert("RGBA")
            assert frame.getbbox() is not None   # something is drawn
            frames.add(frame.tobytes())
        assert len(frames) == 2   # the frames differ: it moves


async def test_without_a_lottie_renderer_a_still_stands_in(processor, tmp_path, monkeypatch):
    monkeypatch.setattr(stickers, "renderer_available", lambda: False)
    src = asset("animated_sticker.tgs", tmp_path, "st.tgs")
    result = await processor.process(request(src, MediaKind.ANIMATED_STICKER))
    [still] = result.derived
    assert still.role == DerivedRole.STILL
    info = stream(ffprobe(still.path), "video")
    assert info["codec_name"] == "webp" and (info["width"], info["height"]) == (512, 512)
    assert len(result.errors) == 1 and "tobs[stickers]" in result.errors[0]


async def test_a_file_that_is_not_a_sticker_gives_an_error(processor, tmp_path):
    src = tmp_path / "x.tgs"
    src.write_bytes(b"not gzip at all")
    result = await processor.process(request(src, MediaKind.ANIMATED_STICKER))
    assert result.derived == () and "not a gzipped file" in result.errors[0]
    assert sorted(os.listdir(tmp_path)) == ["x.tgs"]


async def test_kinds_without_work_and_a_missing_original(processor, tmp_path):
    assert not processor.wants(MediaKind.VIDEO_STICKER, compact=False, transcribe=False)
    assert not processor.wants(MediaKind.PHOTO, compact=True, transcribe=True)
    assert processor.wants(MediaKind.ANIMATED_STICKER, compact=False, transcribe=False)
    webm = asset("video_sticker.webm", tmp_path)
    assert await processor.process(request(webm, MediaKind.VIDEO_STICKER)) == ProcessResult()
    gone = await processor.process(request(tmp_path / "gone.oga", MediaKind.VOICE))
    assert gone.derived == () and "is not there" in gone.errors[0]
