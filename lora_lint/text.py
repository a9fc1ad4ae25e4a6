"""Text as lora-lint shows it: a message on one line, long lists said as "a, b, c and 4 more"."""

from __future__ import annotations

from collections.abc import Iterable


def one_line(text: object, limit: int | None = None) -> str:
    """``str(text)`` with every run of whitespace (newlines included) as one space, cut to ``limit`` characters.

    One reading for every message that comes from elsewhere (an exception, a docstring), so an error
    stays one line on stderr and in every report; a cut line ends with ``...`` within ``limit``.
    """
    line = " ".join(str(text).split())
    return line if limit is None or len(line) <= limit else line[: limit - 3] + "..."


def shorten(items: Iterable[str], limit: int = 3, sep: str = ", ", unit: str = "") -> str:
    """The first ``limit`` items joined by ``sep``, then `` and N more`` (plus ``unit``, e.g. " layers") for the rest.

    One wording for every rule, so a message never lists hundreds of modules.
    """
    items = list(items)
    shown = sep.join(items[:limit])
    return shown + (f" and {len(items) - limit} more{unit}" if len(items) > limit else "")
