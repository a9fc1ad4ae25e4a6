"""A model inside DataParallel, DistributedDataParallel or a bare ``.module`` holder is linted as itself."""

from __future__ import annotations

import os
import socket

import pytest
import torch

from lora_lint import lint
from tests.tiny_models import llama, lora


def _drifted():
    model = lora(llama())
    model.peft_config["default"].lora_alpha = 32  # the planted edit: live scaling no longer matches
    return model


class Holder(torch.nn.Module):
    """How accelerate-style helpers keep a model: one child called ``module`` and nothing else."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)


def _codes(report) -> set[str]:
    return {f.code for f in report.findings}


@pytest.mark.parametrize("wrap", [torch.nn.DataParallel, Holder, lambda m: Holder(torch.nn.DataParallel(m))],
                         ids=["DataParallel", "holder", "holder-of-DataParallel"])
def test_a_planted_alpha_edit_is_found_through_the_wrapper(wrap) -> None:
    wrapped = wrap(_drifted())
    report = lint(wrapped, select=["LORA1", "LORA2", "LORA3"], probe=False)
    assert "LORA303" in _codes(report)
    assert not any("skipped" in n.message for n in report.notes), report.notes


def test_a_correct_model_in_a_wrapper_stays_quiet_and_the_wrapper_is_kept() -> None:
    inner = lora(llama(), lora_alpha=32)
    wrapped = torch.nn.DataParallel(inner)
    report = lint(wrapped, select=["LORA3"], probe=False)
    assert "LORA303" not in _codes(report)
    assert wrapped.module is inner


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gloo_group():
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()))
    dist.init_process_group("gloo", rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


@pytest.mark.usefixtures("gloo_group")
def test_a_planted_alpha_edit_is_found_inside_distributed_data_parallel() -> None:
    from torch.nn.parallel import DistributedDataParallel

    ddp = DistributedDataParallel(_drifted())
    report = lint(ddp, select=["LORA3"], probe=False)
    assert "LORA303" in _codes(report)
    assert isinstance(ddp.module.peft_config, dict)
