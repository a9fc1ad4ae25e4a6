"""Config drift of one adapter over a training run (checkpoint to checkpoint) or against its lock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lora_lint.facts.scale_fields import FieldChange, describe_change, field_changes, global_scale, scale_fields
from lora_lint.wording import plural, verb

if TYPE_CHECKING:
    from lora_lint.context import Setup


@dataclass(frozen=True)
class Drift:
    """One adapter whose scale-defining fields (or saved shapes) differ between two states."""

    adapter: str
    #: "checkpoint" (vs the checkpoint before), "final" (run root vs its last checkpoint), "lock"
    kind: str
    #: what it was trained with (``checkpoint-10``, ``lora.lock.json``) and what it is now
    before: str
    after: str
    #: scale fields of both states; None when the adapter is absent from that state
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    #: file the finding points at (the new state's adapter_config.json), if any
    file: str | None = None
    #: tensor shape differences (lock only), already in words
    shapes: tuple[str, ...] = ()

    @property
    def changes(self) -> tuple[FieldChange, ...]:
        if self.old is None or self.new is None:
            return ()
        return field_changes(self.old, self.new)

    @property
    def old_scale(self) -> float | None:
        return global_scale(self.old) if self.old is not None else None

    @property
    def new_scale(self) -> float | None:
        return global_scale(self.new) if self.new is not None else None

    def describe(self) -> str:
        """The change in plain words, e.g. ``lora_alpha 16 -> 32: the adapter's contribution doubles ...``."""
        if self.old is None:
            return f"adapter {self.adapter!r} is new (not in {self.before})"
        if self.new is None:
            return f"adapter {self.adapter!r} is missing (it is in {self.before})"
        text = describe_change(self.old, self.new) if self.changes else ""
        if self.shapes:
            text = f"{text}; " if text else ""
            text += "saved tensors differ: " + "; ".join(self.shapes)
        return text


@dataclass(frozen=True)
class RunFacts:
    """Drift found for one setup: its checkpoint vs the one before, and the setup vs its lock."""

    drifts: tuple[Drift, ...]
    #: things worth saying that are not drift (e.g. weights retrained under the same config)
    notes: tuple[str, ...] = ()


def _paired(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """Adapters matched by name; a single adapter on each side is matched whatever its folder is called."""
    if len(old) == 1 and len(new) == 1:
        (name_old, a), (name_new, b) = next(iter(old.items())), next(iter(new.items()))
        yield (name_new if name_new == name_old else f"{name_old}/{name_new}"), a, b
        return
    for name in [*old, *(n for n in new if n not in old)]:
        yield name, old.get(name), new.get(name)


def _configs(folder: Path) -> dict[str, tuple[dict[str, Any], str]]:
    from lora_lint.sources.adapter_files import load_adapters

    return {n: (scale_fields(a.config), str(a.config_file)) for n, a in load_adapters(folder).items()}


def _stage_name(setup: Setup, folder: Path) -> str:
    root = setup.run.root if setup.run is not None else None
    if root is not None and Path(folder) == root:
        return f"the final adapter at {root}"
    return folder.name


def checkpoint_drift(setup: Setup) -> list[Drift]:
    """The last checkpoint of ``setup.checkpoints`` against the one before it."""
    if len(setup.checkpoints) < 2:
        return []
    before_dir, after_dir = setup.checkpoints[-2], setup.checkpoints[-1]
    kind = "final" if setup.run is not None and after_dir == setup.run.root else "checkpoint"
    old, new = _configs(before_dir), _configs(after_dir)
    drifts: list[Drift] = []
    for name, a, b in _paired(old, new):
        old_fields, new_fields = (a[0] if a else None), (b[0] if b else None)
        if old_fields == new_fields:
            continue
        drifts.append(
            Drift(name, kind, before_dir.name, _stage_name(setup, after_dir), old_fields, new_fields, b[1] if b else None)
        )
    return drifts


def lock_drift(setup: Setup) -> tuple[list[Drift], list[str]]:
    """The setup's adapters (saved or live) against ``setup.lock_file``."""
    from lora_lint.lock import live_records, read_lock, saved_records

    if setup.lock_file is None:
        return [], []
    lock = read_lock(setup.lock_file)
    saved = setup.saved.adapters if setup.saved is not None else None
    if saved is None and setup.adapter_dirs:
        from lora_lint.sources.adapter_files import load_adapters

        saved = {n: a for folder in {*setup.adapter_dirs.values()} for n, a in load_adapters(folder).items()}
    now = saved_records(saved, content_hash=False) if saved else live_records(setup.model, content_hash=False)
    files = {n: str(a.config_file) for n, a in (saved or {}).items()}
    label = Path(setup.lock_file).name
    drifts: list[Drift] = []
    same_config: list[str] = []
    for name, old, new in _paired(lock["adapters"], now):
        shapes = _shape_changes(old["tensors"], new["tensors"]) if old and new else []
        old_fields = scale_fields(old["config"]) if old else None
        new_fields = new["config"] if new else None
        if old_fields == new_fields and not shapes:
            same_config.append(name)
            continue
        drifts.append(Drift(name, "lock", label, "now", old_fields, new_fields, files.get(name), tuple(shapes)))
    notes = _hash_notes(setup, lock, same_config, saved, label)
    return drifts, notes


def _shape_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    changed = [k for k in old if k in new and list(old[k]) != list(new[k])]
    missing = [k for k in old if k not in new]
    added = [k for k in new if k not in old]
    out: list[str] = []
    if changed:
        k = changed[0]
        out.append(f"{plural(len(changed), 'tensor')} changed shape (e.g. {k} {list(old[k])} -> {list(new[k])})")
    if missing:
        out.append(f"{plural(len(missing), 'recorded tensor')} {verb(len(missing), 'is')} gone (e.g. {missing[0]})")
    if added:
        out.append(f"{plural(len(added), 'tensor')} {verb(len(added), 'is')} new (e.g. {added[0]})")
    return out


def _hash_notes(setup: Setup, lock: Mapping[str, Any], names: list[str], saved: Any, label: str) -> list[str]:
    """Same config and shapes but other weights: retrained, which is not drift; say so in a note."""
    if not names:
        return []
    from lora_lint.lock import live_records, saved_records

    now = saved_records(saved, content_hash=True) if saved else live_records(setup.model, content_hash=True)
    notes: list[str] = []
    for name, old, new in _paired(lock["adapters"], now):
        if name not in names or not old or not new:
            continue
        if old.get("content_hash") and new.get("content_hash") and old["content_hash"] != new["content_hash"]:
            notes.append(f"adapter {name!r}: weights differ from {label} (same config and shapes: retrained?)")
    return notes


def collect_run(setup: Setup) -> RunFacts:
    drifts = checkpoint_drift(setup)
    lock_drifts, notes = lock_drift(setup)
    return RunFacts(tuple(drifts + lock_drifts), tuple(notes))
