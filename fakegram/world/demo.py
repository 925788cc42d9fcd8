"""The demo world: Ada Lovelace's account with a handful of realistic chats.

Every chat type (private chats, one with a bot; a basic group; a supergroup;
broadcast channels, one with a few thousand synthetic posts; a forum with
three topics), every text entity kind (nested, overlapping, after emoji),
replies, forwards, edits, service messages, reactions and every media kind
with files spread over DCs 1..5. Deterministic: same seed, same world.
"""
from __future__ import annotations

from .builder import WorldBuilder
from .model import Action, Forward, Reply
from .richtext import RichText
from .world import World

NOW = 1_760_000_000
CUSTOM_EMOJI_ID = 5_368_324_170_671_202_286


def demo_world(seed: int = 1, now: int = NOW, broadcast_posts: int = 3000) -> World:
    """Build the demo world (the logged-in user is Ada Lovelace, id 1000)."""
    b = WorldBuilder(seed=seed, now=now, me=dict(
        id=1000, first_name="Ada", last_name="Lovelace", username="ada",
        phone="15550001000"))
    people = _people(b)
    _private_chats(b, people)
    _basic_group(b, people)
    notices = _notice_channel(b)
    _supergroup(b, people, notices)
    _forum(b, people)
    b.synthetic_channel("Engine Weekly", count=broadcast_posts, username="engineweekly",
                        media_every=40, about="Weekly notes on engines, old and new.")
    return b.build()


def _people(b: WorldBuilder) -> dict:
    return {
        "charles": b.user(2001, "Charles", "Babbage", username="cbabbage",
                          phone="15550002001", about="Engines, mostly unfinished."),
        "mary": b.user(2002, "Mary", "Somerville", username="msomerville",
                       phone="15550002002"),
        "michael": b.user(2003, "Michael", "Faraday", phone="15550002003"),
        "charles_w": b.user(2004, "Charles", "Wheatstone", username="wheatstone"),
        "augustus": b.user(2005, "Augustus", "De Morgan", username="demorgan"),
        "bot": b.user(2100, "Weather", "Bot", username="weather_forecast_bot", bot=True,
                      about="Forecasts for any city. Try /forecast London."),
    }


def _entities_showcase() -> RichText:
    """One message that uses every entity kind, some nested or overlapping,
    after emoji so UTF-16 offsets differ from code points."""
    t = RichText("📝 Notes for Thursday 🚂\n")
    start = t.pos
    t.add("Bold, ", "bold").add("bold italic", "bold", "italic")
    t.mark("underline", start + 2, 12)  # overlaps the bold/italic boundary
    t.add(", ").add("struck", "strike").add(" and a ").add("secret", "spoiler")
    t.add(".\nRun ").add("engine.crank()", "code").add(" then read ")
    t.add("the manual", "text_url", url="https://example.org/engine/manual")
    t.add(" or ").add("https://example.org/faq", "url")
    t.add("\nWrite to ").add("ada@example.org", "email").add(" or call ")
    t.add("+1 555 000 1000", "phone").add(". Ping ").add("@cbabbage", "mention")
    t.add(" and ").add("Mary", "mention_name", user_id=2002).add(". ")
    t.add("#engines", "hashtag").add(" ").add("$BRASS", "cashtag").add(" ")
    t.add("/forecast", "bot_command").add(" ").add("🔩", "custom_emoji",
                                                  document_id=CUSTOM_EMOJI_ID)
    t.add(" card ").add("4111 1111 1111 1111", "bank_card").add(" ")
    t.add("(marked)", "unknown").add("\n")
    t.add("for step in range(3):\n    turn(crank)", "pre", language="python")
    t.add("\n").add("The engine weaves algebraic patterns\njust as the loom weaves "
                    "flowers and leaves.", "blockquote", collapsed=True)
    return t


def _private_chats(b: WorldBuilder, p: dict) -> None:
    charles, mary, bot = p["charles"], p["mary"], p["bot"]
    c = b.private(charles)
    c.pinned = True
    first = b.message(c, "Ada, have you had a chance to look at the notes on the engine?",
                      from_id=charles)
    b.message(c, "Yes! I have been translating Menabrea's paper. My notes are getting "
              "longer than the paper itself 😅", from_id=1000, reply_to=first,
              reactions={"😁": 1})
    b.message(c, "", from_id=charles, action=Action("phone_call", duration=754))
    b.message(c, from_id=1000, **_entities_showcase().kw(), edit_date=True)
    b.message(c, "Photos of the new gears", from_id=charles, media=b.photo(dc_id=1))
    b.message(c, "", from_id=charles, media=b.voice(dc_id=3))
    b.message(c, "", from_id=1000, media=b.round_video(dc_id=4))
    b.message(c, "The workshop is here", from_id=charles,
              media=b.venue(51.5246, -0.1340, "Babbage's Workshop", "1 Dorset Street, London"))
    b.message(c, "", from_id=1000, media=b.geo(51.5074, -0.1278))
    b.message(c, "Bernoulli numbers, draft 3", from_id=1000,
              media=b.document(size=180_000, file_name="note_G_draft3.pdf",
                               mime_type="application/pdf", dc_id=5))
    b.message(c, "", from_id=charles, media=b.sticker())
    b.message(c, "You said the engine could compose music. Is that true?",
              from_id=charles, reply_to=Reply(msg_id=first.id,
                                              quote_text="look at the notes"))
    b.message(c, "", from_id=1000, action=Action("screenshot"))

    m = b.private(mary)
    b.message(m, "Ada dear, Michael's contact, as promised.", from_id=mary,
              media=b.contact("15550002003", "Michael", "Faraday", user_id=2003))
    b.message(m, "Thank you! I'll write to him tomorrow.", from_id=1000)
    b.message(m, "Forwarding Charles's message about Thursday", from_id=mary)
    b.message(m, "Thursday at seven, bring the punched cards.", from_id=mary,
              fwd=Forward(date=b.now - 3 * 86400, from_user_id=2001))
    b.message(m, "A note from someone who hides their account", from_id=mary,
              fwd=Forward(date=b.now - 5 * 86400, from_name="A. Admirer"))
    b.message(m, "", from_id=mary, media=b.animated_sticker(dc_id=2))
    b.message(m, "", from_id=1000, media=b.video_sticker(dc_id=1))
    b.message(m, "", from_id=mary, action=Action("phone_call", duration=0, video=True))
    b.message(m, "I listened to this all evening", from_id=mary, media=b.audio(dc_id=4))

    w = b.private(bot)
    b.message(w, "/start", from_id=1000, entities=[("bot_command", 0, 6)])
    b.message(w, "Hello! Send /forecast followed by a city.", from_id=bot)
    b.message(w, "/forecast London", from_id=1000, entities=[("bot_command", 0, 9)])
    b.message(w, "London: 14°C, light rain 🌧️ easing by evening. Wind SW 12 km/h.",
              from_id=bot, entities=[("bold", 0, 7)], edit_date=True)
    b.message(w, "", from_id=1000, media=b.dice("🎲", 5))
    b.message(w, "", from_id=bot, media=b.other("unsupported"))


def _basic_group(b: WorldBuilder, p: dict) -> None:
    g = b.group("Analytical Society", members=[p["charles"], p["augustus"], p["mary"]])
    hello = b.message(g, "Welcome, everyone. Minutes of the last meeting are attached.",
                      from_id=p["augustus"], media=b.document(
                          size=42_000, file_name="minutes.docx", mime_type=(
                              "application/vnd.openxmlformats-officedocument."
                              "wordprocessingml.document")))
    b.message(g, "", from_id=1000, action=Action("add_user", user_ids=[2003]))
    b.message(g, "Thank you for having me!", from_id=p["michael"])
    b.message(g, "", from_id=1000, action=Action("pin"), reply_to=hello)
    hello.pinned = True
    b.message(g, "", from_id=p["augustus"], action=Action("title", title="Analytical Society"))
    b.message(g, "Where shall we meet next?", from_id=p["charles"],
              media=b.poll("Next meeting place", ["The Athenaeum", "Dorset Street",
                                                  "Somerset House"], voters=[2, 3, 1],
                           chosen=1))
    b.message(g, "", from_id=p["charles"], action=Action("group_call", duration=3600))
    b.message(g, "Quiz time", from_id=p["augustus"],
              media=b.poll("Which is De Morgan's law?",
                           ["not (a and b) = not a or not b", "a and b = b and a",
                            "a or (a and b) = a"], voters=[4, 1, 0], quiz=True,
                           correct=0, closed=True))
    b.message(g, "", from_id=p["michael"], action=Action("delete_user", user_ids=[2003]))
    b.message(g, "", from_id=p["mary"], action=Action("photo"))
    b.message(g, "", from_id=1000, action=Action("custom", text="Ada changed the rules"))


def _notice_channel(b: WorldBuilder):
    n = b.channel("Royal Society Notices", username="royalnotices",
                  about="Announcements of lectures and publications.")
    b.message(n, "Lecture on electromagnetic rotation this Friday.",
              post_author="Secretary", reactions={"👍": 41, "❤️": 12})
    album = 880_000_000_001
    b.message(n, "Photographs from the exhibition", media=b.photo(dc_id=3), grouped_id=album)
    b.message(n, "", media=b.photo(dc_id=4), grouped_id=album)
    b.message(n, "", media=b.photo(dc_id=5), grouped_id=album)
    link = RichText("Full programme: ").add("https://example.org/royal/programme", "url")
    b.message(n, **link.kw(), media=b.webpage("https://example.org/royal/programme",
                              "Programme of lectures", "Friday evening discourses, 1843.",
                              "Royal Society"))
    b.message(n, "A short film of the apparatus", media=b.video(dc_id=1), edit_date=True)
    return n


def _supergroup(b: WorldBuilder, p: dict, notices) -> None:
    s = b.supergroup("Difference Engine Builders", username="engine_builders",
                     members=[p["charles"], p["charles_w"], p["michael"]],
                     about="Building Difference Engine No. 2 from the original plans.")
    b.message(s, "", from_id=p["charles_w"], action=Action("join_by_link"))
    q = b.message(s, "The column wheels arrived today. Pictures below.", from_id=p["charles"])
    b.message(s, "", from_id=p["charles"], media=b.photo(), reply_to=q)
    b.message(s, "That's the wrong alloy, I'm afraid.", from_id=p["charles_w"], reply_to=q,
              reactions=[("😢", 2), ("👍", 5, True)])
    b.message(s, "", from_id=p["michael"], media=b.gif(dc_id=5))
    b.message(s, "From the Society:", from_id=1000)
    b.message(s, "Lecture on electromagnetic rotation this Friday.", from_id=1000,
              fwd=Forward(date=b.now - 2 * 86400, from_channel_id=notices.id,
                          channel_post=2, post_author="Secretary"))
    b.message(s, "", from_id=p["charles"], action=Action("pin"), reply_to=q)
    q.pinned = True
    b.message(s, "", from_id=p["michael"], action=Action("delete_user", user_ids=[2003]))
    b.message(s, "", from_id=p["charles"], action=Action("history_clear"))
    b.message(s, "", from_id=p["charles_w"], media=b.dice("🎯", 6))


def _forum(b: WorldBuilder, p: dict) -> None:
    f = b.forum("Tinkerers' Workshop", username="tinkerers",
                members=[p["charles"], p["michael"], p["charles_w"]])
    hw = b.topic(f, "Hardware", from_id=1000)
    sw = b.topic(f, "Software", from_id=1000)
    ot = b.topic(f, "Off-topic", from_id=p["michael"])
    b.message(f, "Welcome to the workshop! Pick a topic.", from_id=1000)
    gear = b.message(f, "Cutting the brass gears this weekend.", topic=hw, from_id=p["charles"])
    b.message(f, "Need help?", topic=hw, from_id=p["charles_w"], reply_to=gear)
    note = RichText("Note G computes Bernoulli numbers, starting with ").add("B7 = -1/30", "code")
    prog = b.message(f, topic=sw, from_id=1000, **note.kw())
    b.message(f, "Will the gears from Hardware run this program?", topic=sw,
              from_id=p["charles"], reply_to=gear)  # a reply across topics
    b.message(f, "Only if the carry mechanism works.", topic=sw, from_id=1000,
              reply_to=prog)
    b.message(f, "Anyone for tea at four?", topic=ot, from_id=p["michael"],
              reactions={"☕": 3})
    b.message(f, "", topic=ot, from_id=p["michael"],
              action=Action("topic_edit", title="Off-topic & tea"))
    ot.title = "Off-topic & tea"
    b.message(f, "", topic=hw, from_id=1000, action=Action("topic_edit", closed=True))
    hw.closed = True
    b.message(f, "The Software thread is where the real work happens 😉", from_id=p["michael"])
