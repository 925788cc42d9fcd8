"""The media half of `WorldBuilder`: one method per media kind.

Every method returns a `Media` ready to attach to a message. Photos and
documents get a fresh id, a deterministic access hash and file reference,
and are registered so the world can serve their files; unless `dc_id` is
given they are spread over the world's DCs in turn, so clients exercise
cross-DC downloads.
"""
from __future__ import annotations

from . import mediakit
from .ids import FIRST_MEDIA_ID, seed_int
from .model import Media, Poll, PollAnswer


class MediaMaker:
    """Mixin for WorldBuilder; needs `seed`, `now`, `dc_ids`, `home_dc`."""

    seed: int
    now: int
    dc_ids: list[int]
    home_dc: int

    def _init_media(self) -> None:
        self._media: dict[int, Media] = {}
        self._next_media_id = FIRST_MEDIA_ID
        self._next_blob_id = 1
        self._dc_turn = 0

    # --- ids and DCs -------------------------------------------------------------
    def _new_media_id(self) -> int:
        media_id = self._next_media_id
        self._next_media_id += 7919  # not consecutive, like real ids
        return media_id

    def _new_blob_id(self) -> int:
        blob_id = self._next_blob_id
        self._next_blob_id += 1
        return blob_id

    def _pick_dc(self, dc_id: int | None) -> int:
        if dc_id is not None:
            if dc_id not in self.dc_ids:
                raise ValueError(f"DC {dc_id} does not exist (have {self.dc_ids})")
            return dc_id
        # Start at the home DC, then visit every other DC in turn.
        order = [self.home_dc] + [d for d in self.dc_ids if d != self.home_dc]
        dc_id = order[self._dc_turn % len(order)]
        self._dc_turn += 1
        return dc_id

    def _register(self, media: Media) -> Media:
        self._media[media.id] = media
        return media

    # --- photos and documents -----------------------------------------------------
    def photo(self, dc_id: int | None = None) -> Media:
        """A photo with sizes "s", "m" and "x" (shipped JPEGs)."""
        return self._register(mediakit.photo(self.seed, self._new_media_id(),
                                             self._pick_dc(dc_id), self._new_blob_id, self.now))

    def _asset_doc(self, kind: str, dc_id: int | None, overrides: dict) -> Media:
        return self._register(mediakit.asset_document(
            kind, self.seed, self._new_media_id(), self._pick_dc(dc_id),
            self._new_blob_id, self.now, **overrides))

    def voice(self, dc_id: int | None = None, **overrides) -> Media:
        """A 2 s Ogg/Opus voice note."""
        return self._asset_doc("voice", dc_id, overrides)

    def round_video(self, dc_id: int | None = None, **overrides) -> Media:
        """A 240x240 round video message (MP4, H.264 + AAC)."""
        return self._asset_doc("round", dc_id, overrides)

    def video(self, dc_id: int | None = None, **overrides) -> Media:
        """A 320x180 video (MP4) with a thumbnail."""
        return self._asset_doc("video", dc_id, overrides)

    def gif(self, dc_id: int | None = None, **overrides) -> Media:
        """A GIF-like animation (silent MP4)."""
        return self._asset_doc("gif", dc_id, overrides)

    def audio(self, dc_id: int | None = None, **overrides) -> Media:
        """An MP3 track with title and performer."""
        return self._asset_doc("audio", dc_id, overrides)

    def sticker(self, dc_id: int | None = None, **overrides) -> Media:
        """A static 512x512 WebP sticker."""
        return self._asset_doc("sticker", dc_id, overrides)

    def animated_sticker(self, dc_id: int | None = None, **overrides) -> Media:
        """An animated (Lottie .tgs) sticker."""
        return self._asset_doc("animated_sticker", dc_id, overrides)

    def video_sticker(self, dc_id: int | None = None, **overrides) -> Media:
        """A 512x512 VP9 WebM video sticker."""
        return self._asset_doc("video_sticker", dc_id, overrides)

    def document(self, size: int = 65536, file_name: str = "file.bin",
                 mime_type: str = "application/octet-stream",
                 dc_id: int | None = None) -> Media:
        """A document of `size` deterministic pseudo-random bytes."""
        return self._register(mediakit.seeded_document(
            self.seed, self._new_media_id(), self._pick_dc(dc_id), self._new_blob_id,
            size, file_name, mime_type, self.now))

    # --- media without files --------------------------------------------------------
    def geo(self, lat: float, long: float) -> Media:
        return Media(kind="geo", lat=lat, long=long)

    def venue(self, lat: float, long: float, title: str, address: str,
              provider: str = "foursquare", venue_id: str = "") -> Media:
        venue_id = venue_id or f"{seed_int(0, 'venue', lat, long):x}"[:24]
        return Media(kind="venue", lat=lat, long=long, title=title, address=address,
                     provider=provider, venue_id=venue_id)

    def contact(self, phone: str, first_name: str, last_name: str = "",
                user_id: int = 0) -> Media:
        return Media(kind="contact", phone=phone, first_name=first_name,
                     last_name=last_name, user_id=user_id)

    def poll(self, question: str, answers: list[str], voters: list[int] | None = None,
             closed: bool = False, quiz: bool = False, correct: int | None = None,
             chosen: int | None = None, multiple_choice: bool = False,
             public_voters: bool = False) -> Media:
        """A poll; `voters[i]` is how many chose answers[i]; a quiz marks
        answer `correct` (default 0) right."""
        voters = list(voters or [0] * len(answers))
        if len(voters) != len(answers):
            raise ValueError("voters must have one count per answer")
        if quiz and correct is None:
            correct = 0
        opts = [PollAnswer(text, n, correct=(i == correct), chosen=(i == chosen))
                for i, (text, n) in enumerate(zip(answers, voters))]
        poll = Poll(question, opts, closed=closed, quiz=quiz,
                    multiple_choice=multiple_choice, public_voters=public_voters)
        return Media(kind="poll", id=self._new_media_id(), poll=poll)

    def dice(self, emoji: str = "🎲", value: int = 3) -> Media:
        return Media(kind="dice", emoji=emoji, value=value)

    def webpage(self, url: str, title: str = "", description: str = "",
                site_name: str = "") -> Media:
        return Media(kind="webpage", id=self._new_media_id(), url=url, title=title,
                     description=description, site_name=site_name)

    def other(self, kind: str, title: str = "", description: str = "") -> Media:
        """game, invoice, story or unsupported media (no files)."""
        return Media(kind=kind, id=self._new_media_id(), title=title, description=description)

