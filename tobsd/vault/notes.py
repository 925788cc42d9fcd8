"""Rendering of the notes around the message blocks: chat notes, people notes,
and the skeleton of a new period note (all pure).

Chat note properties: ``tg_chat_id``, ``tg_kind``, ``tg_username``,
``tg_link``, ``title``, ``aliases`` (titles the chat had besides its folder
name), ``members``, ``synced_through`` (Date & time, UTC), ``message_count``,
``tags: [telegram]``. Titles and names in properties are plain strings
(:func:`~tobsd.vault.escape.plain_property`): never a link, an embed or a
Templater command. Its list of period notes sits between the
``%% tobs:index-begin %%`` and ``%% tobs:index-end %%`` comment lines; only
that region and the TOBS-managed properties are ever rewritten.
"""

from __future__ import annotations

from datetime import datetime

from tobsd.core.models import Chat, Person
from tobsd.vault.escape import escape_name, link_label, link_target_ok, plain_property
from tobsd.vault.frontmatter import Value, merge_frontmatter, read_string_list

INDEX_BEGIN = "%% tobs:index-begin %%"
INDEX_END = "%% tobs:index-end %%"


def period_skeleton(chat: Chat, chat_note_target: str, period: str,
                    topic_id: int | None, topic_title: str | None) -> tuple[list[str], list[str]]:
    """(frontmatter lines, body lines) of a brand-new period note, before any block."""
    props: dict[str, Value] = {"tg_chat_id": chat.id, "tg_period": period}
    if topic_id is not None:
        props["tg_topic_id"] = topic_id
    props["tags"] = ["telegram"]
    where = (f"[[{chat_note_target}|{link_label(chat.title)}]]" if link_target_ok(chat_note_target)
             else escape_name(chat.title) or "?")
    if topic_title:
        where += " › " + escape_name(topic_title)
    return merge_frontmatter(None, props), [f"{where} · {period}", ""]


def chat_properties(chat: Chat, folder_name: str, existing: list[str] | None,
                    synced_through: datetime | None, message_count: int | None) -> list[str]:
    """Merged frontmatter lines for a chat note (see module doc)."""
    aliases = _plain_list(read_string_list(existing, "aliases"))
    title = plain_property(chat.title)
    if chat.title != folder_name and title not in aliases:
        aliases.append(title)
    props: dict[str, Value] = {
        "tg_chat_id": chat.id,
        "tg_kind": chat.kind.value,
        "tg_username": chat.username,
        "tg_link": chat.link,
        "title": title,
        "aliases": aliases,
        "members": chat.members,
        "synced_through": synced_through,
        "message_count": message_count,
        "tags": ["telegram"],
    }
    if existing and synced_through is None:
        props.pop("synced_through")  # keep what was there
    if existing and message_count is None:
        props.pop("message_count")
    return merge_frontmatter(existing, props)


def index_lines(groups: list[tuple[str | None, list[tuple[str, str]]]]) -> list[str]:
    """The generated list of period notes: ``groups`` = [(topic title or None, [(target, label)])]."""
    lines = [INDEX_BEGIN, "## Notes"]
    for title, notes in groups:
        if title is not None:
            lines += ["", f"### {escape_name(title)}"]
        lines += [f"- [[{target}|{label}]]" if link_target_ok(target) else f"- {escape_name(label)}"
                  for target, label in notes]
    return lines + [INDEX_END]


def replace_index(body: list[str], index: list[str]) -> list[str]:
    """``body`` with its index region replaced (or the index prepended when there is none)."""
    try:
        start = body.index(INDEX_BEGIN)
        end = body.index(INDEX_END, start)
    except ValueError:
        return index + ([""] if body and body[0] != "" else []) + body
    return body[:start] + index + body[end + 1:]


def person_properties(person: Person, existing: list[str] | None) -> list[str]:
    """Merged frontmatter for a people note."""
    aliases = _plain_list(read_string_list(existing, "aliases"))
    for alias in (person.name, f"@{person.username}" if person.username else None):
        alias = plain_property(alias) if alias else alias
        if alias and alias not in aliases:
            aliases.append(alias)
    props: dict[str, Value] = {"tg_user_id": person.id, "tg_username": person.username,
                               "aliases": aliases, "tags": ["telegram", "telegram/person"]}
    return merge_frontmatter(existing, props)


def _plain_list(items: list[str]) -> list[str]:
    """Property list items read back, made plain (items an earlier version wrote may not be)."""
    out: list[str] = []
    for item in items:
        item = plain_property(item)
        if item not in out:
            out.append(item)
    return out
