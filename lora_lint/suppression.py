"""Suppression: ``# lora-lint: ignore[CODES]`` comments and ``[tool.lora-lint.per-module-ignores]``.

A comment on the line a finding points at drops that finding; on a factory's ``def`` line (or its
decorators) it drops every finding of the factory; a bare ``# lora-lint: ignore`` drops every code.
Python sources and YAML configs carry such comments (JSON has none). Per-module ignores drop the codes
they list for findings whose module (or parameter) path matches their glob. The engine applies all of
this in one place, after the rules ran, and keeps what matched nothing as a fact for LORA107.
Torch-free: only the standard library reads the files.
"""

from __future__ import annotations

import ast
import fnmatch
import io
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lora_lint.findings import Finding, Location

#: ``# lora-lint: ignore`` or ``# lora-lint: ignore[LORA301, LORA105]``
DIRECTIVE_RE = re.compile(r"#\s*lora-lint:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
#: what a listed code must look like (a code or a prefix of codes)
_CODE_RE = re.compile(r"^LORA\d{1,3}$")
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Directive:
    """One suppression as written: a comment (file and line) or a per-module-ignores entry."""

    file: str | None
    line: int | None
    #: the codes or prefixes it names; empty: every code
    codes: tuple[str, ...]
    #: ``"line"``, ``"factory"`` (a comment on the ``def`` line) or ``"module"`` (per-module-ignores)
    scope: str = "line"
    #: the glob of a per-module-ignores entry
    pattern: str | None = None

    def covers(self, code: str) -> bool:
        return not self.codes or any(code.startswith(c) for c in self.codes)

    @property
    def location(self) -> Location:
        setting = f"per-module-ignores: {self.pattern!r}" if self.pattern is not None else None
        return Location(file=self.file, line=self.line, setting=setting)


@dataclass(frozen=True)
class Unused:
    """A suppression that dropped nothing: its unused codes (empty with a bare comment), and malformed ones."""

    directive: Directive
    codes: tuple[str, ...] = ()
    malformed: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuppressionFacts:
    """What suppression did for one setup: how many findings it dropped, and what matched nothing."""

    suppressed: int = 0
    unused: tuple[Unused, ...] = ()


def parse_codes(text: str) -> tuple[str, ...] | None:
    """The codes of a directive inside ``text`` (a comment): ``()`` for a bare ignore, None without one."""
    match = DIRECTIVE_RE.search(text)
    if match is None:
        return None
    listed = match.group("codes")
    return () if listed is None else tuple(c.strip().upper() for c in listed.split(",") if c.strip())


def comment_directives(path: str) -> dict[int, tuple[str, ...]]:
    """Line -> codes of every suppression comment in a Python source or a YAML file (others: none).

    Other files are not read at all: a finding may point at a gigabyte checkpoint.
    """
    if not path.endswith((".py", *_YAML_SUFFIXES)):
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[int, tuple[str, ...]] = {}
    if path.endswith(".py"):
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT and (codes := parse_codes(tok.string)) is not None:
                    found[tok.start[0]] = codes
        except (tokenize.TokenError, SyntaxError):
            return {}
    elif path.endswith(_YAML_SUFFIXES):
        for number, line in enumerate(text.splitlines(), start=1):
            comment = re.search(r"(?:^|\s)(#.*)$", line)
            if comment and (codes := parse_codes(comment.group(1))) is not None:
                found[number] = codes
    return found


def factory_lines(path: str, first_line: int) -> tuple[range, range] | None:
    """(header, whole) lines of the function starting at ``first_line``: decorators and signature, and all of it."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if start == first_line or node.lineno == first_line:
                body = max(node.lineno, node.body[0].lineno - 1)
                return range(start, body + 1), range(start, (node.end_lineno or body) + 1)
    return None


def module_directives(per_module: Sequence[tuple[str, tuple[str, ...]]], pyproject: str | None) -> list[Directive]:
    """The per-module-ignores entries, each placed at its key's line in ``pyproject`` when it is known."""
    lines: list[str] = []
    if pyproject is not None:
        try:
            lines = Path(pyproject).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
    directives = []
    for pattern, codes in per_module:
        key = re.compile(rf"\s*[\"']{re.escape(pattern)}[\"']\s*=")
        line = next((i for i, text in enumerate(lines, 1) if key.match(text)), None)
        directives.append(Directive(pyproject, line, codes, "module", pattern))
    return directives


class _Files:
    """Each file's comments, read once per setup."""

    def __init__(self) -> None:
        self._read: dict[str, dict[int, tuple[str, ...]]] = {}

    def __call__(self, path: str) -> dict[int, tuple[str, ...]]:
        if path not in self._read:
            self._read[path] = comment_directives(path)
        return self._read[path]


def apply_suppressions(
    findings: Iterable[Finding],
    origin: Location,
    per_module: Sequence[tuple[str, tuple[str, ...]]],
    ran: Iterable[str],
    pyproject: str | None = None,
) -> tuple[list[Finding], SuppressionFacts]:
    """Drop the suppressed findings of one setup; report the suppressions of its files that matched nothing.

    ``origin`` is where the setup came from (a factory's ``def`` line, a config file); ``ran`` are the
    codes that ran on it: a listed code that did not run (not selected, not applicable) is not unused.
    """
    given = list(findings)
    files = _Files()
    audited: list[Directive] = module_directives(per_module, pyproject)
    factory: list[Directive] = []
    if origin.file is not None and origin.file.endswith(".py") and origin.line is not None:
        spans = factory_lines(origin.file, origin.line)
        comments = files(origin.file)
        if spans is not None:
            header, whole = spans
            factory = [Directive(origin.file, n, comments[n], "factory") for n in header if n in comments]
            inside = [Directive(origin.file, n, c) for n, c in comments.items() if n in whole and n not in header]
            audited += factory + inside
    elif origin.file is not None:
        audited += [Directive(origin.file, n, c) for n, c in files(origin.file).items()]
    used: dict[Directive, set[str]] = {}
    kept: list[Finding] = []
    for finding in given:
        matched = [d for d in _candidates(finding.location, files, factory, audited) if d.covers(finding.code)]
        for directive in matched:
            used.setdefault(directive, set()).add(finding.code)
        if not matched:
            kept.append(finding)
    unused = [u for d in dict.fromkeys(audited) if (u := _unused(d, used.get(d, set()), tuple(ran))) is not None]
    return kept, SuppressionFacts(suppressed=len(given) - len(kept), unused=tuple(unused))


def _candidates(
    loc: Location, files: _Files, factory: Sequence[Directive], audited: Sequence[Directive]
) -> Iterator[Directive]:
    if loc.file is not None and loc.line is not None:
        codes = files(loc.file).get(loc.line)
        if codes is not None:
            yield next((d for d in audited if d.file == loc.file and d.line == loc.line), Directive(loc.file, loc.line, codes))
    yield from factory
    paths = [p for p in (loc.module, loc.parameter) if p]
    for directive in audited:
        if directive.pattern is not None and any(fnmatch.fnmatchcase(p, directive.pattern) for p in paths):
            yield directive


def _unused(directive: Directive, used: set[str], ran: tuple[str, ...]) -> Unused | None:
    if not directive.codes:
        return None if used else Unused(directive)
    malformed = tuple(c for c in directive.codes if not _CODE_RE.match(c))
    idle = tuple(
        c
        for c in directive.codes
        if c not in malformed and any(r.startswith(c) for r in ran) and not any(u.startswith(c) for u in used)
    )
    return Unused(directive, idle, malformed) if idle or malformed else None


def per_module_table(value: object, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Read ``[tool.lora-lint.per-module-ignores]``: glob -> a code list (or one comma-separated string)."""
    from lora_lint.errors import UsageError
    from lora_lint.selection import normalise_codes

    if not isinstance(value, Mapping):
        raise UsageError(f"{where}: [tool.lora-lint.per-module-ignores] must be a table of glob = [codes]")
    table = []
    for pattern, codes in value.items():
        if isinstance(codes, str) or (isinstance(codes, list) and all(isinstance(c, str) for c in codes)):
            table.append((str(pattern), normalise_codes(codes)))
        else:
            raise UsageError(f"{where}: per-module-ignores {pattern!r} must list codes, e.g. [\"LORA105\"]")
    return tuple(table)
