"""Calling handlers without a network: a stand-in server and contexts.

    kit = HandlerKit(world)
    result = await kit.call(functions.messages.GetHistoryRequest(...))

`kit.call` looks the handler up in HANDLERS by CONSTRUCTOR_ID, exactly as the
MTProto server does, with a RequestContext on a chosen DC and auth key.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..rpc import AuthRecord, RequestContext
from .methods import HANDLERS
from .state import ServerState


@dataclass
class StubServer:
    """What handlers use of the server: DC addresses and the ServerState."""
    world: object
    state: ServerState = None
    dcs: list = field(default_factory=list)

    def __post_init__(self):
        if self.state is None:
            self.state = ServerState(self.world)
        if not self.dcs:
            self.dcs = [(dc, "127.0.0.1", 20000 + dc) for dc in self.world.dc_ids]

    def dc_options(self):
        return list(self.dcs)


class HandlerKit:
    """A world, a stub server and one auth key per DC, logged in by default."""

    def __init__(self, world, *, logged_in: bool = True, **state_options):
        self.world = world
        self.server = StubServer(world, ServerState(world, **state_options))
        self.keys: dict[int, AuthRecord] = {}
        if logged_in:
            self.auth(world.home_dc).user_id = world.me

    def auth(self, dc_id: int) -> AuthRecord:
        """The auth key record used for requests on `dc_id`."""
        record = self.keys.get(dc_id)
        if record is None:
            key_id = 0x1000 + dc_id
            record = self.keys[dc_id] = AuthRecord(key=bytes(256), key_id=key_id, dc_id=dc_id)
        return record

    def login(self, *dc_ids: int) -> None:
        """Log the auth keys of these DCs (default: every DC) in as the account."""
        for dc_id in dc_ids or self.world.dc_ids:
            self.auth(dc_id).user_id = self.world.me

    def ctx(self, dc_id: int | None = None, takeout_id: int | None = None) -> RequestContext:
        dc_id = self.world.home_dc if dc_id is None else dc_id
        return RequestContext(world=self.world, dc_id=dc_id, home_dc=self.world.home_dc,
                              auth=self.auth(dc_id), server=self.server, takeout_id=takeout_id)

    async def call(self, request, *, dc_id: int | None = None, takeout_id: int | None = None):
        handler = HANDLERS[request.CONSTRUCTOR_ID]
        return await handler(self.ctx(dc_id, takeout_id), request)


ME, BOB, EVE, BOT = 1000, 2001, 2002, 2003


def sample_world(seed: int = 11, password: str | None = None):
    """A small world holding every entity, media and action kind, a forum
    with topics, forwards, replies, reactions and media on two DCs."""
    from ..world import WorldBuilder
    from ..world.model import ACTION_KINDS, ENTITY_KINDS, Action, Entity, Forward, Reply

    b = WorldBuilder(seed=seed, password=password,
                     me=dict(id=ME, first_name="Ada", last_name="Lovelace", username="ada",
                             phone="15550001000"))
    bob = b.user(id=BOB, first_name="Bob", last_name="Stone", username="bobstone",
                 phone="15550002001")
    b.user(id=EVE, first_name="Eve", username="eve", phone="15550002002")
    b.user(id=BOT, first_name="Helper", username="helper_bot", bot=True)
    with_bob = b.private(bob)
    group = b.group("Book club", members=[BOB, EVE])
    news = b.channel("News", username="news", about="All the news")
    forum = b.forum("Makers", username="makers", members=[BOB, EVE])
    t1 = b.topic(forum, "Hardware", from_id=BOB)
    t2 = b.topic(forum, "Software", closed=True)

    text = "x" * 40
    entities = [Entity(kind, i, 2, language="py" if kind == "pre" else None,
                       url="https://e.x" if kind == "text_url" else None,
                       user_id=BOB if kind == "mention_name" else None,
                       document_id=77 if kind == "custom_emoji" else None,
                       collapsed=kind == "blockquote")
                for i, kind in enumerate(ENTITY_KINDS)]
    first = b.message(with_bob, text, from_id=BOB, entities=entities)
    b.message(with_bob, "reply", from_id=ME, reply_to=Reply(first.id, quote_text="xx"),
              reactions={"👍": 3, "❤": 1})
    b.message(with_bob, "fwd", from_id=BOB, fwd=Forward(date=1_700_000_000, from_user_id=EVE))
    b.message(with_bob, "fwd2", from_id=BOB, fwd=Forward(date=1_700_000_000, from_name="Anon"))
    b.message(with_bob, "a photo", from_id=BOB, media=b.photo(dc_id=2))
    b.message(with_bob, "a remote photo", from_id=BOB, media=b.photo(dc_id=4))
    for make_media in (b.voice, b.round_video, b.video, b.gif, b.audio, b.sticker,
                       b.animated_sticker, b.video_sticker):
        b.message(with_bob, "", from_id=BOB, media=make_media())
    b.message(with_bob, "doc", from_id=ME, media=b.document(
        size=3 * 1024 * 1024 + 12345, file_name="big.bin", mime_type="application/octet-stream"))
    b.message(with_bob, "", media=b.geo(51.5, -0.12))
    b.message(with_bob, "", media=b.venue(51.5, -0.12, "Museum", "Exhibition Rd"))
    b.message(with_bob, "", media=b.contact("15550002002", "Eve", user_id=EVE))
    b.message(with_bob, "", media=b.poll("Tea?", ["yes", "no"], voters=[3, 1], chosen=0))
    b.message(with_bob, "", media=b.poll("Quiz", ["a", "b"], quiz=True, closed=True))
    b.message(with_bob, "", media=b.dice())
    b.message(with_bob, "see", media=b.webpage("https://example.org/a", "Example", "Desc", "Ex"))
    for kind in ("game", "invoice", "story", "unsupported"):
        b.message(with_bob, "", media=b.other(kind, title="Thing", description="About"))
    for kind in ACTION_KINDS:
        b.message(group, "", from_id=ME, action=Action(kind, user_ids=[EVE], title="T",
                                                       duration=5, closed=True, text="did it"))
    for i in range(5):
        b.message(group, f"group {i}", from_id=(BOB, EVE, ME)[i % 3], pinned=i == 2)
    for i in range(30):
        b.message(news, f"post {i}", grouped_id=99 if i in (3, 4) else None,
                  edit_date=True if i == 5 else None)
    b.message(forum, "general chat", from_id=EVE)
    hw = b.message(forum, "solder", from_id=BOB, topic=t1)
    b.message(forum, "which iron?", from_id=EVE, topic=t1, reply_to=hw)
    b.message(forum, "rust", from_id=ME, topic=t2)
    return b.build()
