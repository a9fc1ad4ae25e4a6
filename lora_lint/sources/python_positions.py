"""Lines where a factory sets LoRA config fields, read from its source with ``ast`` (nothing runs).

A field is "set" by a keyword argument of any call (``LoraConfig(target_modules=[...])``, or a
helper such as ``make_config(lora_alpha=32)``), by an attribute or item assignment
(``config.lora_alpha = 64``, ``kwargs["r"] = 4``) or by a dict literal key. The factory's own body
is searched, and before it the module-level assignments whose names the factory reads (a config
written once at the top of a training script). When a field is set several times the last one in
execution order wins, as it does for the value.
"""

from __future__ import annotations

import ast

from lora_lint.sources.config_positions import Positions

_Functions = (ast.FunctionDef, ast.AsyncFunctionDef)


def factory_positions(text: str, def_line: int) -> Positions:
    """Field and entry lines of the function whose first line (``def`` or decorator) is ``def_line``."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}, {}
    func = next((n for n in ast.walk(tree) if isinstance(n, _Functions) and _first_line(n) == def_line), None)
    if func is None:
        return {}, {}
    fields: dict[str, int] = {}
    entries: dict[tuple[str, str], int] = {}
    used = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and used & _assigned_names(stmt):
            _record(stmt, fields, entries)
    _record(func, fields, entries)
    return fields, entries


def _first_line(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """What ``inspect.getsourcelines`` reports: the first decorator's line, else the ``def`` line."""
    return min([func.lineno, *(d.lineno for d in func.decorator_list)])


def _assigned_names(stmt: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _record(root: ast.AST, fields: dict[str, int], entries: dict[tuple[str, str], int]) -> None:
    """Every setting under ``root``, applied in source order so that a later one replaces an earlier one."""
    found: list[tuple[int, int, str, ast.expr | None]] = []
    for node in ast.walk(root):
        if isinstance(node, ast.Call):
            found += [(k.lineno, k.col_offset, k.arg, k.value) for k in node.keywords if k.arg is not None]
        elif isinstance(node, ast.Dict):
            found += [
                (k.lineno, k.col_offset, k.value, v)
                for k, v in zip(node.keys, node.values)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = _target_field(target)
                if name is not None:
                    found.append((target.lineno, target.col_offset, name, node.value))
    for line, _, name, value in sorted(found, key=lambda f: (f[0], f[1])):
        fields[name] = line
        for key in [k for k in entries if k[0] == name]:
            del entries[key]
        for entry, entry_line in _entries(value):
            entries.setdefault((name, entry), entry_line)


def _target_field(target: ast.expr) -> str | None:
    """``config.lora_alpha`` -> lora_alpha; ``kwargs["r"]`` -> r."""
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
        return target.slice.value
    return None


def _entries(value: ast.expr | None) -> list[tuple[str, int]]:
    """The strings of a list/tuple/set literal, the keys of a dict literal, or a string itself, with their lines."""
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        items: list[ast.expr | None] = list(value.elts)
    elif isinstance(value, ast.Dict):
        items = list(value.keys)
    else:
        items = [value]
    return [(i.value, i.lineno) for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]
