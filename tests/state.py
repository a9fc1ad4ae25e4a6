"""Snapshot everything a lint must leave alone, to compare before and after."""

from __future__ import annotations

from typing import Any

import torch


def snapshot(model: Any) -> dict[str, Any]:
    """Values, requires_grad, .grad, train/eval flags, adapter state and the RNG state."""
    params = {
        n: (p.detach().clone(), p.requires_grad, None if p.grad is None else p.grad.detach().clone(), p.dtype, p.device)
        for n, p in model.named_parameters(remove_duplicate=False)
    }
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    modes = {n: m.training for n, m in model.named_modules()}
    adapters = {}
    from peft.tuners.tuners_utils import BaseTunerLayer

    for n, m in model.named_modules():
        if isinstance(m, BaseTunerLayer):
            adapters[n] = (tuple(m.active_adapters), m.disable_adapters, tuple(m.merged_adapters))
    hooks = {n: (len(m._forward_hooks), len(m._forward_pre_hooks), len(m._backward_hooks)) for n, m in model.named_modules()}
    return {
        "params": params,
        "buffers": buffers,
        "modes": modes,
        "adapters": adapters,
        "hooks": hooks,
        "rng": torch.get_rng_state().clone(),
        "grad_enabled": torch.is_grad_enabled(),
    }


def assert_unchanged(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert before["params"].keys() == after["params"].keys()
    for name, (value, rg, grad, dtype, device) in before["params"].items():
        v2, rg2, grad2, dtype2, device2 = after["params"][name]
        assert (dtype, device) == (dtype2, device2), name
        assert torch.equal(value, v2), f"{name} value changed"
        assert rg == rg2, f"{name} requires_grad changed"
        assert (grad is None) == (grad2 is None), f"{name} .grad presence changed"
        if grad is not None:
            assert torch.equal(grad, grad2), f"{name} .grad changed"
    for name, value in before["buffers"].items():
        assert torch.equal(value, after["buffers"][name]), f"buffer {name} changed"
    assert before["modes"] == after["modes"]
    assert before["adapters"] == after["adapters"]
    assert before["hooks"] == after["hooks"]
    assert torch.equal(before["rng"], after["rng"]), "RNG state changed"
    assert before["grad_enabled"] == after["grad_enabled"]
