"""Rule docstrings: their ``## Section`` blocks and the one-sentence summary the rules table shows."""

from __future__ import annotations

import re

from lora_lint.text import one_line

_SECTION_RE = re.compile(r"^## (.+?)\s*$", re.MULTILINE)
# a sentence ends at ". " but not after an abbreviation such as "e.g." or "i.e."
_SENTENCE_END_RE = re.compile(r"(?<!\be\.g)(?<!\bi\.e)\.\s")


def cleandoc(doc: str) -> str:
    """``inspect.cleandoc`` without importing ``inspect`` (it costs more than ``lora-lint rules`` may)."""
    lines = doc.expandtabs().split("\n")
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents, default=0)
    cleaned = [lines[0].lstrip(), *(line[margin:] for line in lines[1:])]
    while cleaned and not cleaned[0].strip():
        cleaned.pop(0)
    while cleaned and not cleaned[-1].strip():
        cleaned.pop()
    return "\n".join(cleaned)


def sections_of(doc: str | None) -> dict[str, str]:
    """The ``## Section`` blocks of a docstring, in order, as written."""
    text = cleandoc(doc or "")
    sections: dict[str, str] = {}
    matches = list(_SECTION_RE.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sections[m.group(1)] = text[m.end() : end].strip()
    return sections


def summary_of(sections: dict[str, str]) -> str:
    """First sentence of 'What it does', on one line."""
    text = one_line(sections.get("What it does", ""))
    return _SENTENCE_END_RE.split(text)[0].rstrip(".")
