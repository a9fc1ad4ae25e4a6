"""Forward hooks on every LoRA layer, and where activation checkpointing is switched on."""

from __future__ import annotations

from typing import Any

from lora_lint.probe.result import LayerTrace


class Tracer:
    """Forward hooks on every LoRA layer: was it called, with grad enabled, did its output need grad."""

    def __init__(self, model: Any) -> None:
        from peft.tuners.lora import LoraLayer

        self.modules: dict[str, Any] = {p: m for p, m in model.named_modules() if isinstance(m, LoraLayer)}
        self.records: dict[str, list[Any]] = {path: [0, 0, False, False] for path in self.modules}
        self.checkpointing = _checkpointing(model)
        self.handles: list[Any] = []

    def __enter__(self) -> Tracer:  # noqa: PYI034 - a private class, never subclassed
        for path, module in self.modules.items():
            self.handles.append(module.register_forward_hook(self._hook(self.records[path])))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles.clear()

    @staticmethod
    def _hook(record: list[Any]) -> Any:
        import torch

        def hook(module: Any, args: tuple[Any, ...], output: Any) -> None:
            record[0] += 1
            record[1] += int(torch.is_grad_enabled())
            record[2] = record[2] or any(isinstance(a, torch.Tensor) and a.requires_grad for a in args)
            record[3] = record[3] or (isinstance(output, torch.Tensor) and output.requires_grad)

        return hook

    def trace(self, path: str) -> LayerTrace:
        calls, grad_calls, inp, out = self.records.get(path, (0, 0, False, False))
        return LayerTrace(calls, grad_calls, inp, out)

    def checkpointing_of(self, path: str) -> str | None:
        """The checkpointing kind of the nearest enclosing module that checkpoints, if any."""
        parts = path.split(".")
        for end in range(len(parts) - 1, -1, -1):
            kind = self.checkpointing.get(".".join(parts[:end]))
            if kind is not None:
                return kind
        return None


def _checkpointing(model: Any) -> dict[str, str]:
    """Module path -> "reentrant"/"non-reentrant" for modules with activation checkpointing switched on."""
    found: dict[str, str] = {}
    for path, module in model.named_modules():
        if getattr(module, "gradient_checkpointing", False) is not True:
            continue
        # transformers internal: the checkpoint function is stored per module, usually a functools.partial
        func = getattr(module, "_gradient_checkpointing_func", None)
        reentrant = getattr(func, "keywords", {}).get("use_reentrant")
        # torch treats an unspecified use_reentrant as True
        found[path] = "non-reentrant" if reentrant is False else "reentrant"
    return found
