"""What a note shows of an attachment while it downloads, once it landed,
once processed, and when it failed or was skipped."""
from __future__ import annotations

from tobsd.core.models import MediaKind, MediaRef
from tobsd.vault.render_extras import media_lines

P = "Telegram/Chan/attachments"


def test_a_downloading_file_is_embedded_at_its_final_name_with_a_marker():
    m = MediaRef(MediaKind.PHOTO, file_id="1:2", path=f"{P}/2_photo.jpg", status="downloading")
    assert media_lines(m, 2) == [f"![[{P}/2_photo.jpg]]", "⏳ *downloading…*"]
    m.status = None
    assert media_lines(m, 2) == [f"![[{P}/2_photo.jpg]]"]


def test_processed_files_are_embedded_instead_of_the_original():
    voice = MediaRef(MediaKind.VOICE, path=f"{P}/3_voice.oga",
                     derived=(("playable", f"{P}/3_voice.ogg"),), transcript="hi **there**\nsecond")
    lines = media_lines(voice, 3)
    assert lines[0] == f"![[{P}/3_voice.ogg]]" and lines[1] == f"📎 [[{P}/3_voice.oga|original]]"
    assert lines[2] == "> [!quote]- Transcript" and lines[3].startswith("> hi ")
    assert "**there**" not in lines[3] and lines[4] == "> second"
    video = MediaRef(MediaKind.VIDEO, path=f"{P}/4_video.mp4", derived=(("poster", f"{P}/4_video.jpg"),))
    assert media_lines(video, 4) == [f"![[{P}/4_video.jpg]]", f"![[{P}/4_video.mp4]]"]
    sticker = MediaRef(MediaKind.ANIMATED_STICKER, path=f"{P}/5_sticker.tgs",
                       derived=(("animation", f"{P}/5_sticker.webp"),))
    assert media_lines(sticker, 5)[0] == f"![[{P}/5_sticker.webp]]"


def test_failed_and_skipped_files_say_why():
    failed = MediaRef(MediaKind.DOCUMENT, file_name="a.pdf", status="failed", status_detail="gone")
    assert media_lines(failed, 1) == ["📎 document a.pdf · *download failed: gone*"]
    skipped = MediaRef(MediaKind.VIDEO, status="skipped", status_detail="larger than 10 MB")
    assert media_lines(skipped, 1) == ["🎬 video · *not downloaded: larger than 10 MB*"]
