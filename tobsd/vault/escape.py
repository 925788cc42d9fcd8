"""Escaping: message text in, Markdown out that Obsidian shows as the original
characters and that can never form syntax of its own.

Plain text (:func:`escape_text`) inside a message callout:

* ASCII punctuation with a Markdown or Obsidian meaning gets a backslash:
  ``\\ ` * _ [ ] # ^ $ ~ = | { }`` and ``-``/``+`` at line start, the ``.`` or
  ``)`` of ``12.``/``12)`` at line start. This kills emphasis, code, links,
  wikilinks, embeds, footnotes, tags, block ids, math, highlights, tables,
  headings, lists, thematic breaks and setext underlines.
* ``<`` and ``>`` become ``&lt;``/``&gt;`` (no HTML, no autolinks, no
  Templater ``<% %>``, no quote that could leave the callout); ``%`` next to
  another ``%`` becomes ``&#37;`` (no Obsidian comments); ``&`` that would start
  an entity becomes ``&amp;``.
* Leading and trailing spaces and tabs of a line become ``&#32;``/``&#9;`` (no
  indented code, nothing for an editor to strip); control characters and the
  Unicode line separators become numeric references (no stray line breaks:
  CR would otherwise end a callout line).

Pairs that plugins read in the *rendered* text or in the source, whatever the
escaping (``<%`` opens a Templater command once Obsidian has decoded ``&lt;``;
``::`` makes a Dataview inline field), are broken with U+200B ZERO WIDTH SPACE
in the text itself, before anything else (:func:`break_pairs`): a ``%`` after
``<`` and a ``:`` after ``:`` get one U+200B in front of them (after any U+200B
already there, so :func:`unbreak_pairs` can remove exactly one). Shown, the
text looks unchanged; neither the source nor the rendered text ever holds the
two characters side by side.

Code (inline and fenced) cannot hold escapes, so its content is made harmless
the same way: U+200B between ``%`` and ``%`` (comments), and every inline code
span starts with one U+200B, so no plugin that reads inline code by its start
(Dataview ``=``/``$=`` with any prefix, Meta Bind ``INPUT[``/``VIEW[``/
``BUTTON[``, Buttons) sees its own syntax. Fenced blocks keep their language
only when it is on :data:`PLAIN_LANGUAGES` (plain syntax highlighting);
every other info string is dropped. Both insertions are reversible
(:func:`unbreak_code`).
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlsplit

ZWSP = "\u200b"
# Characters escaped with a backslash wherever they appear.
_ALWAYS = set("\\`*_[]#^$~=|{}")
_LINE_BREAKERS = {"\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"}
_NAMED = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|(lt|gt|amp));")
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _is_control(ch: str) -> bool:
    o = ord(ch)
    return (o < 0x20 and ch not in "\t\n") or 0x7f <= o <= 0x9f or ch in _LINE_BREAKERS


def _numeric(ch: str) -> str:
    return f"&#{ord(ch)};"


_SPECIAL = re.compile("[\\\\`*_\\[\\]#^$~=|{}<>&%\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# The ASCII characters _SPECIAL matches, as bytes: deleting them from an ASCII
# string's encoding is a cheaper test than a regex scan (see _plain).
_SPECIAL_ASCII = bytes(c for c in range(128) if _SPECIAL.match(chr(c)))
_NOT_SPECIAL_ASCII = bytes(c for c in range(128) if c not in _SPECIAL_ASCII)


def _plain(s: str) -> bool:
    """True when ``s`` holds no character that :data:`_SPECIAL` matches."""
    if len(s) > 32 and s.isascii():  # below that the regex's lower setup cost wins
        return len(s.encode("ascii").translate(None, _SPECIAL_ASCII)) == len(s)
    return _SPECIAL.search(s) is None


# Characters that make a line start or end need escaping (see escape_text).
_EDGE_START = frozenset(" \t-+")
_EDGE_END = frozenset(" \t")


# What each special character but "&" and "%" becomes (controls: a numeric
# reference); "&" and "%" depend on their neighbours (see _escape_specials).
_FIXED = {"<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in _ALWAYS}}
_CONTEXTUAL = re.compile("[&%]")


def _escape_fixed(s: str) -> str:
    """``s`` (no ``&`` or ``%`` in it) with every :data:`_SPECIAL` character replaced.

    One ``str.replace`` per distinct character found. Backslash goes first
    and controls last, so no replacement's output is replaced again (the
    outputs hold backslashes, the character itself, and ``&#;`` with digits).
    """
    if s.isascii():  # keep only the special bytes: cheaper than a regex scan
        found = set(s.encode("ascii").translate(None, _NOT_SPECIAL_ASCII).decode("ascii"))
    else:
        found = set(_SPECIAL.findall(s))
    if not found:
        return s
    if "\\" in found:
        found.discard("\\")
        s = s.replace("\\", "\\\\")
    controls = []
    for ch in found:
        rep = _FIXED.get(ch)
        if rep is None:
            controls.append(ch)
        else:
            s = s.replace(ch, rep)
    for ch in controls:
        s = s.replace(ch, _numeric(ch))
    return s


def _escape_specials(text: str, a: int, b: int) -> str:
    """``text[a:b]`` with every :data:`_SPECIAL` character escaped (see module doc).

    ``&`` becomes ``&amp;`` when a letter, digit or ``#`` follows it in
    ``text``; ``%`` becomes ``&#37;`` next to another ``%`` in ``text``.
    """
    seg = text[a:b]
    if "&" not in seg and "%" not in seg:
        return _escape_fixed(seg)
    n = len(text)
    out = []
    pos = a
    for m in _CONTEXTUAL.finditer(text, a, b):
        i = m.start()
        out.append(_escape_fixed(text[pos:i]))
        nxt = text[i + 1] if i + 1 < n else ""
        if text[i] == "&":
            out.append("&amp;" if (nxt.isalnum() or nxt == "#") else "&")
        else:
            prev = text[i - 1] if i > 0 else ""
            out.append("&#37;" if "%" in (prev, nxt) else "%")
        pos = i + 1
    out.append(_escape_fixed(text[pos:b]))
    return "".join(out)


def escape_text(text: str, start: int = 0, end: int | None = None) -> str:
    """Escape ``text[start:end]`` (no newlines inside) using ``text`` around it as context.

    Context matters for line-start rules (lists, leading spaces), trailing
    spaces and ``%%`` pairs that straddle the range boundary.
    """
    end = len(text) if end is None else end
    if start >= end:
        return ""
    return escape_range(text, start, end, line_context(text, start, end))


def line_context(text: str, start: int, end: int) -> tuple[int, int, int]:
    """(line end, end of leading blanks, start of trailing blanks) of the line holding ``text[start:end]``.

    The same for every range inside one line: a caller escaping several
    pieces of a line computes it once and passes it to :func:`escape_range`.
    """
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    lead_end = line_start
    while lead_end < line_end and text[lead_end] in " \t":
        lead_end += 1
    trail_start = line_end
    while trail_start > lead_end and text[trail_start - 1] in " \t":
        trail_start -= 1
    return line_end, lead_end, trail_start


def escape_range(text: str, start: int, end: int, line: tuple[int, int, int]) -> str:
    """``escape_text(text, start, end)``, given ``line = line_context(text, start, end)``."""
    if start >= end:
        return ""
    line_end, lead_end, trail_start = line
    # a, b = max(start, min(lead_end, end)), min(end, max(trail_start, start)), spelled
    # out because this runs for every piece of every message.
    a = lead_end if lead_end > start else start
    if a > end:
        a = end
    b = trail_start if trail_start > start else start
    if b > end:
        b = end
    middle = ""
    if a < b:
        middle = text[a:b]
        if not _plain(middle):  # most ranges hold nothing special
            middle = _escape_specials(text, a, b)
        if a == lead_end and text[a] in "-+":
            middle = "\\" + middle
        elif a <= lead_end + 9 and text[lead_end].isdigit():  # else no "12." can start here
            digits_end = lead_end
            while digits_end < line_end and text[digits_end].isdigit():
                digits_end += 1
            if lead_end < digits_end <= lead_end + 9 and a <= digits_end < b \
                    and text[digits_end] in ".)" and digits_end < line_end:
                k = digits_end - a  # position of the . or ) inside the (unchanged) digit prefix
                if a >= lead_end:
                    middle = middle[:k] + "\\" + middle[k:]
        if a == start and b == end:
            return middle  # the usual case: no edge whitespace inside the range
    head = "".join([_numeric(ch) for ch in text[start:a]])
    tail = "".join([_numeric(ch) for ch in text[max(b, a):end]])
    return head + middle + tail


def escape_line(line: str) -> str:
    """Escape one whole line of plain text; same result as ``escape_text(line, 0, len(line))``.

    A line with no special character and nothing to escape at its edges (no
    edge whitespace, no leading ``-``/``+``/digit) comes back unchanged
    without the general pass.
    """
    if line and line[0] not in _EDGE_START and line[-1] not in _EDGE_END \
            and not line[0].isdigit() and _plain(line):
        return line
    return escape_text(line, 0, len(line))


def unescape_text(md: str) -> str:
    """Inverse of :func:`escape_text` for text that contains no markup."""
    out: list[str] = []
    i = 0
    while i < len(md):
        ch = md[i]
        if ch == "\\" and i + 1 < len(md) and md[i + 1] in _ASCII_PUNCT:
            out.append(md[i + 1])
            i += 2
            continue
        if ch == "&":
            m = _ENTITY_RE.match(md, i)
            if m:
                out.append(chr(int(m.group(1))) if m.group(1) else _NAMED[f"&{m.group(2)};"])
                i = m.end()
                continue
        out.append(ch)
        i += 1
    return "".join(out)


# -- pairs broken in the text itself ---------------------------------------------

# Where break_pairs inserts: before a "%" that follows "<", before a ":" that
# follows ":" (any U+200B between them count as "follows").
_PAIR_SITE = re.compile(f"(?:<{ZWSP}*(?=%)|:{ZWSP}*(?=:))")
# What unbreak_pairs removes: the last U+200B of such a run.
_PAIR_BROKEN = re.compile(f"(?:<{ZWSP}*({ZWSP})(?=%)|:{ZWSP}*({ZWSP})(?=:))")


def pair_sites(text: str) -> list[int]:
    """Indices of the characters :func:`break_pairs` puts a U+200B in front of."""
    if ZWSP not in text and "<%" not in text and "::" not in text:
        return []  # the usual text: nothing to break (three scans in C beat the regex)
    return [m.end() for m in _PAIR_SITE.finditer(text)]


def break_pairs(text: str) -> str:
    """``text`` with ``<%`` and ``::`` broken by U+200B (see module doc); reversible."""
    sites = pair_sites(text)
    if not sites:
        return text
    out, pos = [], 0
    for i in sites:
        out.append(text[pos:i])
        out.append(ZWSP)
        pos = i
    out.append(text[pos:])
    return "".join(out)


def unbreak_pairs(text: str) -> tuple[str, list[int]]:
    """Inverse of :func:`break_pairs`: (text, indices in ``text`` of the U+200B removed)."""
    if ZWSP not in text:
        return text, []
    removed = [m.start(1) if m.group(1) is not None else m.start(2)
               for m in _PAIR_BROKEN.finditer(text)]
    if not removed:
        return text, []
    out, pos = [], 0
    for i in removed:
        out.append(text[pos:i])
        pos = i + 1
    out.append(text[pos:])
    return "".join(out), removed


def escape_name(text: str) -> str:
    """A one-line string from Telegram (a name, a title, a poll option) as Markdown text.

    Whitespace runs collapse to one space, pairs are broken
    (:func:`break_pairs`) and the result is escaped like message text. Not
    meant to be read back exactly.
    """
    return escape_line(break_pairs(" ".join(text.split())))


# -- code --------------------------------------------------------------------

_BREAK_PAIR = re.compile(f"(?<=%)({ZWSP}*)(?=%)")
_UNBREAK_PAIR = re.compile(f"(?<=%){ZWSP}({ZWSP}*)(?=%)")
# Written before the inline-code rule above: a U+200B before a leading "=" or "$=" only.
_OLD_UNLEADING_QUERY = re.compile(f"^(\\s*){ZWSP}({ZWSP}*)(?==|\\$=)")


def break_code(content: str, *, inline: bool) -> str:
    """Make code content inert (see module doc); reversible with :func:`unbreak_code`."""
    if "%" in content:
        content = _BREAK_PAIR.sub(lambda m: m.group(1) + ZWSP, content)
    return ZWSP + content if inline else content


def unbreak_code(content: str, *, inline: bool) -> str:
    """Inverse of :func:`break_code` (also reads inline code written by earlier versions)."""
    if inline:
        if content.startswith(ZWSP):
            content = content[1:]
        else:
            content = _OLD_UNLEADING_QUERY.sub(lambda m: m.group(1) + m.group(2), content)
    if "%" in content:
        content = _UNBREAK_PAIR.sub(lambda m: m.group(1), content)
    return content


def has_code_hostile_chars(content: str) -> bool:
    """True when code content holds characters a code span cannot carry (controls, CR)."""
    return any(_is_control(c) for c in content)


def code_span(content: str) -> str:
    """An inline code span showing ``content`` (one line, no control characters)."""
    content = break_code(content, inline=True)
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    pad = content.startswith("`") or content.endswith("`") or (
        content.startswith(" ") and content.endswith(" ") and content.strip(" "))
    return f"{fence} {content} {fence}" if pad else f"{fence}{content}{fence}"


def parse_code_span_inner(inner: str) -> str:
    """Inverse of :func:`code_span` for the text between the fences."""
    if len(inner) >= 2 and inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
        inner = inner[1:-1]
    return unbreak_code(inner, inline=True)


# Plain syntax-highlighting languages (Prism's names and common aliases, as
# Obsidian highlights them). A fence keeps its language only when the
# language, lower-cased, is one of these; an info string a plugin runs or
# renders on sight (dataview, tasks, meta-bind-*, mermaid, latex and tex,
# dot, csv, svg, anything new) is never on it.
PLAIN_LANGUAGES = frozenset("""
abap actionscript ada apacheconf apl applescript arduino arm asciidoc asm asm6502 aspnet
autohotkey autoit awk bash basic bat batch bibtex bison bnf brainfuck c c++ cfscript clike
clojure cmake cmd cobol coffee coffeescript conf console cpp crystal cs csharp csp css cuda cypher
d dart delphi diff django docker dockerfile ebnf editorconfig elisp elixir elm erb erlang
excel-formula f fish fortran fsharp gcode gdscript gherkin git glsl gml go gradle graphql groovy
haml handlebars haskell haxe hcl hlsl hs html http ini java javascript jinja2 jl js json json5
jsonc jsonl jsx julia kotlin kt kts less lisp llvm log lua makefile markdown markup matlab md
mips mysql nasm nginx nim nix objc objectivec ocaml octave pascal perl pgsql php pl plaintext
plsql postgres postgresql powershell properties proto protobuf ps1 pug puppet py python q qml r
racket rb reason regex rest rkt rs rst ruby rust sas sass scala scheme scss sh shell
shell-session smalltalk solidity sparql sql squirrel stylus svelte swift tcl terraform text
textile tf toml ts tsx turtle twig txt typescript v vala vb vbnet verilog vhdl vim vue wasm
wgsl xml xquery yaml yml zig zsh
""".split())
OLD_LANG_PREFIX = "tg-"   # how earlier versions neutralised a plugin's language
_LANG_OK = re.compile(r"^[A-Za-z0-9_+.#-]{1,40}$")


def fence_language(language: str | None) -> str:
    """The info string for a fenced code block: the language when it is plain, else nothing."""
    lang = (language or "").strip()
    if not _LANG_OK.match(lang) or lang.lower() not in PLAIN_LANGUAGES:
        return ""
    return lang


def unfence_language(info: str) -> str:
    """The language of a fence's info string (written by this or an earlier version)."""
    return info[len(OLD_LANG_PREFIX):] if info.startswith(OLD_LANG_PREFIX) else info


def fence_for(content: str) -> str:
    """A backtick fence longer than any backtick run in ``content``."""
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


# -- links, labels, properties ------------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")
_SAFE_SCHEMES = {"http", "https", "mailto", "tel", "tg", "ton", "ftp"}


def safe_url(url: str) -> str | None:
    """A URL fit for a Markdown link destination, or None when it must not be linked.

    Only well-known schemes pass (no ``javascript:``, no ``obsidian://`` that
    could trigger commands); a scheme-less URL gets ``https://``. Characters
    that would end the destination are percent-encoded.
    """
    url = url.strip()
    if not url or any(_is_control(c) or c in "\n\t" for c in url):
        return None
    if not _SCHEME.match(url):
        url = "https://" + url  # "example.com/x" or "host:8080/x": no scheme given
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in _SAFE_SCHEMES:
        return None
    encoded = quote(url, safe="/:?=&;@!'*+,%~#-._")
    encoded = encoded.replace("%%", "%25%").replace("%%", "%25%")
    # No "::" (a Dataview field inside "(...)"): the second colon percent-encoded.
    return encoded.replace("::", ":%3A").replace("::", ":%3A") if "::" in encoded else encoded


# Everything link_label removes or replaces (controls, tab, newline, brackets, ...).
_LABEL_SPECIAL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\\[\\]|^#%<>`$:]")


def link_label(text: str) -> str:
    """Display text for a wikilink alias: no brackets, pipes, comment markers, code, math,
    ``<%`` or ``::``.

    Wikilink aliases are shown as plain text, so this only removes what would
    end or break the link; it is lossy by design (the full name lives in the
    people note).
    """
    if _LABEL_SPECIAL.search(text) is None:
        return " ".join(text.split()) or "?"  # nothing to remove or replace
    cleaned = "".join(" " if (_is_control(c) or c in "\n\t") else c for c in text)
    for bad in ("[", "]", "|", "^", "#"):
        cleaned = cleaned.replace(bad, "")
    while "%%" in cleaned:
        cleaned = cleaned.replace("%%", "%")
    cleaned = cleaned.replace("<", "‹").replace(">", "›").replace("`", "'").replace("$", "＄")
    return " ".join(break_pairs(cleaned).split()) or "?"


_LINK_TARGET_BAD = re.compile("[`$]|%%")


def link_target_ok(target: str) -> bool:
    """True when a wikilink target holds nothing Obsidian would read as code, math or a comment.

    Names given by this version never do (see :mod:`tobsd.vault.names`); a
    name an earlier version gave may, and is then not linked.
    """
    return _LINK_TARGET_BAD.search(target) is None


_PROPERTY_PAIR = re.compile("<(?=%)|\\[(?=\\[)|\\](?=\\])")


def plain_property(value: str) -> str:
    """A property value from Telegram that no reader takes for more than text.

    U+200B goes between ``<`` and ``%`` (Templater runs ``<%`` in a new
    note's source, front matter included) and inside ``[[``/``]]`` (a
    property that reads as a wikilink or an embed becomes a link). Lossy and
    idempotent.
    """
    if "<" not in value and "[[" not in value and "]]" not in value:
        return value
    return _PROPERTY_PAIR.sub(lambda m: m.group(0) + ZWSP, value)


def yaml_quote(value: str) -> str:
    """A YAML double-quoted scalar for ``value`` (valid for YAML 1.1 and 1.2 readers)."""
    out = []
    for ch in value:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20 or 0x7f <= o <= 0x9f or ch in "\u2028\u2029\ufeff" or 0xd800 <= o <= 0xdfff \
                or o in (0xfffe, 0xffff):
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def yaml_unquote(scalar: str) -> str:
    """Inverse of :func:`yaml_quote` (a JSON string literal is a YAML double-quoted scalar)."""
    return json.loads(scalar)
