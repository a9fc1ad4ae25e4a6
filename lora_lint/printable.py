"""Names that are not text, shown so that every format stays valid: ``ad\\xffapter`` for a folder ``b"ad\\xffapter"``.

On POSIX a path may hold bytes that are not UTF-8; Python keeps them as lone surrogates
(``os.fsdecode``), which no UTF-8 stream, JSON parser or XML document accepts. Before any
reporter sees a report, and before the command line prints an error, each such character is
written as the escape of its byte (``\\xff``), or of its code point (``\\ud800``) for one that
came from elsewhere.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")

_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    point = ord(match[0])
    return f"\\x{point - 0xDC00:02x}" if 0xDC80 <= point <= 0xDCFF else f"\\u{point:04x}"


def printable(text: str) -> str:
    """``text`` with every lone surrogate (a byte that was not UTF-8) as a visible escape."""
    return _SURROGATE.sub(_escape, text) if _SURROGATE.search(text) else text


def printable_value(value: T) -> T:
    """The same value (dataclasses, tuples, lists and mappings walked) with every string printable.

    Unchanged parts are returned as they are, so a report without such names is not copied.
    """
    out: object = value
    if isinstance(value, enum.Enum):
        return value
    if isinstance(value, str):
        out = printable(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {}
        for f in dataclasses.fields(value):
            if f.init:
                old = getattr(value, f.name)
                new = printable_value(old)
                if new is not old:
                    changed[f.name] = new
        out = dataclasses.replace(value, **changed) if changed else value
    elif isinstance(value, (tuple, list)):
        items = [printable_value(v) for v in value]
        if any(new is not old for new, old in zip(items, value)):
            out = type(value)(items) if type(value) in (tuple, list) else tuple(items)
    elif isinstance(value, Mapping):
        pairs = [(printable_value(k), printable_value(v)) for k, v in value.items()]
        if any(nk is not k or nv is not v for (nk, nv), (k, v) in zip(pairs, value.items())):
            out = dict(pairs)
    return out  # type: ignore[return-value]
