"""The installed peft's ``LoraConfig`` fields and their annotated types, read without importing peft.

Importing peft imports torch (seconds), yet a saved adapter checked without ``--model`` must stay
torch-free. The dataclass fields and annotations are read from peft's own source files with ``ast``:
``PeftConfigMixin``/``PeftConfig`` (peft/config.py) and ``LoraConfig`` (peft/tuners/lora/config.py).
peft internal: the file layout and the annotation spelling are peft's; a release that moves them
leaves the schema empty and only the checks of :mod:`lora_lint.sources.lora_fields` that need no
annotation run (tests/sources/test_lora_fields.py fails first).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_CLASSES = (("config.py", ("PeftConfigMixin", "PeftConfig")), ("tuners/lora/config.py", ("LoraConfig",)))


@dataclass(frozen=True)
class FieldType:
    """An annotation reduced to what a JSON/YAML value can be: kinds, literal strings, element types."""

    #: "int", "float", "bool", "str", "none", "list", "dict", "tuple", "config" (a nested sub-config), "any"
    kinds: frozenset[str]
    #: allowed strings when the annotation is a Literal (a "[...]" placeholder matches any suffix)
    literals: tuple[str, ...] = ()
    #: the element type of a list, or the value type of a dict
    item: FieldType | None = None

    def allows(self, kind: str) -> bool:
        return "any" in self.kinds or kind in self.kinds


ANY = FieldType(frozenset({"any"}))
_NAMES = {"int": "int", "float": "float", "bool": "bool", "str": "str", "None": "none", "dict": "dict",
          "list": "list", "tuple": "tuple", "TaskType": "str", "PeftType": "str", "Any": "any"}  # fmt: skip


def _merge(parts: list[FieldType]) -> FieldType:
    kinds = frozenset().union(*(p.kinds for p in parts))
    literals = tuple(s for p in parts for s in p.literals)
    items = [p.item for p in parts if p.item is not None]
    return FieldType(kinds, literals, items[0] if len(items) == 1 else (_merge(items) if items else None))


def _reduce(node: ast.expr) -> FieldType:
    """One annotation node -> FieldType; anything unrecognised allows anything (never a false refusal)."""
    if isinstance(node, ast.Constant):
        if node.value is None:
            return FieldType(frozenset({"none"}))
        return FieldType(frozenset({"str"}), (str(node.value),)) if isinstance(node.value, str) else ANY
    if isinstance(node, ast.Name):
        kind = _NAMES.get(node.id)
        if kind is not None:
            return FieldType(frozenset({kind}))
        return FieldType(frozenset({"config", "dict"})) if node.id.endswith("Config") else ANY
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _merge([_reduce(node.left), _reduce(node.right)])
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        head = node.value.id
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head == "Optional":
            return _merge([_reduce(args[0]), FieldType(frozenset({"none"}))])
        if head == "Union":
            return _merge([_reduce(a) for a in args])
        if head == "Literal":
            return _merge([_reduce(a) for a in args])
        if head in ("list", "List"):
            return FieldType(frozenset({"list"}), item=_reduce(args[0]))
        if head in ("dict", "Dict"):
            return FieldType(frozenset({"dict"}), item=_reduce(args[-1]))
        if head in ("tuple", "Tuple"):
            return FieldType(frozenset({"tuple", "list"}))
    return ANY


def _peft_root() -> Path | None:
    spec = importlib.util.find_spec("peft")
    return Path(spec.origin).parent if spec is not None and spec.origin else None


@functools.cache
def lora_fields() -> Mapping[str, FieldType]:
    """Field name -> FieldType for every annotated field of the installed peft's LoraConfig (and its bases)."""
    root = _peft_root()
    fields: dict[str, FieldType] = {}
    if root is None:
        return fields
    for relative, classes in _CLASSES:
        try:
            tree = ast.parse((root / relative).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name in classes:
                for statement in node.body:
                    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                        fields[statement.target.id] = _reduce(statement.annotation)
    return fields
