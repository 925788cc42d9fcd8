"""Protobuf messages as plain JSON values for `--json`: field names as in
the .proto, 64-bit integers as numbers, enums as short lower-case names
(CHAT_ORIGIN_API -> "api"), timestamps as ISO 8601 strings, unset messages
and unset `optional` fields as null."""
from __future__ import annotations

import datetime as dt
import re

TIMESTAMP = "google.protobuf.Timestamp"


def to_json(message) -> dict:
    out = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == 3
        if repeated:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                out[field.name] = {k: _value(field.message_type.fields_by_name["value"], v)
                                   for k, v in value.items()}
            else:
                out[field.name] = [_value(field, v) for v in value]
        elif (field.message_type is not None or _has_presence(field)) and \
                not message.HasField(field.name):
            out[field.name] = None
        else:
            out[field.name] = _value(field, value)
    return out


def _has_presence(field) -> bool:
    """A proto3 `optional` scalar: unset is not the same as zero."""
    return bool(getattr(field, "has_presence", False))


def _value(field, value):
    if field.message_type is not None:
        if field.message_type.full_name == TIMESTAMP:
            return value.ToDatetime(tzinfo=dt.timezone.utc).isoformat()
        return to_json(value)
    if field.enum_type is not None:
        return enum_name(field.enum_type, value)
    return value


def enum_name(enum_type, number: int):
    found = enum_type.values_by_number.get(number)
    if found is None:
        return number
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_type.name).upper() + "_"
    return found.name.removeprefix(prefix).lower()
