"""--model DIR --lora-config FILE: config files, the meta-device build, weights, k-bit loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lora_lint import lint
from lora_lint.errors import SetupLoadError
from lora_lint.settings import Settings
from lora_lint.sources.model_config import check_kwargs, load_model_config, read_lora_config
from tests.cli.conftest import SEED, write_gpt2_config, write_json, write_remote_code_config
from tests.tiny_models import saved_llama_dir

REPO = Path(__file__).resolve().parents[2]
LLAMA_7B = REPO / "examples" / "llama2-7b"


def load(model: Path, config: Path, **options):
    return load_model_config("t", model, config, Settings(device="cpu"), options)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("lora.json", json.dumps(SEED)),
        ("lora.yaml", "r: 8\nlora_alpha: 16\ntarget_modules: [q_proj, v_proj]\nlora_dropout: 0.05\nbias: none\ntask_type: CAUSAL_LM\n"),
        ("lora.yml", "r: 8\nlora_alpha: 16\ntarget_modules:\n  - q_proj\n  - v_proj\nlora_dropout: 0.05\nbias: none\ntask_type: CAUSAL_LM\n"),
    ],
)
def test_a_lora_config_is_read_from_json_or_yaml(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    data, file, saved = read_lora_config(path)
    assert data == SEED and file == path and not saved


def test_an_adapter_folder_gives_its_adapter_config_and_drops_saved_bookkeeping(tmp_path: Path) -> None:
    write_json(tmp_path / "adapter_config.json", {**SEED, "peft_type": "LORA", "inference_mode": True, "future_knob": 1})
    data, file, saved = read_lora_config(tmp_path)
    assert file.name == "adapter_config.json" and saved
    kwargs, dropped = check_kwargs(data, file, saved)
    assert kwargs == SEED  # peft saves every adapter with inference_mode=True: not the user's choice here
    assert dropped == ["future_knob"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", '{"r": 8,', "malformed JSON"),
        ("bad.yaml", "r: 8\n  lora_alpha: [16\n", "malformed YAML"),
        ("list.json", "[1, 2]", "expected a mapping of LoraConfig arguments, got list"),
        ("typo.json", '{"r": 8, "target_module": ["q_proj"]}', "unknown LoraConfig argument 'target_module' (did you mean 'target_modules'?)"),
        ("ia3.json", '{"peft_type": "IA3", "target_modules": ["k_proj"]}', "peft_type is IA3, not LORA"),
    ],
)
def test_bad_config_files_are_load_errors_naming_the_file(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SetupLoadError) as info:
        data, file, saved = read_lora_config(path)
        check_kwargs(data, file, saved)
    assert str(info.value).startswith(f"cannot load {path}: ")
    assert message in str(info.value)


def test_a_folder_without_adapter_config_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(SetupLoadError, match="must hold adapter_config.json"):
        read_lora_config(tmp_path)


def test_llama2_7b_config_is_built_on_meta_and_counts_the_true_trainable_parameters() -> None:
    setup = load(LLAMA_7B, LLAMA_7B / "lora_config.json")
    assert setup.weights is False
    assert next(setup.model.parameters()).is_meta
    messages = [n.message for n in setup.notes]
    assert messages[0].endswith("has no weights: built LlamaForCausalLM on the meta device")
    assert messages[1] == "trainable parameters: 4,194,304 of 6,742,609,920 (0.0622%)"
    assert setup.origin.file.endswith("examples/llama2-7b/lora_config.json")
    report = lint(setup)
    assert not report.findings, report.format_findings()
    assert any("needs real weights" in n.message or "needs the probe" in n.message for n in report.notes)


def test_llama_names_on_a_gpt2_base_are_per_entry_lora101_suggesting_c_attn(tmp_path: Path) -> None:
    folder = write_gpt2_config(tmp_path / "gpt2")
    setup = load(folder, write_json(tmp_path / "lora.json", SEED))
    assert setup.model is None and setup.base_model is not None  # peft would raise: nothing to wrap
    assert any("peft would raise" in n.message for n in setup.notes)
    report = lint(setup, select=["LORA101"])
    assert [f.evidence["entry"] for f in report] == ["q_proj", "v_proj"]
    assert all(f.evidence["closest"][0] == "c_attn" for f in report)


def test_a_remote_code_architecture_cannot_be_verified(tmp_path: Path) -> None:
    folder = write_remote_code_config(tmp_path / "remote")
    setup = load(folder, write_json(tmp_path / "lora.json", SEED))
    assert setup.base_model is None and "remote code" in (setup.cannot_verify or "")
    (finding,) = lint(setup, select=["LORA101"]).findings
    assert finding.severity.label == "info" and finding.message.startswith("cannot verify targets")


def test_with_weights_the_model_loads_on_the_device_and_is_probed(tmp_path: Path) -> None:
    setup = load(saved_llama_dir(), write_json(tmp_path / "lora.json", SEED))
    assert setup.weights is True
    assert str(next(setup.model.parameters()).device) == "cpu"
    assert setup.notes[0].message.startswith("loaded LlamaForCausalLM from ")
    report = lint(setup)
    assert not report.findings, report.format_findings()
    assert not any("needs the probe" in n.message for n in report.notes)


@pytest.mark.parametrize("bits", [8, 4])
def test_kbit_loading_follows_the_classic_recipe(tmp_path: Path, bits: int) -> None:
    import bitsandbytes as bnb

    setup = load(saved_llama_dir(), write_json(tmp_path / "lora.json", SEED), **{f"load_in_{bits}bit": True})
    layer_type = bnb.nn.Linear8bitLt if bits == 8 else bnb.nn.Linear4bit
    assert any(isinstance(m, layer_type) for m in setup.model.modules())
    assert setup.notes[0].message.endswith(f"on cpu in {bits}-bit")
    # prepared for k-bit training before wrapping: input grads on, so the k-bit rules stay quiet
    assert setup.model.get_input_embeddings()._forward_hooks
    report = lint(setup, select=["LORA5"], probe=False)
    assert not report.findings, report.format_findings()



@pytest.mark.parametrize(
    ("task_type", "built", "trainable"),
    [
        (None, "LlamaForCausalLM", "4,194,304"),
        ("SEQ_CLS", "LlamaForSequenceClassification", "4,202,496"),  # + the fresh 4096x2 score head
        ("SEQ_2_SEQ_LM", "LlamaForCausalLM", "4,194,304"),  # no seq2seq Llama: the config's own class
    ],
)
def test_the_lora_task_type_picks_the_class_a_training_script_would_load(
    tmp_path: Path, task_type: str | None, built: str, trainable: str
) -> None:
    config = {k: v for k, v in SEED.items() if k != "task_type"}
    if task_type:
        config["task_type"] = task_type
    setup = load(LLAMA_7B, write_json(tmp_path / "lora.json", config))
    assert type(setup.base_model).__name__ == built
    assert setup.notes[1].message.startswith(f"trainable parameters: {trainable} of ")
