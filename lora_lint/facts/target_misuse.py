"""How a target entry that matched nothing was likely meant: peft reads a string as a regex and a list entry literally."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from lora_lint.facts.peft_matching import matches, name_only
from lora_lint.facts.suggest import closest_names

#: characters that make an entry a regular expression ("." alone is a dotted path, not a regex)
REGEX_CHARS = frozenset("*+?[](){}|\\^$")
_NAME_RE = re.compile(r"^[\w.\-]+$")
_PLAIN_SPLIT_RE = re.compile(r"[|,\s]+")


def is_regex(text: str) -> bool:
    """Whether ``text`` holds regex characters (a list entry with them is still matched literally)."""
    return any(ch in REGEX_CHARS for ch in text)


@dataclass(frozen=True)
class Misuse:
    """An entry that peft reads differently from how it looks (a plain name given as a regex string, a regex in a list)."""

    #: "plain-name-string", "partial-regex-string", "regex-in-list" or "invalid-regex"
    kind: str
    #: list entries that say what the entry was likely meant to match
    names: tuple[str, ...]
    #: adaptable modules the entry would reach if read as meant
    reaches: tuple[str, ...]
    #: a full-path regex (for a single string ``target_modules``) reaching the same modules, when there is one
    regex: str | None = None
    #: names among ``names`` that reach no module, each with its closest real names
    unknown: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: the regex compiler's complaint, for "invalid-regex"
    error: str | None = None


def _compiles(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def _leaf_names(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({k.rsplit(".", 1)[-1] for k in keys}))


def _names_regex(names: Iterable[str]) -> str | None:
    names = sorted({re.escape(n) for n in names})
    if not names:
        return None
    inner = names[0] if len(names) == 1 else "(" + "|".join(names) + ")"
    return rf".*\.{inner}"


def misuse_of(
    config: Any, entry: str, as_string: bool, keys: tuple[str, ...], adaptable: set[str], leaf_names: list[str]
) -> Misuse | None:
    """How an entry that matched nothing was likely meant, when peft's reading explains the miss."""
    if as_string:
        error = _compiles(entry)
        if error is not None:
            return Misuse("invalid-regex", (), (), None, (), error)
        plain = [n for n in _PLAIN_SPLIT_RE.split(entry.strip().strip("()")) if n]
        if plain and all(_NAME_RE.match(n) for n in plain):
            reach: list[str] = []
            unknown: list[tuple[str, tuple[str, ...]]] = []
            for name in plain:
                hits = [k for k in matches(name_only(config, {name}), keys) if k in adaptable]
                reach.extend(hits)
                if not hits:
                    unknown.append((name, closest_names(name, leaf_names)))
            found = sorted(set(reach))
            known = [n for n in plain if n not in dict(unknown)]
            return Misuse("plain-name-string", tuple(plain), tuple(found), _names_regex(known), tuple(unknown))
        rx = re.compile(entry)
        found = sorted(k for k in keys if k in adaptable and rx.search(k))
        if not found:
            return None
        widened = ".*" + entry.lstrip("^")
        full = re.compile(widened) if _compiles(widened) is None else None
        widened_ok = full is not None and all(full.fullmatch(k) for k in found)
        return Misuse("partial-regex-string", _leaf_names(found), tuple(found), widened if widened_ok else None)
    if not is_regex(entry):
        return None
    error = _compiles(entry)
    if error is not None:
        return Misuse("regex-in-list", (), (), None, (), error)
    rx = re.compile(entry)
    found = sorted(k for k in keys if k in adaptable and rx.fullmatch(k))
    whole = entry if found else None
    if not found:
        found = sorted(k for k in keys if k in adaptable and rx.search(k))
    return Misuse("regex-in-list", _leaf_names(found), tuple(found), whole)


def misuse_without_base(config: Any, user_targets: str | tuple[str, ...] | None) -> Iterator[tuple[str, Misuse]]:
    """Misuse that needs no model (a saved adapter checked alone): peft reads a list entry literally
    and a string as a regex whatever the model is, so a regex in a list or a broken regex never matches.
    A plain name given as one string is left alone here: only a base can show it matches nothing."""
    if isinstance(user_targets, str):
        entries, as_string = ([user_targets] if _compiles(user_targets) is not None else []), True
    else:
        entries, as_string = list(user_targets or ()), False
    for entry in entries:
        misuse = misuse_of(config, entry, as_string, (), set(), [])
        if misuse is not None:
            yield entry, misuse
