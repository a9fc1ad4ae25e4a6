"""Published axolotl and LLaMA-Factory LoRA configs lint quietly against their bases from an offline HF cache;
the same configs with realistic mistakes are flagged at the YAML key, in the framework's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from lora_lint import lint
from lora_lint.report import Report
from lora_lint.settings import Settings
from lora_lint.sources.framework_config import lora_lint_load_setup

CONFIGS = Path(__file__).parent / "data" / "configs"
PUBLISHED = sorted(p.name for p in CONFIGS.glob("*.y*ml"))


def lint_yaml(path: Path) -> Report:
    settings = Settings(device="cpu", probe=False)
    (setup,) = lora_lint_load_setup(target=str(path), settings=settings, options={}) or []
    return lint(setup, settings=settings)


@pytest.mark.parametrize("name", PUBLISHED)
def test_a_published_config_lints_quietly(offline_hub: Path, name: str) -> None:
    report = lint_yaml(CONFIGS / name)
    assert not [f for f in report.findings if f.severity.name in ("ERROR", "WARNING")], report.findings
    notes = " ".join(n.message for n in report.notes)
    assert "meta device" in notes and "trainable parameters" in notes


def test_all_linear_targets_follow_each_framework(offline_hub: Path) -> None:
    from lora_lint.context import Setup

    settings = Settings(device="cpu", probe=False)
    ax: Setup = lora_lint_load_setup(target=str(CONFIGS / "ax_llama3_lora_8b.yml"), settings=settings, options={})[0]  # type: ignore[index]
    lf: Setup = lora_lint_load_setup(target=str(CONFIGS / "lf_llama3_lora_sft.yaml"), settings=settings, options={})[0]  # type: ignore[index]
    every = ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]
    assert ax.lora_configs["default"]["target_modules"] == every  # lm_head left out by both
    assert lf.lora_configs["default"]["target_modules"] == every
    assert lf.lora_configs["default"]["lora_alpha"] == 16 and ax.lora_configs["default"]["lora_alpha"] == 16
    # examples/llama-3/lora-8b.yml saves both embeddings whole (the model ties neither)
    assert ax.lora_configs["default"]["modules_to_save"] == ["embed_tokens", "lm_head"]


MISTAKES = [
    # axolotl: a Falcon/GPT-NeoX fused name on Llama
    ("ax_llama2_lora.yml", "lora_target_linear: true", "lora_target_modules: [query_key_value, v_proj]", "LORA101", "lora_target_modules: 'query_key_value'"),
    # axolotl: one string is a regex peft full-matches against the whole path
    ("ax_llama3_lora_8b.yml", "lora_target_linear: true", "lora_target_modules: q_proj|v_proj", "LORA102", "lora_target_modules"),
    # axolotl: a regex inside a list is matched literally
    ("ax_mistral_qlora.yml", "  - o_proj", "  - .*o_proj", "LORA102", "lora_target_modules"),
    # LLaMA-Factory: GPT-2's fused attention name on Llama 3
    ("lf_llama3_lora_sft.yaml", "lora_target: all", "lora_target: c_attn,v_proj", "LORA101", "lora_target: 'c_attn'"),
    # LLaMA-Factory: names separated by spaces are one name
    ("lf_llama3_lora_list.yaml", "lora_target: q_proj,v_proj", "lora_target: q_proj v_proj", "LORA101", "lora_target"),
    # LLaMA-Factory: an alpha far outside the usual band for the rank
    ("lf_llama3_lora_list.yaml", "lora_target: q_proj,v_proj", "lora_target: q_proj,v_proj\nlora_rank: 16\nlora_alpha: 1024", "LORA301", "lora_rank, lora_alpha"),
]


@pytest.mark.parametrize(("name", "old", "new", "code", "setting"), MISTAKES)
def test_a_mistake_in_a_published_config_is_flagged_at_its_key(
    offline_hub: Path, tmp_path: Path, name: str, old: str, new: str, code: str, setting: str
) -> None:
    text = (CONFIGS / name).read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    key = setting.split(":")[0].split(", ")[-1]
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if row.startswith(key + ":"))
    found = [f for f in lint_yaml(path).findings if f.code == code]
    assert found, lint_yaml(path).findings
    assert found[0].location.setting is not None and found[0].location.setting.startswith(setting)
    assert found[0].location.line == line and found[0].location.file is not None
    assert "LoraConfig(" not in (found[0].hint or "") and "target_modules=" not in (found[0].hint or "")
