"""``lora-lint check --add-ignore``: write ``# lora-lint: ignore[CODES]`` on the lines today's findings point at.

For adopting lora-lint in an existing repository: the next ``check`` is clean, and every finding that was
silenced stays visible in the source, next to what it is about.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from lora_lint.findings import Finding
from lora_lint.suppression import DIRECTIVE_RE, parse_codes

#: LORA107 is about a comment itself: answering it with one more comment would silence nothing
_NOT_COMMENTED = frozenset({"LORA107"})
_COMMENTABLE = (".py", ".yaml", ".yml")


def with_codes(line: str, codes: Iterable[str]) -> str:
    """``line`` with its ignore comment naming ``codes`` too (a new comment at its end when it has none)."""
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    present = parse_codes(body)
    if present == ():  # a bare ignore already covers every code
        return line
    if present is None:
        return f"{body}  # lora-lint: ignore[{', '.join(sorted(set(codes)))}]{ending}"
    merged = ", ".join(sorted({*present, *codes}))
    return DIRECTIVE_RE.sub(lambda _: f"# lora-lint: ignore[{merged}]", body, count=1) + ending


def add_ignores(findings: Iterable[Finding], root: Path) -> tuple[int, int, int]:
    """Write the comments; (comments written, files changed, findings with no line to comment)."""
    wanted: dict[Path, dict[int, set[str]]] = {}
    placeless = 0
    for f in findings:
        if f.code in _NOT_COMMENTED:
            continue
        file, line = f.location.file, f.location.line
        if file is None or line is None or not file.endswith(_COMMENTABLE):
            placeless += 1
            continue
        wanted.setdefault(root / file, {}).setdefault(line, set()).add(f.code)
    written = 0
    for path, lines in wanted.items():
        text = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for number, codes in lines.items():
            if 1 <= number <= len(text):
                before = text[number - 1]
                text[number - 1] = with_codes(before, codes)
                written += text[number - 1] != before
        path.write_text("".join(text), encoding="utf-8")
    return written, len(wanted), placeless


def write_ignores(findings: Iterable[Finding], root: Path) -> int:
    """Write the comments and say what was done on stderr; the exit status of ``--add-ignore`` (0)."""
    written, files, placeless = add_ignores(findings, root)
    s = "" if written == 1 else "s"
    sys.stderr.write(f"lora-lint: added {written} ignore comment{s} in {files} file{'' if files == 1 else 's'}\n")
    if placeless:
        sys.stderr.write(
            f"lora-lint: {placeless} finding(s) point at no line of a Python or YAML file; "
            "ignore them by code (ignore = [...]) or with [tool.lora-lint.per-module-ignores]\n"
        )
    return 0
