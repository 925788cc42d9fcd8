"""Building TL objects that fit whatever Telethon layer is installed.

fakegram must run under the Telethon that tobsd pins (1.45, layer 229) and
under older 1.3x releases whose generated classes have other fields. Every
object fakegram sends is therefore built with `make(cls, **fields)`:

- fields the installed class does not have are dropped;
- required parameters nobody gave get a neutral value that serializes
  (0, '', b'', [], False, the epoch for dates, and for a TL type its simplest
  constructor, preferring `...Empty`);
- optional boolean flags left out become False (what the reader yields), so an
  object equals its own serialize-then-parse round trip;
- fields that share one flag bit (Telethon asserts they are all set or all
  unset) are completed together;
- a plain str given where the layer wants TextWithEntities is wrapped (and
  unwrapped the other way), and int/float are converted to the declared one;
- Telethon's patched message classes get their TL fields without running
  the client-side constructor (fakegram only serializes them).

`get_type("messages.Dialogs")`, `get_request("messages.GetForumTopicsRequest")`
and `has(name)` look classes up by name and give None / False when the
installed layer lacks them.
"""
from __future__ import annotations

import datetime as _dt
import inspect
import linecache
import re
from functools import lru_cache
from zlib import crc32

from telethon.tl import functions as _functions
from telethon.tl import types as _types
from telethon.tl.alltlobjects import tlobjects as _all_tlobjects
from telethon.tl.tlobject import TLObject

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def ts(value: int | None) -> _dt.datetime | None:
    """A Unix time as the aware datetime Telethon's reader produces."""
    if value is None:
        return None
    return EPOCH + _dt.timedelta(seconds=int(value))


def _lookup(root, name: str):
    obj = root
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if inspect.isclass(obj) else None


def get_type(name: str):
    """The class of TL type `name` ("User", "messages.Dialogs"), or None."""
    return _lookup(_types, name)


def get_request(name: str):
    """The request class `name` ("upload.GetFileRequest"), or None."""
    if not name.endswith("Request"):
        name += "Request"
    return _lookup(_functions, name)


def has(name: str) -> bool:
    """Whether the installed layer has this type or request."""
    return get_type(name) is not None or get_request(name) is not None


# --- signature analysis -------------------------------------------------------

# In the generated serializer, `flags.N?true` parameters read
# "0 if self.x is None or self.x is False else N" and every other flag
# parameter "0 if self.x is None else N".
_FLAG_RE = re.compile(r"0 if self\.(\w+) is None")
_TRUE_FLAG_RE = re.compile(r"0 if self\.(\w+) is None or self\.\1 is False else")
_SELF_RE = re.compile(r"self\.(\w+)")


class _Param:
    __slots__ = ("name", "ann", "required", "true_flag")

    def __init__(self, name: str, ann: str, required: bool, true_flag: bool):
        self.name = name
        self.ann = ann
        self.required = required
        self.true_flag = true_flag


def _ann_text(ann) -> str:
    """A parameter annotation as text: 'int', 'Optional[bool]', 'TypeUser'..."""
    if ann is inspect.Parameter.empty:
        return ""
    if isinstance(ann, str):
        return ann
    if inspect.isclass(ann):
        return ann.__name__
    text = str(ann).replace("typing.", "")
    text = re.sub(r"ForwardRef\('([^']*)'\)", r"\1", text)
    text = re.sub(r"telethon\.tl\.types\.(?:\w+\.)*(\w+)", r"\1", text)
    return text.replace("datetime.datetime", "datetime")


@lru_cache(maxsize=None)
def _serializer_source(cls) -> str | None:
    """The source of `cls._bytes`: its first line and every following line
    indented deeper (a plain scan: inspect.getsource tokenizes, which is
    slow over Telethon's ~2000 generated classes)."""
    # The nearest generated serializer (Telethon's patched Message classes
    # inherit theirs); TLObject's abstract one says nothing.
    owner = next((k for k in cls.__mro__ if "_bytes" in k.__dict__), None)
    if owner is None or owner is TLObject:
        return None
    code = getattr(owner.__dict__["_bytes"], "__code__", None)
    if code is None:
        return None
    lines = linecache.getlines(code.co_filename)
    start = code.co_firstlineno - 1
    if not 0 <= start < len(lines):
        return None
    first = lines[start]
    indent = len(first) - len(first.lstrip())
    out = [first]
    for line in lines[start + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        out.append(line)
    return "".join(out)


@lru_cache(maxsize=None)
def _flag_params(cls) -> tuple[frozenset[str], frozenset[str], frozenset[str]] | None:
    """(flag parameters, `true` flag parameters, serialized names), read
    from the serializer's source because the generated signature gives
    defaults to some required parameters too; None when the source is not
    available."""
    source = _serializer_source(cls)
    if source is None:
        return None
    return (frozenset(_FLAG_RE.findall(source)), frozenset(_TRUE_FLAG_RE.findall(source)),
            frozenset(_SELF_RE.findall(source)))


@lru_cache(maxsize=None)
def _params(cls) -> tuple[_Param, ...]:
    sig = inspect.signature(cls.__init__)
    flags = _flag_params(cls)
    out = []
    for p in sig.parameters.values():
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        ann = _ann_text(p.annotation)
        if flags is None:
            required = p.default is inspect.Parameter.empty
            true_flag = not required and ann == "Optional[bool]"
        else:
            # Telethon's patched Message also accepts fields it never
            # serializes (MessageService's action): those are not required.
            required = p.name not in flags[0] and p.name in flags[2]
            true_flag = p.name in flags[1] and ann == "Optional[bool]"
        out.append(_Param(p.name, ann, required, true_flag))
    return tuple(out)


_GROUP_RE = re.compile(r"'([\w, ]+) parameters must all be")


@lru_cache(maxsize=None)
def _flag_groups(cls) -> tuple[tuple[str, ...], ...]:
    """Parameter groups that share one flag bit (read from Telethon's asserts)."""
    source = _serializer_source(cls)
    if source is None:
        return ()
    return tuple(tuple(n.strip() for n in m.group(1).split(","))
                 for m in _GROUP_RE.finditer(source))


# --- neutral values -------------------------------------------------------------

@lru_cache(maxsize=None)
def _namespaces() -> tuple[str, ...]:
    names = {""}
    for value in vars(_types).values():
        if inspect.ismodule(value) and value.__name__.startswith(_types.__name__ + "."):
            names.add(value.__name__.rsplit(".", 1)[1] + ".")
    return tuple(sorted(names))


@lru_cache(maxsize=None)
def _constructors_by_type() -> dict[int, list]:
    out: dict[int, list] = {}
    for cls in _all_tlobjects.values():
        # Telethon replaces Message, MessageService and MessageEmpty with
        # subclasses in telethon.tl.patched.
        if cls.__module__.startswith((_types.__name__, "telethon.tl.patched")):
            out.setdefault(cls.SUBCLASS_OF_ID, []).append(cls)
    return out


@lru_cache(maxsize=None)
def _simplest_constructor(type_name: str):
    """The constructor of abstract type `type_name` ("ChatPhoto") with the
    fewest required parameters, `...Empty` first; None if there is none."""
    by_type = _constructors_by_type()
    for ns in _namespaces():
        found = by_type.get(crc32((ns + type_name).encode("ascii")))
        if found:
            return min(found, key=lambda c: (not c.__name__.endswith("Empty"),
                                             sum(p.required for p in _params(c)),
                                             c.__name__))
    return None


_SIMPLE = {"int": 0, "float": 0.0, "str": "", "bytes": b"", "bool": False}
_MAX_DEPTH = 6
_depth = 0      # nesting of neutral TL objects being built (guards cycles)


def _neutral_tl(ann: str):
    """The simplest TL object for annotation `ann` ('TypeChatPhoto',
    'Union[PeerUser, PeerChat]'), or None if none can be built."""
    global _depth
    if _depth >= _MAX_DEPTH:
        return None
    if ann.startswith("Union["):
        candidates = [c.strip() for c in ann[len("Union["):-1].split(",")]
    else:
        candidates = [ann]
    for cand in candidates:
        if cand == "NoneType":
            continue
        cls = None if cand.startswith("Type") else get_type(cand)
        if cls is None:
            cls = _simplest_constructor(cand[4:] if cand.startswith("Type") else cand)
        if cls is not None:
            _depth += 1
            try:
                return _make(cls, {})
            finally:
                _depth -= 1
    return None


def _neutral(ann: str) -> tuple[bool, object]:
    """How to fill a required parameter declared as `ann`: (True, value)
    when one immutable value serves every call, else (False, factory) for a
    value built afresh on each call (lists, TL objects)."""
    base = _base(ann.strip())
    if base.startswith(("List[", "list[")):
        return False, list
    if base in _SIMPLE:
        return True, _SIMPLE[base]
    if "datetime" in base:
        return True, EPOCH
    return False, lambda: _neutral_tl(base)


def _base(ann: str) -> str:
    if ann.startswith("Optional[") and ann.endswith("]"):
        return ann[len("Optional["):-1]
    return ann


def _to_text_with_entities(value):
    return _types.TextWithEntities(text=value, entities=[]) if isinstance(value, str) else value


def _to_str(value):
    return value.text if isinstance(value, _types.TextWithEntities) else value


def _to_int(value):
    return int(value) if isinstance(value, float) else value


def _to_float(value):
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _to_date(value):
    return ts(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _adapter(ann: str) -> tuple:
    """How to convert a given value to what the declared annotation wants,
    where that is a known layer difference (str vs TextWithEntities, int vs
    float, Unix time vs datetime): (converter, the type it leaves alone),
    or (None, None) when values pass unchanged."""
    base = _base(ann)
    if base in ("TypeTextWithEntities", "TextWithEntities"):
        return _to_text_with_entities, _types.TextWithEntities
    if base == "str":
        return _to_str, str
    if base == "int":
        return _to_int, int
    if base == "float":
        return _to_float, float
    if "datetime" in base:
        return _to_date, _dt.datetime
    return None, None


class _Plan:
    """Per class, computed once: `constants` (parameter -> its value when
    none is given, where one immutable value serves), `factories` ((name,
    factory) where a fresh value is needed), `adapters` (every parameter ->
    `_adapter(...)`) and `groups` (per shared flag bit, (name, is_true_flag,
    factory) per member)."""
    __slots__ = ("constants", "factories", "adapters", "groups", "bare")

    def __init__(self, cls):
        params = _params(cls)
        # Telethon's patched message classes run its client-side Message
        # __init__ (sender and chat getters, about as costly as reading the
        # message off the wire); fakegram only serializes them, so their
        # TL fields are set directly.
        self.bare = cls.__module__ == "telethon.tl.patched"
        self.constants: dict[str, object] = {}
        self.factories: list[tuple[str, object]] = []
        self.adapters = {p.name: _adapter(p.ann) for p in params}
        for p in params:
            optional = (True, False if p.true_flag else None)
            constant, value = _neutral(p.ann) if p.required else optional
            if constant:
                self.constants[p.name] = value
            else:
                self.factories.append((p.name, value))
        by_name = {p.name: p for p in params}
        self.groups = []
        for group in _flag_groups(cls):
            members = [by_name[n] for n in group if n in by_name]
            self.groups.append([(p.name, p.true_flag, None if p.true_flag else _fill(p.ann))
                                for p in members])


def _fill(ann: str):
    """A function giving a value that serializes for a parameter declared as `ann`."""
    constant, value = _neutral(ann)
    return (lambda: value) if constant else value


_plans: dict = {}


def _make(cls, fields: dict):
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _Plan(cls)
    # Start from the fills and overwrite what was given: a message gives
    # a dozen of its ~50 fields, so this walks only the given ones.
    kwargs = plan.constants.copy()
    adapters = plan.adapters
    for name, value in fields.items():
        if value is None:
            continue
        adapter = adapters.get(name)
        if adapter is not None:
            # A value of the type a converter leaves alone skips the call.
            adapt, keeps = adapter
            kwargs[name] = value if adapt is None or type(value) is keeps else adapt(value)
    for name, fill in plan.factories:
        if name not in kwargs:
            kwargs[name] = fill()
    for group in plan.groups:
        # One flag bit: if any member is set, every member must be, and a
        # boolean member then reads back as True.
        if any(kwargs[n] is not None and kwargs[n] is not False for n, _t, _f in group):
            for name, true_flag, fill in group:
                if true_flag:
                    kwargs[name] = True
                elif kwargs[name] is None:
                    kwargs[name] = fill()
    if plan.bare:
        obj = cls.__new__(cls)
        obj.__dict__.update(kwargs)
        return obj
    return cls(**kwargs)


def make(cls, **fields):
    """An instance of `cls` from the fields it has; see the module docstring."""
    return _make(cls, fields)


def make_named(name: str, **fields):
    """`make(get_type(name), ...)`, or None when the layer lacks the type."""
    cls = get_type(name)
    return None if cls is None else make(cls, **fields)


def accepts(cls, field: str) -> bool:
    """Whether the installed `cls` has a parameter called `field`."""
    return any(p.name == field for p in _params(cls))


def param_annotation(cls, field: str) -> str:
    """The declared annotation of `cls.field` as text ('' if absent)."""
    for p in _params(cls):
        if p.name == field:
            return p.ann
    return ""


__all__ = ["EPOCH", "ts", "get_type", "get_request", "has", "make", "make_named",
           "accepts", "param_annotation"]
