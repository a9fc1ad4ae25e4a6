"""What a modules_to_save entry is held against: the modules target_modules names, and how peft spells each one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from lora_lint.facts.peft_matching import ALL_LINEAR, saved_spelling

if TYPE_CHECKING:
    from lora_lint.facts.targeting import EntryMatch


def named_targets(
    target_modules: str | tuple[str, ...] | None, entries: Iterable[EntryMatch], written: bool, saved_never_targets: bool
) -> frozenset[str]:
    """Modules a user-written target_modules entry names (peft's own all-linear expansion left out).

    A live config holds the expanded "all-linear" list, indistinguishable from a written one; where this
    peft resolves an overlap by itself (the module trains in full), a live config names none.
    """
    if isinstance(target_modules, str) and target_modules.lower() == ALL_LINEAR:
        return frozenset()
    if not written and saved_never_targets:
        return frozenset()
    return frozenset(k for e in entries if e.field == "target_modules" and not e.from_default for k in e.adaptable)


def unique_spellings(wrapped: Iterable[str], keys: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(module, the shortest modules_to_save entry that wraps it alone) for each wrapped module that has one."""
    return tuple((k, tail) for k in wrapped if (tail := saved_spelling(k, keys)))
