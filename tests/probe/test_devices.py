"""``--device`` resolution: accepted forms, missing GPUs as usage errors, and where the probe runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from lora_lint.errors import UsageError
from lora_lint.probe.devices import model_device, parse_device, probe_device, resolve_device
from tests.tiny_models import llama, lora, mlp

HAS_CUDA = torch.cuda.is_available()


@pytest.mark.parametrize(
    ("text", "parsed"), [(None, "auto"), ("AUTO", "auto"), (" cpu ", "cpu"), ("cuda", "cuda"), ("cuda:1", "cuda:1")]
)
def test_accepted_device_forms_are_normalised(text, parsed) -> None:
    assert parse_device(text) == parsed


@pytest.mark.parametrize("text", ["gpu", "cuda:", "cuda:x", "mps:0", ""])
def test_other_device_texts_are_usage_errors_naming_the_forms(text) -> None:
    with pytest.raises(UsageError, match="auto, cpu, cuda or cuda:N"):
        parse_device(text)


def test_auto_resolves_to_cuda_exactly_when_torch_sees_one() -> None:
    assert resolve_device("auto") == ("cuda" if HAS_CUDA else "cpu")
    assert resolve_device("cpu") == "cpu"


@pytest.mark.skipif(HAS_CUDA, reason="needs a machine without CUDA")
def test_asking_for_cuda_without_one_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no CUDA device"):
        resolve_device("cuda:0")


@pytest.mark.skipif(not HAS_CUDA, reason="needs CUDA")
def test_a_cuda_index_beyond_the_devices_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="does not exist"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_a_model_takes_its_inputs_where_its_embeddings_are() -> None:
    assert model_device(lora(llama())) == torch.device("cpu")
    assert model_device(torch.nn.ReLU()) == torch.device("cpu")


def test_the_probe_runs_where_the_model_is_and_says_so_when_told_otherwise() -> None:
    model = mlp()
    assert probe_device(model, "auto") == (torch.device("cpu"), None)
    assert probe_device(model, "cpu") == (torch.device("cpu"), None)
    device, note = probe_device(model, "cuda:1")
    assert device == torch.device("cpu")
    assert note == "the model is on cpu, so the probe ran there; --device cuda:1 only places models lora-lint builds"


def test_validating_a_device_does_not_import_torch() -> None:
    code = "import sys; from lora_lint.probe.devices import parse_device; parse_device('cuda:3'); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
