"""Hub ids resolve to their config.json folder through huggingface_hub's cache resolution, offline."""

from __future__ import annotations


from pathlib import Path

import pytest

from lora_lint.errors import UsageError
from lora_lint.sources.hub import looks_like_hub_id, model_option_folder, resolve_model


def test_a_hub_id_resolves_from_the_cache_offline(offline_hub: Path) -> None:
    resolved = resolve_model("mistralai/Mistral-7B-v0.1")
    assert resolved.source == "cache" and resolved.folder is not None
    assert (resolved.folder / "config.json").is_file() and offline_hub in resolved.folder.parents


def test_a_local_folder_wins_over_the_cache(offline_hub: Path, tmp_path: Path) -> None:
    assert resolve_model(str(tmp_path)).source == "folder"


def test_a_typo_names_the_closest_cached_models(offline_hub: Path) -> None:
    resolved = resolve_model("mistralai/Mistral-7B-v01")
    assert resolved.folder is None and resolved.reason is not None
    assert "mistralai/Mistral-7B-v0.1" in resolved.reason and "offline" in resolved.reason
    assert "config.json" in resolved.reason  # how to give it


def test_an_unknown_revision_is_not_found_in_the_cache(offline_hub: Path) -> None:
    assert resolve_model("mistralai/Mistral-7B-v0.1", revision="0123456789abcdef0123456789abcdef01234567").folder is None


def test_the_cache_is_the_one_huggingface_hub_is_pointed_at(hub_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache.parent / "elsewhere"))
    assert resolve_model("mistralai/Mistral-7B-v0.1").folder is None


def test_model_option_fails_with_one_line(offline_hub: Path) -> None:
    with pytest.raises(UsageError, match=r"--model nosuch/model is not a folder"):
        model_option_folder("nosuch/model")


@pytest.mark.parametrize(("name", "hub"), [("org/name", True), ("gpt2", True), ("./dir/x", False), ("a/b/c", False), ("cfg.yml", False)])
def test_what_looks_like_a_hub_id(name: str, hub: bool) -> None:
    assert looks_like_hub_id(name) is hub
