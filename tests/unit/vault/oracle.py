"""What Obsidian and its plugins would make of a note, read with parsers that
share no code with the renderer: markdown-it-py (CommonMark, HTML enabled)
for the body and PyYAML for the properties.

markdown-it-py knows nothing of Obsidian's own syntax, so a few inline rules
are added here for it (wikilinks and embeds, ``$`` math, ``%%`` comments,
tags); markdown-it's own escape and code-span rules run first, exactly as
Obsidian gives them precedence. Plugins read two things: Templater looks for
``<%`` in a new note's source and, for dynamic commands, in the rendered text
(entities decoded); Dataview reads inline fields from the source lines and
inline queries from the start of inline code; plugins that run code fences
go by the first word of the info string.

:func:`hazards` lists everything in a note that a stranger could have made
and TOBS does not generate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

# Languages a code fence may carry: plain highlighting only (kept in step with
# the renderer's list by test, not by import: a plugin's language must fail here).
PLAIN = set("""
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
OWN_TAGS = re.compile(r"^</?(u|b|i|s|mark)>$")
# Dataview: "key:: value" on a line, "[key:: value]" and "(key:: value)" anywhere.
DATAVIEW_FIELD = re.compile(r"::")
# Markers and index lines TOBS writes as comments.
OWN_COMMENT = re.compile(r"^%% tobs:(m\d+(-r\d+)? h=[0-9a-f]{12} t=\d+\+\d+( v=\d+)?|index-begin|index-end) %%$")


def _wikilink(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    embed = state.src.startswith("![[", pos)
    if not (embed or state.src.startswith("[[", pos)):
        return False
    start = pos + (3 if embed else 2)
    end = state.src.find("]]", start)
    if end < 0 or "\n" in state.src[start:end]:
        return False
    if not silent:
        tok = state.push("obsidian_embed" if embed else "obsidian_link", "", 0)
        tok.content = state.src[start:end]
    state.pos = end + 2
    return True


def _math(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "$":
        return False
    if not silent:
        state.push("obsidian_math", "", 0).content = "$"
    state.pos += 1
    return True


def _comment(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("%%", state.pos):
        return False
    if not silent:
        state.push("obsidian_comment", "", 0).content = "%%"
    state.pos += 2
    return True


_TAG = re.compile(r"#[\w/-]*[^\W\d][\w/-]*")


def _tag(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    if state.src[pos] != "#" or (pos > 0 and not state.src[pos - 1].isspace()):
        return False
    m = _TAG.match(state.src, pos)
    if not m:
        return False
    if not silent:
        state.push("obsidian_tag", "", 0).content = m.group(0)
    state.pos = m.end()
    return True


def obsidian_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})
    md.inline.ruler.before("link", "obsidian_wikilink", _wikilink)
    md.inline.ruler.before("link", "obsidian_math", _math)
    md.inline.ruler.before("link", "obsidian_comment", _comment)
    md.inline.ruler.before("link", "obsidian_tag", _tag)
    return md


_MD = obsidian_markdown()


@dataclass
class Allowed:
    """What TOBS generates in the notes under test."""

    links: set[str] = field(default_factory=set)        # wikilink targets (before "#" or "|")
    embeds: set[str] = field(default_factory=set)       # embed targets (attachments)
    tags: set[str] = field(default_factory=set)          # tags from hashtag entities
    url_prefixes: tuple[str, ...] = ("https://", "http://", "mailto:", "tel:", "tg:", "ton:", "ftp:")


def _walk(tokens):
    for tok in tokens:
        yield tok
        if tok.children:
            yield from _walk(tok.children)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def split_note(text: str) -> tuple[str | None, str]:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end >= 0:
            return text[4:end], text[end + 5:]
    return None, text


def hazards(text: str, allowed: Allowed | None = None) -> list[str]:
    """Everything in the note ``text`` that TOBS did not generate (see module doc)."""
    allowed = allowed or Allowed()
    out: list[str] = []
    props, body = split_note(text)
    if "<%" in text:
        out.append("Templater command in the source")
    if props is not None:
        data = yaml.safe_load(props)
        for s in _strings(data):
            if "<%" in s:
                out.append(f"Templater command in a property: {s!r}")
            if "[[" in s or "]]" in s:
                out.append(f"link or embed in a property: {s!r}")
    lines = body.split("\n")
    for n, line in enumerate(lines):
        if DATAVIEW_FIELD.search(line):
            out.append(f"Dataview inline field in line {n}: {line!r}")
    # TOBS's own comment lines (block markers, the index region) are TOBS's
    body = "\n".join("" if OWN_COMMENT.match(line) else line for line in lines)
    for tok in _walk(_MD.parse(body)):
        t = tok.type
        if t == "html_block" or (t == "html_inline" and not OWN_TAGS.match(tok.content)):
            out.append(f"HTML: {tok.content!r}")
        elif t == "image":
            out.append(f"image: {tok.attrGet('src')!r}")
        elif t == "obsidian_embed":
            if tok.content.split("|")[0] not in allowed.embeds:
                out.append(f"embed: {tok.content!r}")
        elif t == "obsidian_link":
            target = re.split(r"[#|]", tok.content)[0]
            if target not in allowed.links:
                out.append(f"wikilink: {tok.content!r}")
            if re.search(r"[`$]|%%", tok.content):
                out.append(f"code, math or comment inside a wikilink: {tok.content!r}")
        elif t == "obsidian_math":
            out.append("math ($)")
        elif t == "obsidian_comment":
            out.append("comment (%%)")
        elif t == "obsidian_tag" and tok.content not in allowed.tags:
            out.append(f"tag {tok.content!r}")
        elif t in ("fence", "code_block"):
            lang = tok.info.split()[0] if tok.info.strip() else ""
            if t == "code_block":
                out.append(f"indented code block: {tok.content!r}")
            elif lang and lang.lower() not in PLAIN:
                out.append(f"fence language {lang!r}")
            if "<%" in tok.content:
                out.append(f"Templater command in a fence: {tok.content!r}")
        elif t == "code_inline":
            c = tok.content
            if c.strip() and not c.startswith("\u200b"):
                out.append(f"inline code a plugin may read: {c!r}")
            if "<%" in c:
                out.append(f"Templater command in inline code: {c!r}")
        elif t == "link_open":
            href = tok.attrGet("href") or ""
            if not href.startswith(allowed.url_prefixes):
                out.append(f"link to {href!r}")
        elif t == "text" and ("<%" in tok.content or "::" in tok.content):
            out.append(f"Templater command or inline field in rendered text: {tok.content!r}")
    # Templater's dynamic commands are looked for in the rendered text of each element
    for tok in _walk(_MD.parse(body)):
        if tok.type == "inline":
            # (conservative: text of neighbouring elements joined; a line break stays one)
            rendered = "".join("\n" if c.type in ("softbreak", "hardbreak") else c.content
                               for c in tok.children or [] if c.type in ("text", "code_inline",
                                                                          "softbreak", "hardbreak"))
            if "<%" in rendered:
                out.append(f"Templater command across rendered text: {rendered!r}")
    return out
