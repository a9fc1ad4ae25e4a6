"""Read a config file and parse it, saying what really went wrong: missing, a FIFO, no permission, not UTF-8, too deep.

Every loader reads its JSON and YAML through here, so an unreadable file is one exit-2 line that names
the cause (a permission error is never called "malformed JSON"; deep nesting is never "malformed YAML").
YAML is parsed with ``yaml.safe_load``: a ``!!python/object`` tag is refused, never constructed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from lora_lint.errors import SetupLoadError
from lora_lint.text import one_line

#: the largest config file read (a real one is a few KB; a 64 MB one is not a config)
MAX_CONFIG_BYTES = 64 * 2**20


def named(path: Path) -> bool:
    """Whether anything at all has this name (a file, a FIFO, a folder, a link even if broken).

    Finding a file by name is kept apart from reading it, so a FIFO, a folder or a broken link
    named ``config.json`` is reported as what it is, never as "no config.json".
    """
    return os.path.lexists(path)


def not_regular(mode: int) -> str | None:
    """Why a file of this mode is not read (a FIFO would block the read forever), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a folder" if stat.S_ISDIR(mode) else "a special file"
    return f"not a regular file ({kind})"


def require_regular_file(path: Path) -> os.stat_result:
    """The file's status, or a SetupLoadError saying why it cannot be read as a file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        broken = " (a broken symbolic link)" if path.is_symlink() else ""
        raise SetupLoadError(str(path), f"no such file{broken}") from None
    except NotADirectoryError:
        raise SetupLoadError(str(path), f"cannot read it: {file_in_the_way(path)} is a file, not a folder") from None
    except PermissionError:
        raise SetupLoadError(str(path), "permission denied (the file cannot be read)") from None
    except OSError as exc:
        raise SetupLoadError(str(path), f"cannot read it: {exc.strerror or exc}") from None
    why = not_regular(info.st_mode)
    if why is not None:
        raise SetupLoadError(str(path), why)
    return info


def file_in_the_way(path: Path) -> str:
    """The first part of ``path`` (links followed) that is a file where a folder should be."""
    real = Path(os.path.realpath(path))
    for parent in reversed(real.parents):
        if parent.exists() and not parent.is_dir():
            return str(parent)
    return str(real.parent)


def read_config_text(path: Path) -> str:
    """The file's text, or a SetupLoadError naming what stopped the read."""
    info = require_regular_file(path)
    if info.st_size > MAX_CONFIG_BYTES:
        raise SetupLoadError(str(path), f"{info.st_size:,} bytes; a config file over {MAX_CONFIG_BYTES:,} bytes is refused")
    try:
        data = path.read_bytes()
    except PermissionError:
        raise SetupLoadError(str(path), "permission denied (the file cannot be read)") from None
    except OSError as exc:
        raise SetupLoadError(str(path), f"cannot read it: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SetupLoadError(str(path), f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def parse_json(text: str, path: Path, what: str = "JSON") -> Any:
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise SetupLoadError(str(path), f"{what} is nested too deeply to read") from None
    except ValueError as exc:
        hint = "; was it truncated?" if "Expecting" in str(exc) and exc.args and text.rstrip() else ""
        raise SetupLoadError(str(path), f"malformed {what} ({exc}){hint}") from None


#: the deepest YAML nesting read: real configs nest a few levels; PyYAML's constructor recurses per level
MAX_YAML_DEPTH = 100


def _yaml_depth_ok(text: str, loader: Any) -> bool:
    """Walk the parser's events (a flat stream, no recursion) and stop at the first level too deep."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return False
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return True


def parse_yaml(text: str, path: Path) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the same safe constructor
    try:
        if not _yaml_depth_ok(text, loader):
            raise SetupLoadError(str(path), f"the YAML is nested too deeply to read (over {MAX_YAML_DEPTH} levels)")
        return yaml.load(text, Loader=loader)  # noqa: S506  a safe loader: plain data only
    except RecursionError:
        raise SetupLoadError(str(path), "the YAML is nested too deeply to read") from None
    except yaml.constructor.ConstructorError as exc:
        tag = f" {exc.problem}" if exc.problem else ""
        raise SetupLoadError(str(path), f"YAML tag refused (only plain data is read):{tag}") from None
    except yaml.YAMLError as exc:
        if "nesting depth" in str(exc):  # libyaml's own limit
            raise SetupLoadError(str(path), "the YAML is nested too deeply to read") from None
        raise SetupLoadError(str(path), f"malformed YAML: {one_line(exc)}") from None


def read_config(path: Path, what: str = "JSON") -> Any:
    """A JSON or YAML file (by its suffix) parsed to plain data."""
    text = read_config_text(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return parse_yaml(text, path)
    return parse_json(text, path, what)
