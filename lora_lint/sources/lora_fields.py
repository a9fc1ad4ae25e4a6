"""One check of LoRA config values, shared by every route that reads them (saved adapters, --lora-config, frameworks).

Types come from the installed peft's ``LoraConfig`` annotations (:mod:`lora_lint.sources.lora_schema`);
on top of them, the value ranges peft needs but does not check early (a positive ``r``, a dropout
probability, compilable pattern keys). A bad value is one line naming the file, the field, the value
and what is expected, raised as a :class:`SetupLoadError` (exit 2) before any model is built.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError
from lora_lint.sources.lora_schema import FieldType, lora_fields

#: the most entries one list or mapping may hold: far above any real config (a 70B model with every
#: module named in full has a few thousand), small enough that each later step stays quick
MAX_ENTRIES = 20_000

#: LoraConfig annotates ``lora_alpha: int``, but peft only divides by it (``lora_alpha / r``): a float works
_NUMBER_FIELDS = frozenset({"lora_alpha", "lora_dropout"})
#: peft.TaskType's values (PeftConfigMixin.__post_init__ refuses any other task_type)
TASK_TYPES = ("SEQ_CLS", "SEQ_2_SEQ_LM", "CAUSAL_LM", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION")

_KIND_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
               "none": "null", "dict": "a mapping", "config": "a mapping", "tuple": "a list"}  # fmt: skip


def kind_of(value: object) -> str:
    """The JSON/YAML kind of a parsed value, as the FieldType kinds spell it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float" if math.isfinite(value) else "nonfinite"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def shown(value: object) -> str:
    """``'8' (a string)``: the value as written (shortened) and what it is."""
    words = {"none": "null", "bool": "a boolean", "int": "an integer", "float": "a number", "str": "a string",
             "list": "a list", "dict": "a mapping", "nonfinite": "not a finite number", "date": "a date",
             "datetime": "a date and time"}  # fmt: skip
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    kind = kind_of(value)
    return f"{text} ({words.get(kind, f'a {kind}')})"


def expected(ftype: FieldType) -> str:
    """'a list of strings, a string or null' for an annotation."""
    parts: list[str] = []
    kinds = set(ftype.kinds)
    if ftype.literals:
        parts.append("one of " + ", ".join(repr(s) for s in ftype.literals if "[" not in s))
        kinds.discard("str")
    if "float" in kinds:
        kinds.discard("int")
    for kind in ("list", "int", "float", "bool", "str", "dict", "config", "tuple", "none"):
        if kind not in kinds or (kind == "config" and "dict" in kinds):
            continue
        if kind == "list" and ftype.item is not None and not ftype.item.allows("any"):
            parts.append(f"a list of {_plural(ftype.item)}")
        else:
            parts.append(_KIND_WORDS.get(kind, "a list"))
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _plural(item: FieldType) -> str:
    names = {"str": "strings", "int": "integers", "float": "numbers", "list": "lists", "bool": "booleans"}
    return " or ".join(names.get(k, k) for k in sorted(item.kinds) if k != "none") or "values"


def _fits(value: object, ftype: FieldType) -> bool:
    kind = kind_of(value)
    if ftype.allows("any"):
        return True
    if kind == "int" and ftype.allows("float"):
        return True
    if kind == "str" and ftype.literals:
        return any(value == s or ("[" in s and str(value).startswith(s.split("[")[0])) for s in ftype.literals)
    return ftype.allows(kind) or (kind == "dict" and ftype.allows("config"))


class _Fail(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _need(ok: bool, field: str, what: str, value: object) -> None:
    if not ok:
        raise _Fail(f"{field} must be {what}, got {shown(value)}")


def _count(value: Any, field: str) -> None:
    if isinstance(value, (list, tuple, dict)) and len(value) > MAX_ENTRIES:
        raise _Fail(f"{field} has {len(value):,} entries; lora-lint refuses more than {MAX_ENTRIES:,}")


def _check_type(field: str, value: Any, ftype: FieldType) -> None:
    _count(value, field)
    if field == "r":  # peft builds an r x features matrix and divides by r
        _need(kind_of(value) == "int" and value > 0, field, "a positive integer", value)
        return
    if field == "task_type":  # peft.TaskType: one of its values
        ok = value is None or (isinstance(value, str) and value.split(".")[-1] in TASK_TYPES)
        _need(ok, field, "null or one of " + ", ".join(TASK_TYPES), value)
        return
    if field in _NUMBER_FIELDS:
        _need(kind_of(value) in ("int", "float"), field, "a number", value)
        return
    _need(_fits(value, ftype), field, expected(ftype), value)
    item = ftype.item
    if item is not None and isinstance(value, list) and not item.allows("any"):
        for index, element in enumerate(value):
            _need(_fits(element, item), f"{field}[{index}]", expected(item), element)


def _regex_keys(field: str, mapping: Mapping[Any, Any]) -> None:
    for key in mapping:
        _need(isinstance(key, str), f"{field} key", "a string (a module name or regex)", key)
        try:
            re.compile(key)
        except re.error as exc:
            raise _Fail(f"{field} key {key!r} is not a valid regular expression ({exc})") from None


def _check_ranges(kwargs: Mapping[str, Any]) -> None:
    """Ranges and shapes peft needs but accepts unchecked (or refuses only deep inside a model build)."""
    r: Any = kwargs.get("r")
    if "r" in kwargs:
        _need(kind_of(r) == "int" and r > 0, "r", "a positive integer", r)
    dropout: Any = kwargs.get("lora_dropout")
    if kind_of(dropout) in ("int", "float"):
        _need(0 <= dropout <= 1, "lora_dropout", "a probability between 0 and 1", dropout)
    for field, what in (("rank_pattern", "a positive integer"), ("alpha_pattern", "a number")):
        pattern = kwargs.get(field)
        if isinstance(pattern, dict):
            _regex_keys(field, pattern)
            for key, value in pattern.items():
                ok = kind_of(value) == "int" and value > 0 if field == "rank_pattern" else kind_of(value) in ("int", "float")
                _need(ok, f"{field}[{key!r}]", what, value)
    layers = kwargs.get("layers_to_transform")
    for index in layers if isinstance(layers, list) else [] if layers is None else [layers]:
        _need(kind_of(index) == "int" and index >= 0, "layers_to_transform", "a layer index (an integer >= 0)", index)
    targets = kwargs.get("target_modules")
    if isinstance(targets, str):
        try:
            re.compile(targets)
        except re.error as exc:
            raise _Fail(f"target_modules {targets!r} is not a valid regular expression ({exc})") from None
    _check_token_indices(kwargs.get("trainable_token_indices"))


def _check_token_indices(value: Any) -> None:
    field = "trainable_token_indices"
    if value is None:
        return
    groups = value.values() if isinstance(value, dict) else [value]
    what = "a list of token ids, or a mapping of module names to lists of token ids"
    for group in groups:
        _need(isinstance(group, list), field, what, value)
        for token in group:
            _need(kind_of(token) == "int" and token >= 0, field, what, value)


def check_lora_fields(kwargs: Mapping[Any, Any], file: str | Path) -> None:
    """Refuse (exit 2, one line naming ``file``) a value ``LoraConfig(**kwargs)`` cannot take or would misuse.

    Unknown keys are not judged here: each route decides (a typo in a file a person wrote is an error;
    a key written by another peft version in a saved adapter is a note).
    """
    schema = lora_fields()
    try:
        for key, value in kwargs.items():
            _need(isinstance(key, str), "every key", "a string (a LoraConfig argument name)", key)
            ftype = schema.get(key)
            if ftype is not None:
                _check_type(key, value, ftype)
            else:
                _count(value, key)
        _check_ranges(kwargs)
    except _Fail as fail:
        raise SetupLoadError(str(file), fail.message) from None
