"""Saved-adapter facts: peft's key conventions, the block-wise value scan, and keys placed on a base model."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import lora_lint.facts.tensors as tensors_module
from lora_lint.context import Setup
from lora_lint.facts.artifacts import artifact_of
from lora_lint.facts.base_mapping import map_onto_base
from lora_lint.facts.model import collect_model_facts
from lora_lint.facts.peft_keys import parse_key
from lora_lint.facts.saved_heads import head_check
from lora_lint.sources.adapter_files import load_adapters
from tests.saved_adapters import (
    bart_seq_cls,
    copy_tree,
    trained_bert_classifier,
    trained_llama,
    train_steps,
)
from tests.tiny_models import gpt2, llama, lora


def artifact(folder: Path, name: str = "default"):
    return artifact_of(load_adapters(folder)[name])


@pytest.mark.parametrize(
    ("key", "module", "part", "rest"),
    [
        ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj", "lora_A", "weight"),
        ("base_model.model.model.embed_tokens.lora_embedding_B", "model.embed_tokens", "lora_embedding_B", ""),
        ("base_model.model.model.layers.0.mlp.up_proj.lora_magnitude_vector", "model.layers.0.mlp.up_proj", "lora_magnitude_vector", ""),
        ("base_model.model.classifier.weight", "classifier", None, "weight"),
        ("base_model.model.model.embed_tokens.base_layer.weight", "model.embed_tokens", None, "weight"),
        ("base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta", "model.embed_tokens", None, "token_adapter.trainable_tokens_delta"),
        ("model.layers.0.self_attn.q_proj.lora_A.default.weight", "model.layers.0.self_attn.q_proj", "lora_A", "default.weight"),
    ],
)  # fmt: skip
def test_saved_keys_split_along_peft_conventions(key: str, module: str, part: str | None, rest: str) -> None:
    saved = parse_key(key)
    assert (saved.module, saved.part, saved.rest) == (module, part, rest)
    assert saved.has_adapter_name == (rest == "default.weight")


def _torch_norms(folder: Path, scale: float) -> dict[str, float]:
    tensors = load_file(str(folder / "adapter_model.safetensors"))
    out = {}
    for key, a in tensors.items():
        if key.endswith("lora_A.weight"):
            b = tensors[key.replace("lora_A", "lora_B")]
            out[parse_key(key).module] = float((b.double() @ a.double()).norm()) * scale
    return out


def test_update_norms_equal_the_norm_of_the_product_without_forming_it() -> None:
    facts = artifact(trained_llama())
    expected = _torch_norms(trained_llama(), scale=2.0)
    assert facts.update_norms.keys() == expected.keys()
    for module, value in expected.items():
        assert math.isclose(facts.update_norms[module], value, rel_tol=1e-5)


def test_tiny_blocks_give_the_same_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = artifact(trained_llama()).scan
    monkeypatch.setattr(tensors_module, "CHUNK_BYTES", 40)  # a few rows or columns per read
    blocked = artifact(trained_llama()).scan
    for key, values in whole.values.items():
        assert math.isclose(blocked.values[key].sq_norm, values.sq_norm, rel_tol=1e-6)
    for module, norm in whole.product_norms.items():
        assert math.isclose(blocked.product_norms[module], norm, rel_tol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_adapters_are_read_without_torch(tmp_path: Path, dtype: torch.dtype) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "half")
    tensors = {k: v.to(dtype) for k, v in load_file(str(folder / "adapter_model.safetensors")).items()}
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    facts = artifact(folder)
    for key, tensor in tensors.items():
        assert math.isclose(facts.scan.values[key].sq_norm, float(tensor.double().pow(2).sum()), rel_tol=1e-6)
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from lora_lint.sources.adapter_files import load_adapters\n"
        "from lora_lint.facts.artifacts import artifact_of\n"
        f"a = artifact_of(load_adapters(Path({str(folder)!r}))['default'])\n"
        "assert a.update_norms\nprint('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_a_bin_adapter_scans_like_its_safetensors_twin(tmp_path: Path) -> None:
    model = train_steps(lora(llama()))
    model.save_pretrained(tmp_path / "st")
    model.save_pretrained(tmp_path / "bin", safe_serialization=False)
    st, binary = artifact(tmp_path / "st"), artifact(tmp_path / "bin")
    assert [t.shape for t in st.tensors] == [t.shape for t in binary.tensors]
    assert st.update_norms == pytest.approx(binary.update_norms)


def test_nonfinite_and_zero_values_are_counted(tmp_path: Path) -> None:
    folder = copy_tree(trained_llama(), tmp_path / "bad")
    tensors = load_file(str(folder / "adapter_model.safetensors"))
    key_nan = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
    key_zero = "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"
    tensors[key_nan][0, :3] = torch.tensor([float("nan"), float("inf"), -float("inf")])
    tensors[key_zero].zero_()
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    values = artifact(folder).scan.values
    assert (values[key_nan].nan, values[key_nan].inf, values[key_nan].zero) == (1, 2, False)
    assert values[key_zero].zero and values[key_zero].sq_norm == 0


def test_scanning_holds_blocks_not_the_file(tmp_path: Path) -> None:
    """Peak RSS grows by a few blocks, however big the file (the benchmark measures a 1 GB adapter)."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "big"
    folder.mkdir()
    tensors = {}
    for i in range(8):
        prefix = f"base_model.model.model.layers.{i}.mlp.down_proj"
        tensors[f"{prefix}.lora_A.weight"] = rng.standard_normal((64, 16384), dtype=np.float32)
        tensors[f"{prefix}.lora_B.weight"] = rng.standard_normal((49152, 64), dtype=np.float32)
    from safetensors.numpy import save_file as save_numpy

    save_numpy(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text('{"peft_type": "LORA", "r": 64, "lora_alpha": 16, "target_modules": ["down_proj"]}')
    size_mb = (folder / "adapter_model.safetensors").stat().st_size / 2**20
    code = (
        "import resource\nfrom pathlib import Path\n"
        "from lora_lint.sources.adapter_files import load_adapters\n"
        "from lora_lint.facts.artifacts import artifact_of\n"
        f"a = artifact_of(load_adapters(Path({str(folder)!r}))['default'])\n"
        "import numpy\nbefore = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "assert len(a.update_norms) == 8\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    growth_mb = float(out.stdout.strip())
    assert size_mb > 100
    assert growth_mb < 0.2 * size_mb, f"peak RSS grew {growth_mb:.1f} MB scanning {size_mb:.0f} MB"


# -- placing saved keys on a base model --------------------------------------------------------------


def _renamed(tmp_path: Path, rename) -> Path:
    folder = copy_tree(trained_llama(), tmp_path / "renamed")
    tensors = load_file(str(folder / "adapter_model.safetensors"))
    save_file({rename(k): v for k, v in tensors.items()}, str(folder / "adapter_model.safetensors"))
    return folder


def _llama_facts():
    with torch.device("meta"):
        base = llama()
    return collect_model_facts(Setup(target="base", base_model=base))


@pytest.mark.parametrize(
    ("rename", "cause"),
    [
        (lambda k: k, None),
        (lambda k: k.replace("base_model.model.", "base_model.model._orig_mod."), "torch.compile()d model"),
        (lambda k: k.replace("base_model.model.", "base_model.model.language_model."), "extra 'language_model.' prefix"),
        (lambda k: k.replace("base_model.model.model.", "base_model.model."), "lack the 'model.' prefix"),
        (lambda k: k.replace(".weight", ".default.weight"), "still carry an adapter name"),
    ],
)
def test_unmapped_keys_come_with_their_cause(tmp_path: Path, rename, cause: str | None) -> None:
    mapping = map_onto_base(artifact(_renamed(tmp_path, rename)), _llama_facts())
    if cause is None:
        assert not mapping.unmapped and mapping.cause is None
        assert {k.module.type_name for k in mapping.mapped} == {"Linear"}
    else:
        assert len(mapping.unmapped) == 8
        assert cause in mapping.cause


def test_an_adapter_of_another_model_class_maps_nowhere(tmp_path: Path) -> None:
    train_steps(lora(gpt2(), target_modules=["c_attn"], fan_in_fan_out=True)).save_pretrained(tmp_path / "gpt2")
    mapping = map_onto_base(artifact(tmp_path / "gpt2"), _llama_facts())
    assert len(mapping.unmapped) == len(mapping.keys) == 4
    assert "no saved module path exists in this model: the adapter was trained on another model" in mapping.cause


# -- heads -------------------------------------------------------------------------------------------


def test_a_seq_cls_adapter_carries_peft_s_default_head() -> None:
    check = head_check(artifact(trained_bert_classifier()), None, None)
    assert check is not None and check.reason == "task_type SEQ_CLS"
    assert set(check.saved) == {"classifier.weight", "classifier.bias"}


def test_bart_s_classification_head_is_not_among_peft_s_defaults() -> None:
    check = head_check(artifact(bart_seq_cls()), None, None)
    assert check is not None and check.saved == ()
    assert check.heads == ("classifier", "score")


def test_a_causal_lm_adapter_needs_no_head() -> None:
    assert head_check(artifact(trained_llama()), None, None) is None
