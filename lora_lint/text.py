"""Wording shared by rule messages: long lists said as "a, b, c and 4 more"."""

from __future__ import annotations

from collections.abc import Iterable


def shorten(items: Iterable[str], limit: int = 3, sep: str = ", ", unit: str = "") -> str:
    """The first ``limit`` items joined by ``sep``, then `` and N more`` (plus ``unit``, e.g. " layers") for the rest.

    One wording for every rule, so a message never lists hundreds of modules.
    """
    items = list(items)
    shown = sep.join(items[:limit])
    return shown + (f" and {len(items) - limit} more{unit}" if len(items) > limit else "")
