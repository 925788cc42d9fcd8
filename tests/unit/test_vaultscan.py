"""The vault reader the vault-vs-world tests use as their oracle: checked
here against the golden vault (every kind of message tobsd renders) and
the fixture world it was rendered from."""
from __future__ import annotations

from pathlib import Path

from tests.unit.vault.world import CHANNEL, FORUM, GROUP, channel_messages, forum_messages, group_messages
from tests.vaultscan import by_message, markdown_text, read_blocks, scan

GOLDEN = Path(__file__).parent / "vault" / "golden"
FOLDERS = {"Design Crew": GROUP.id, "News_ daily_weekly_": CHANNEL.id, "Forum": FORUM.id}

BLOCK = """\
user text above
%% tobs:m7 h={h} t=1+2 %%
> [!tg-msg]+ 09:06 · Ada
> **first** line \\*
> second `line`

^m7
"""


def test_the_golden_vault_reads_back_as_the_world_it_was_rendered_from():
    world = {(m.chat_id, m.id): m for m in group_messages() + channel_messages() + forum_messages()}
    blocks = scan(GOLDEN)
    seen = set()
    for b in blocks:
        m = world[(FOLDERS[b.note.split("/")[1]], b.msg_id)]
        seen.add((m.chat_id, m.id))
        assert b.intact and b.rev == 0, b
        assert b.deleted == m.deleted, b
        if m.action is None:
            assert b.text == m.text, (b.note, b.msg_id)
    assert seen == set(world)                     # every message, found once
    assert len(blocks) == len(world)
    assert any(b.deleted for b in blocks)         # the fixture has a deletion to find


def test_text_hash_revision_and_a_broken_block():
    import hashlib
    body = BLOCK.split("\n")[2:7]
    good = hashlib.sha256("\n".join(body).encode()).hexdigest()[:12]
    [block] = read_blocks(BLOCK.format(h=good), "n.md")
    assert (block.msg_id, block.rev, block.text, block.intact, block.deleted) == \
        (7, 0, "first line *\nsecond line", True, False)
    [edited] = read_blocks(BLOCK.format(h=good).replace("second", "2nd"))
    assert not edited.intact and edited.text == "first line *\n2nd line"
    revision = BLOCK.format(h=good).replace("m7 h", "m7-r2 h").replace("^m7", "^m7-r2")
    [rev] = read_blocks(revision.replace("[!tg-msg]", "[!tg-deleted]"))
    assert (rev.msg_id, rev.rev, rev.deleted) == (7, 2, True)
    # The id line removed by the user: the block ends with its callout.
    [broken] = read_blocks(BLOCK.format(h=good).replace("\n^m7\n", "\nmy words\n"))
    assert broken.text == "first line *\nsecond line" and not broken.intact
    assert by_message([block, rev]) == {7: [block, rev]}


def test_markdown_text_keeps_blank_lines_and_drops_syntax():
    assert markdown_text(["a", "", "", "b"]) == "a\n\n\nb"
    assert markdown_text(["[[Telegram/People/Ada|@ada]] ==hi== ~~x~~ <u>u</u>"]) == "@ada hi x u"
    assert markdown_text(["\\[\\[not a link\\]\\] \\#x &amp; &#42;"]) == "[[not a link]] #x & *"
    assert markdown_text(["```python", "x = 1", "```", ""]) == "x = 1\n"
