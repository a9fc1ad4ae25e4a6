"""TARGET ``file.py:func`` or ``package.module:func``: call the factory and lint what it returns.

The factory is called with no arguments and returns a model, ``(model, batch)``, or a mapping with
``model`` and optional ``batch`` and ``optimizer``, or a ``transformers.Trainer`` (alone or under
``trainer`` of a mapping; read by :mod:`lora_lint.sources.trainer`). Its folder and the working directory are
importable, as when running the file. Anything the user's code raises becomes a one-line
``SetupLoadError`` naming the factory, except peft's "target modules not found", which is linted.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import re
import sys
import traceback
import zlib
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from lora_lint.context import Setup
from lora_lint.errors import LoraLintError, SetupLoadError
from lora_lint.findings import Location
from lora_lint.plugins import hookimpl
from lora_lint.settings import Settings
from lora_lint.sources.factory_result import safe_str, unpack_result
from lora_lint.sources.peft_recovery import (
    NoMatchError,
    is_no_match,
    recover_from_no_match,
)
from lora_lint.text import one_line

_TARGET_RE = re.compile(r"^(?P<where>.+?):(?P<func>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")
_MODULE_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def parse_factory(target: str) -> tuple[str, str] | None:
    """``(file or module, function)`` when TARGET has the factory shape, else None."""
    m = _TARGET_RE.match(target)
    if m is None:
        return None
    where = m["where"]
    if where.endswith(".py") or _MODULE_RE.match(where):
        return where, m["func"]
    return None


def relative_to_cwd(path: str | Path) -> str:
    """A path inside the working directory as a relative one (what SARIF and annotations want)."""
    p = Path(path).resolve()
    try:
        return p.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(p)


def _importable(*folders: Path) -> None:
    for folder in reversed(folders):
        entry = str(folder.resolve())
        if entry not in sys.path:
            sys.path.insert(0, entry)


def _load_file(target: str, file: Path) -> ModuleType:
    # A private module name: registering the file as its bare stem ("train") would hand this module
    # to every later ``import train`` in the process, even one meant for another train.py.
    resolved = file.resolve()
    stem = file.stem if file.stem.isidentifier() else "factory"
    name = f"lora_lint_factory_{stem}_{zlib.crc32(str(resolved).encode()):08x}"
    existing = sys.modules.get(name)
    if existing is not None:
        return existing
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise SetupLoadError(target, f"cannot import {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses, pickling and relative lookups need it registered
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _resolve(target: str, where: str, func: str) -> Any:
    if where.endswith(".py"):
        file = Path(where)
        if not file.is_file():
            raise SetupLoadError(target, f"no such file: {where}")
        _importable(file.parent, Path.cwd())
        module = _call_user(target, lambda: _load_file(target, file))
    else:
        _importable(Path.cwd())
        found = _call_user(target, lambda: _find_spec(where))  # imports parent packages: user code
        if found is None:
            raise SetupLoadError(target, f"no module named {where!r} (is it installed or in the working directory?)")
        module = _call_user(target, lambda: importlib.import_module(where))
    obj: Any = module
    for part in func.split("."):
        if not hasattr(obj, part):
            raise SetupLoadError(target, f"{where} has no attribute {func!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise SetupLoadError(target, f"{func} in {where} is not callable")
    return obj


def _find_spec(name: str) -> Any:
    try:
        return importlib.util.find_spec(name)
    except ModuleNotFoundError:  # a parent package is missing
        return None


def _user_frame(tb: TracebackType | None) -> str:
    """Where in the user's code the error happened, for the one-line message."""
    last = None
    for frame, line in traceback.walk_tb(tb):
        path = frame.f_code.co_filename
        if "site-packages" not in path and f"{os.sep}lora_lint{os.sep}" not in path and not path.startswith("<"):
            last = f"{relative_to_cwd(path)}:{line}"
    return f" (at {last})" if last else ""


def _call_user(target: str, call: Any) -> Any:
    """Run user code; any exception becomes a one-line error naming the factory.

    ``KeyboardInterrupt`` still stops the run; every other ``BaseException`` (``SystemExit``,
    ``GeneratorExit``, a user's own subclass) is the factory failing.
    """
    try:
        return call()
    except LoraLintError:
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the user's code: SystemExit and friends included
        if is_no_match(exc):
            raise NoMatchError(exc) from exc
        msg = one_line(safe_str(exc)) or "(no message)"
        raise SetupLoadError(target, f"the factory raised {type(exc).__name__}: {msg}{_user_frame(exc.__traceback__)}") from None


def _origin(func: Any) -> Location:
    try:
        file = inspect.getsourcefile(inspect.unwrap(func))
        _, line = inspect.getsourcelines(inspect.unwrap(func))
    except (OSError, TypeError):
        return Location()
    return Location(file=relative_to_cwd(file) if file else None, line=line or None)


def load_factory(target: str, settings: Settings | None = None) -> Setup | None:
    """The setup a factory TARGET describes, or None when TARGET is not a factory."""
    parsed = parse_factory(target)
    if parsed is None:
        return None
    where, name = parsed
    origin = Location(file=relative_to_cwd(where)) if where.endswith(".py") else Location()
    try:
        func = _resolve(target, where, name)
        found = _origin(func)
        origin = found if found.file else origin  # a callable object has no source lines: its file
        result = _call_user(target, func)
    except NoMatchError as err:
        return recover_from_no_match(target, err, origin)
    from lora_lint.sources.trainer import setup_from_trainer, trainer_of

    trainer = trainer_of(result)
    if trainer is not None:  # a Trainer, or a mapping with 'trainer': its model, batch, optimizer, tokenizer
        setup = setup_from_trainer(target, trainer, origin)
    else:
        setup = Setup(target=target, origin=origin, **unpack_result(target, result))
    from lora_lint.sources.base_model import trainable_note

    note = trainable_note(setup.model, target)
    if note is not None:
        setup.notes.append(note)
    return setup


@hookimpl
def lora_lint_load_setup(target: str, settings: Settings, options: dict[str, Any]) -> list[Setup] | None:
    setup = load_factory(target, settings)
    return None if setup is None else [setup]

