"""Text for a terminal: the width to wrap to, and rule docs (Markdown) rendered without Markdown marks."""

from __future__ import annotations

import re
import shutil
import textwrap

from lora_lint.text import one_line

_CODE_SPAN = re.compile(r"`([^`]*)`")
_EMPHASIS = re.compile(r"(?<![\w*])\*{1,2}([^\s*][^*]*?)\*{1,2}(?![\w*])")
_BULLET = re.compile(r"^(\s*)([-*]|\d+\.)\s+")


def terminal_width(default: int = 80) -> int:
    """``COLUMNS`` when set, else the terminal's width, else ``default`` (output piped to a file)."""
    return shutil.get_terminal_size((default, 24)).columns


def plain(text: str) -> str:
    """Inline Markdown as plain text: code spans and emphasis lose their marks."""
    return _EMPHASIS.sub(r"\1", _CODE_SPAN.sub(r"\1", text))


def wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    """``text`` as plain words wrapped to ``width``; later lines take ``hanging`` (default ``indent``)."""
    rest = indent if hanging is None else hanging
    return textwrap.wrap(
        plain(one_line(text)), width, initial_indent=indent, subsequent_indent=rest, break_on_hyphens=False
    ) or [indent.rstrip()]


def render_markdown(markdown: str, width: int) -> str:
    """Headings underlined, prose wrapped, list items hung, fenced code indented four spaces and kept as is."""
    out: list[str] = []
    paragraph: list[str] = []
    in_code = False

    def flush() -> None:
        if paragraph:
            out.extend(_block(paragraph, width))
            paragraph.clear()

    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            out.append(f"    {line}".rstrip())
        elif line.startswith("#"):
            flush()
            title = plain(line.lstrip("#").strip())
            out += [title, ("=" if line.startswith("# ") else "-") * min(len(title), width)]
        elif not line.strip():
            flush()
            out.append("")
        else:
            if _BULLET.match(line):
                flush()
            paragraph.append(line)
    flush()
    return "\n".join(out)


def _block(lines: list[str], width: int) -> list[str]:
    bullet = _BULLET.match(lines[0])
    if bullet is None:
        return wrap(" ".join(lines), width)
    lead = bullet.group(1) + bullet.group(2) + " "
    return wrap(" ".join(lines)[bullet.end() :], width, lead, " " * len(lead))
