"""Safe to open: a hostile corpus written by the real writer, read back by
independent parsers (see ``oracle.py``): nothing a stranger wrote runs code,
loads a remote resource or forges data in Obsidian. Every example of the
threat model (``docs/threat-model.md``) is in the corpus."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings, strategies as st

from tobsd.core.models import (Chat, ChatKind, Entity, EntityKind as K, ForwardInfo, MediaKind,
                               MediaRef, Message, Person, PollAnswer, ReplyRef, Topic)
from tobsd.vault.blocks import parse_note
from tobsd.vault.escape import PLAIN_LANGUAGES
from tobsd.vault.names import collision_key
from tobsd.vault.writer import VaultWriter

from tests.unit.vault.oracle import PLAIN, Allowed, hazards

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

# Every example of the issue and of the threat model, one per line of a message.
CORPUS = [
    "<%+ tp.file.title %>", "<% tp.system.prompt('x') %>", "<%* app.vault.delete(x) %>",
    "&lt;%+ tp.file.title %&gt;", "&#60;% x %&#62;", "<<%% x %%>>",
    "status:: pwned", "(hidden:: yes)", "[key:: value]", "a:::b", "**Bold**:: field",
    "![click me](https://evil.example/pixel.png)", "![](https://evil.example/p.png)",
    "[[link]]", "![[Secret note]]", "[[a|b]]", "[x](javascript:alert(1))", "<https://evil.example/a>",
    "<img src=https://evil.example/p.png>", "<script>alert(1)</script>", "<iframe src=x>",
    "<!-- hidden -->", "%%comment%%", "%% tobs:m1 h=000000000000 t=1+1 v=2 %%",
    "$x$", "$$", "$= dv.pages()", "= this.file.name", "`= this.file.name`", "`$= 1`",
    "INPUT[text:title]", "VIEW[{title}]", "BUTTON[run]", "button-run",
    "```dataviewjs", "```meta-bind-js-view", "```", "~~~dataview",
    "#tag", "^blockid", "[!note] callout", "> [!danger] quote", "# heading", "---",
    "- [ ] task 📅 2026-01-01", "1. list", "    indented code", "{{title}}", "==mark==",
    "Tıtle", "Title", "Ǆ", "ǅ", "ﬁle", "file", "\u200b", "notes.md", "name`tick", "a$b",
    "a%%b", "%%", "\u202eevil", "x\u2028y",
]
LANGS = ["meta-bind-js-view", "meta-bind-button", "meta-bind", "dataviewjs", "dataview", "templater",
         "tasks", "js-engine", "excalidraw", "button", "query", "base", "tg-dataview", "python",
         "PYTHON", "javascript", "mermaid", "chart", "tracker", ""]


def _u16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _layouts(chat: Chat, start_id: int, ada: Person):
    """Each corpus string in several entity layouts: plain, styled, code, fenced,
    after "!" as a link and as a mention, in a quote."""
    mid = start_id
    for k, s in enumerate(CORPUS):
        n = _u16(s)
        layouts = [
            (s, ()),
            (s, (Entity(K.BOLD, 0, max(1, n // 2)),)),
            (s, (Entity(K.CODE, 0, n),)),
            (s, (Entity(K.PRE, 0, n, language=LANGS[k % len(LANGS)]),)),
            ("!" + s, (Entity(K.TEXT_URL, 1, n, url="https://evil.example/pixel.png"),)),
            ("!" + s, (Entity(K.URL, 1, n),)),
            ("!Ada " + s, (Entity(K.MENTION_NAME, 1, 3, user_id=ada.id),)),
            ("x\n" + s + "\ny", (Entity(K.BLOCKQUOTE, 0, n + 4), Entity(K.ITALIC, 2, n))),
        ]
        for text, ents in layouts:
            mid += 1
            yield Message(chat.id, mid, T0 + timedelta(seconds=mid), ada, text, ents)


def _media_messages(chat: Chat, start_id: int, sender: Person, attachment: str):
    mid = start_id
    for s in CORPUS:
        mid += 1
        yield Message(chat.id, mid, T0 + timedelta(seconds=mid), sender, "",
                      media=MediaRef(MediaKind.WEBPAGE, url="https://evil.example/p.png", title=s,
                                     description=s, site_name=s + "::"))
        mid += 1
        yield Message(chat.id, mid, T0 + timedelta(seconds=mid), sender, "",
                      media=MediaRef(MediaKind.POLL, poll_question=s,
                                     poll_answers=(PollAnswer(s, 1), PollAnswer("!" + s, 2))))
        mid += 1
        yield Message(chat.id, mid, T0 + timedelta(seconds=mid), sender, s,
                      media=MediaRef(MediaKind.DOCUMENT, file_name=s + ".pdf"),
                      forward=ForwardInfo(s), post_author=s, reply=ReplyRef(1, quote=s))
    mid += 1
    yield Message(chat.id, mid, T0 + timedelta(seconds=mid), sender, "#news",
                  entities=(Entity(K.HASHTAG, 0, 5),),
                  media=MediaRef(MediaKind.PHOTO, path=attachment))


async def _write_corpus(vault: Path) -> VaultWriter:
    writer = VaultWriter(vault, durable=False)
    people = [Person(100 + k, s, None) for k, s in enumerate(CORPUS)]
    ada = Person(1, "Ada", "ada")
    await writer.learn_people([ada, *people])
    chats = [Chat(-1000 - k, ChatKind.SUPERGROUP, s) for k, s in enumerate(CORPUS)]
    forum = Chat(-2000, ChatKind.FORUM, "Forum <%+ x %>")
    for k, s in enumerate(CORPUS):
        writer.register_topic(Topic(forum.id, 10 + k, s))
    for k, chat in enumerate(chats):
        sender = people[k]
        await writer.apply(chat, [Message(chat.id, 1, T0, sender, chat.title)])
        await writer.write_chat_note(chat)
    main = chats[0]
    attachment = f"{writer.layout.attachments_folder(main)}/9_photo.png"
    (vault / attachment).parent.mkdir(parents=True, exist_ok=True)
    (vault / attachment).write_bytes(b"\x89PNG\r\n\x1a\n")
    await writer.apply(main, list(_layouts(main, 10, ada)))
    await writer.apply(main, list(_media_messages(main, 5000, people[1], attachment)))
    await writer.apply(forum, [Message(forum.id, 10 + k, T0, ada, s, topic_id=10 + k)
                               for k, s in enumerate(CORPUS)])
    await writer.write_chat_note(forum)
    # a chat renamed to a hostile title gains an alias
    await writer.write_chat_note(Chat(main.id, main.kind, "[[Renamed]] <% x %>"))
    return writer


def _allowed(vault: Path) -> Allowed:
    notes = {p.relative_to(vault).as_posix()[:-3] for p in vault.rglob("*.md")}
    files = {p.relative_to(vault).as_posix() for p in vault.rglob("*")
             if p.is_file() and not p.name.endswith(".md") and ".tobs" not in p.parts}
    return Allowed(links=notes, embeds=files, tags={"#news"})


async def test_hostile_corpus_reaches_nothing_in_obsidian(tmp_path):
    await _write_corpus(tmp_path)
    allowed = _allowed(tmp_path)
    notes = sorted(tmp_path.rglob("*.md"))
    assert len(notes) > 3 * len(CORPUS)  # chat notes, people notes, period notes, topics
    problems = {}
    for path in notes:
        found = hazards(path.read_text("utf-8"), allowed)
        if found:
            problems[path.relative_to(tmp_path).as_posix()] = found
    assert problems == {}
    # the oracle does see what it looks for: the same corpus unescaped is full of it
    raw = "\n".join(CORPUS + ["```dataviewjs", "x", "```", "!" + "[x](https://e.x/p.png)"])
    assert len(hazards("---\ntitle: \"[[x]] <% y %>\"\n---\n" + raw, allowed)) > 20


async def test_corpus_text_reads_back_exactly(tmp_path):
    writer = await _write_corpus(tmp_path)
    main = Chat(-1000, ChatKind.SUPERGROUP, CORPUS[0])
    rel = writer.layout.period_note(main, T0)
    note = parse_note((tmp_path / rel).read_text("utf-8"))
    texts = {b.msg_id: b.text()[0] for b in note.blocks()}
    ada = Person(1, "Ada", "ada")
    for msg in _layouts(main, 10, ada):
        assert texts[msg.id] == msg.text


async def test_names_never_collide_look_empty_or_end_in_md(tmp_path):
    writer = await _write_corpus(tmp_path)
    root = tmp_path / "Telegram"
    for folder in [root, root / "People", *[p for p in root.iterdir() if p.is_dir()]]:
        names = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
        keys = [collision_key(n) for n in names]
        assert len(set(keys)) == len(keys), sorted(names)
    for path in root.rglob("*"):
        if path.is_dir():
            assert not collision_key(path.name).endswith(".md"), path
        assert path.name.strip("\u200b\u200c\u200d\u2060 ") != "", repr(path.name)
        assert not any(c in path.name for c in "`$") and "%%" not in path.name, path.name
    assert writer.state.render_version == 2


def test_the_oracle_and_the_renderer_allow_the_same_languages():
    assert set(PLAIN_LANGUAGES) == PLAIN
    for plugin in ("dataview", "dataviewjs", "tasks", "templater", "meta-bind", "meta-bind-js-view",
                   "meta-bind-button", "js-engine", "button", "query", "base", "bases", "excalidraw",
                   "chart", "tracker", "mermaid", "contextual-typography", "ad-note", "latex", "tex",
                   "dot", "tikz", "plantuml", "csv", "svg", "math", "abc", "kanban"):
        assert plugin not in PLAIN


# -- property tests: generated hostile text, titles and entity layouts ---------------

PIECES = ["<", "%", "<%", "%>", ":", "::", "!", "[", "]", "[[", "]]", "(", ")", "`", "```", "$", "&",
          "&lt;", "&#60;", "&#58;", "\u200b", "#", "^", "=", "\n", " ", "a", "INPUT[", "tg-", "\\",
          "*", "_", "~", ">", "-", "|", "😀", "ı", "İ", "ﬁ", "Ǆ", ".md"]
HOSTILE = st.lists(st.sampled_from(PIECES), min_size=1, max_size=20).map("".join)
KINDS = [K.BOLD, K.ITALIC, K.UNDERLINE, K.STRIKE, K.SPOILER, K.BLOCKQUOTE, K.CODE, K.PRE,
         K.TEXT_URL, K.URL, K.MENTION_NAME, K.HASHTAG]


@st.composite
def hostile_messages(draw):
    text = draw(HOSTILE)
    n = _u16(text)
    ents = []
    atom_end = 0
    for _ in range(draw(st.integers(0, 4))):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(a + 1, n))
        kind = draw(st.sampled_from(KINDS))
        if kind in (K.CODE, K.PRE, K.TEXT_URL, K.URL, K.MENTION_NAME, K.HASHTAG):
            if a < atom_end:
                continue  # atoms do not overlap in Telegram's entities
            atom_end = b
        ents.append(Entity(kind, a, b - a, url="https://evil.example/x.png", user_id=1,
                           language=draw(st.sampled_from(LANGS))))
    return text, tuple(ents)


@example(messages=[("%", ())], title="<", name="<", topic="<")  # "<" ends the header, "%" starts the text
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(hostile_messages(), min_size=1, max_size=6), HOSTILE, HOSTILE, HOSTILE)
async def test_generated_hostile_notes_reach_nothing(tmp_path_factory, messages, title, name, topic):
    vault = tmp_path_factory.mktemp("v")
    writer = VaultWriter(vault, durable=False)
    sender = Person(1, name, None)
    await writer.learn_people([sender])
    chat = Chat(-7, ChatKind.FORUM, title)
    writer.register_topic(Topic(chat.id, 5, topic))
    msgs = [Message(chat.id, k + 1, T0, sender, text, ents, topic_id=5, post_author=name,
                    forward=ForwardInfo(title))
            for k, (text, ents) in enumerate(messages)]
    await writer.apply(chat, msgs)
    await writer.write_chat_note(chat)
    allowed = _allowed(vault)
    allowed.tags = {m.text[e.offset:e.offset + e.length] for m in msgs for e in m.entities
                    if e.kind == K.HASHTAG and m.text.isascii()} | {"#" + w for w in ("a",)}
    for path in vault.rglob("*.md"):
        found = [h for h in hazards(path.read_text("utf-8"), allowed) if not h.startswith("tag ")]
        assert found == [], path.relative_to(vault).as_posix()
    rel = writer.layout.period_note(chat, T0, 5)
    texts = {b.msg_id: b.text()[0] for b in parse_note((vault / rel).read_text("utf-8")).blocks()}
    assert texts == {m.id: m.text for m in msgs}
