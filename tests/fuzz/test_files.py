"""Hostile files and folders: the answer says what really happened, nothing is executed, time stays bounded."""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path

import pytest

from tests.fuzz.conftest import ADAPTER_CONFIG, assert_refused, cli, lora_tensors, write, write_adapter

MODEL = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 16, "intermediate_size": 32,
         "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2, "vocab_size": 64}  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _imported() -> None:
    """torch, transformers and peft imported once, so the time asserted is the check's, not the import's."""
    import peft  # noqa: F401
    import transformers  # noqa: F401


class Planted:
    """A payload that writes a marker file when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_pickle_in_a_bin_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    folder = tmp_path / "adapter"
    write(folder / "adapter_config.json", json.dumps(ADAPTER_CONFIG))
    with zipfile.ZipFile(folder / "adapter_model.bin", "w") as archive:  # torch.save's zip layout
        archive.writestr("archive/data.pkl", pickle.dumps({"x": Planted(marker)}))
        archive.writestr("archive/version", "3\n")
    answer = cli("check", str(folder))
    assert not marker.exists()
    assert_refused(answer, "adapter_model.bin")


def test_a_yaml_python_tag_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = write(tmp_path / "lora.yaml", f"r: !!python/object/apply:os.system ['touch {marker}']\nlora_alpha: 8\n")
    write(tmp_path / "model" / "config.json", json.dumps(MODEL))
    answer = cli("check", "--model", str(tmp_path / "model"), "--lora-config", str(path))
    assert not marker.exists()
    assert_refused(answer, "lora.yaml", "tag")


#: (file name, content, words): config files a careless or hostile user hands to --lora-config
LORA_FILES: list[tuple[str, str | bytes, str]] = [
    ("keys.yaml", "r: 4\n1: 2\n", "every key"),
    ("null_key.yaml", "r: 4\nnull: 2\n", "every key"),
    ("date.yaml", "r: 2024-01-01\n", "a date"),
    ("latin1.json", b'{"r": 4, "target_modules": ["q_\xe9"]}', "not UTF-8"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("deep.yaml", "a: " + "[" * 2_000 + "]" * 2_000 + "\n", "nested too deeply"),
    ("huge.json", json.dumps({"r": 4, "target_modules": [f"m{i}" for i in range(300_000)]}), "300,000 entries"),
    ("list.json", "[1, 2]", "mapping"),
]


@pytest.mark.parametrize(("name", "content", "words"), LORA_FILES, ids=[c[0] for c in LORA_FILES])
def test_lora_config_file_edges(name: str, content: str | bytes, words: str, tmp_path: Path) -> None:
    path = write(tmp_path / name, content)
    write(tmp_path / "model" / "config.json", json.dumps(MODEL))
    assert_refused(cli("check", "--model", str(tmp_path / "model"), "--lora-config", str(path)), name, words)


def test_a_fifo_is_not_called_missing(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "lora.json")
    write(tmp_path / "model" / "config.json", json.dumps(MODEL))
    answer = cli("check", "--model", str(tmp_path / "model"), "--lora-config", str(tmp_path / "lora.json"))
    assert_refused(answer, "lora.json", "FIFO")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_permission_denied_is_not_malformed(tmp_path: Path) -> None:
    write(tmp_path / "model" / "config.json", json.dumps(MODEL)).chmod(0)
    lora = write(tmp_path / "lora.json", json.dumps({"r": 4}))
    answer = cli("check", "--model", str(tmp_path / "model"), "--lora-config", str(lora))
    assert_refused(answer, "config.json", "permission denied")


def test_a_zero_element_factor_with_huge_dimensions_is_quick(tmp_path: Path) -> None:
    import numpy as np

    tensors = lora_tensors()
    tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"] = np.zeros((2**50, 0), np.float32)
    folder = write_adapter(tmp_path / "adapter", tensors=tensors)
    answer = cli("check", str(folder), "--format", "json")
    assert answer.rc == 1 and answer.seconds < 30, (answer.rc, answer.err, answer.seconds)
    assert "LORA604" in {f["code"] for f in json.loads(answer.out)["findings"]}


def test_tensors_without_lora_names_are_not_a_clean_adapter(tmp_path: Path) -> None:
    import numpy as np

    folder = write_adapter(tmp_path / "adapter", tensors={"model.layers.0.mlp.weight": np.ones((4, 4), np.float32)})
    answer = cli("check", str(folder), "--format", "json")
    assert answer.rc == 1, (answer.rc, answer.out, answer.err)
    assert "LORA604" in {f["code"] for f in json.loads(answer.out)["findings"]}


def test_a_config_that_targets_nothing_is_not_silently_clean(tmp_path: Path) -> None:
    folder = write_adapter(tmp_path / "adapter", config={**ADAPTER_CONFIG, "target_modules": {}})
    assert_refused(cli("check", str(folder)), "target_modules")


@pytest.mark.parametrize("name", ["adapter_model.safetensors", "adapter_model.bin", "adapter_config.json"])
def test_a_fifo_in_an_adapter_folder_is_not_a_regular_file(name: str, tmp_path: Path) -> None:
    folder = write_adapter(tmp_path / "adapter")
    (folder / "adapter_model.safetensors").unlink()
    if name != "adapter_model.bin":
        (folder / name).unlink(missing_ok=True)
    os.mkfifo(folder / name)  # opening it would wait for a writer forever
    if name == "adapter_config.json":
        from safetensors.numpy import save_file

        save_file(lora_tensors(), str(folder / "adapter_model.safetensors"))  # type: ignore[arg-type]
    for target in (folder, folder / name):
        assert_refused(cli("check", str(target)), name, "not a regular file (a FIFO)", budget=10)


def test_a_fifo_as_the_model_config_is_not_missing(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    os.mkfifo(tmp_path / "model" / "config.json")
    folder = write_adapter(tmp_path / "adapter")
    answer = cli("check", str(folder), "--model", str(tmp_path / "model"))
    line = assert_refused(answer, "config.json", "not a regular file (a FIFO)", budget=10)
    assert "no config.json" not in line


def test_a_config_json_behind_a_file_says_what_is_in_the_way(tmp_path: Path) -> None:
    """A link through a file (NotADirectoryError): not "malformed JSON", not "no config.json"."""
    in_the_way = write(tmp_path / "notes.txt", "a file")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").symlink_to(in_the_way / "config.json")
    lora = write(tmp_path / "lora.json", json.dumps({"r": 4, "target_modules": ["q_proj"]}))
    answer = cli("check", "--model", str(tmp_path / "model"), "--lora-config", str(lora))
    line = assert_refused(answer, "config.json", f"{in_the_way} is a file, not a folder")
    assert "malformed" not in line and "no config.json" not in line
    folder = write_adapter(tmp_path / "adapter")
    (folder / "adapter_config.json").unlink()
    (folder / "adapter_config.json").symlink_to(in_the_way / "adapter_config.json")
    line = assert_refused(cli("check", str(folder)), "adapter_config.json", "is a file, not a folder")
    assert "malformed" not in line and "not a factory" not in line
    assert_refused(cli("check", str(in_the_way / "adapter")), "notes.txt is a file, not a folder")
    assert_refused(cli("check", str(folder), "--model", str(in_the_way / "model")), "notes.txt is a file, not a folder")


def test_a_broken_link_as_config_json_is_named_so(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").symlink_to(tmp_path / "gone.json")
    folder = write_adapter(tmp_path / "adapter")
    assert_refused(cli("check", str(folder), "--model", str(tmp_path / "model")), "config.json", "broken symbolic link")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file, so chmod cannot deny the read")
def test_permission_denied_on_adapter_config_is_not_malformed(tmp_path: Path) -> None:
    folder = write_adapter(tmp_path / "adapter")
    (folder / "adapter_config.json").chmod(0)
    line = assert_refused(cli("check", str(folder)), "adapter_config.json", "permission denied")
    assert "malformed" not in line


def test_ten_thousand_target_modules_take_linear_time(tmp_path: Path) -> None:
    """peft's minimal-suffix search over target_modules is quadratic; lora-lint hands peft only the entries
    that can match, so 10,000 entries (4,000 took 9 s before) finish well inside the bound."""
    write(tmp_path / "model" / "config.json", json.dumps(MODEL))
    targets = ["q_proj", "v_proj"] + [f"proj_{i}" for i in range(10_000)]
    lora = write(tmp_path / "lora.json", json.dumps({"r": 4, "lora_alpha": 8, "target_modules": targets}))
    answer = cli("check", "--model", str(tmp_path / "model"), "--lora-config", str(lora), "--format", "json")
    assert answer.rc == 1, (answer.rc, answer.err[-500:])
    assert answer.seconds < 20, answer.seconds  # about 6 s on a busy two-core machine; quadratic took ~60 s
    findings = json.loads(answer.out)["findings"]
    unmatched = {f["location"]["setting"] for f in findings if f["code"] == "LORA101"}
    assert len(unmatched) == 10_000, len(unmatched)  # every entry that matches nothing is still reported
    assert not any("q_proj" in s for s in unmatched)


def test_target_modules_over_the_bound_are_refused_quickly(tmp_path: Path) -> None:
    write(tmp_path / "model" / "config.json", json.dumps(MODEL))
    folder = write_adapter(tmp_path / "adapter", config={**ADAPTER_CONFIG, "target_modules": [f"m{i}" for i in range(300_000)]})
    assert_refused(cli("check", str(folder), "--model", str(tmp_path / "model")), "target_modules", "300,000 entries", budget=10)
