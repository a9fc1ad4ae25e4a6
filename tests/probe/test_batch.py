"""Synthetic batches from real configs, and user batches as dicts, tensors and tuples."""

from __future__ import annotations

import pytest
import torch

from lora_lint.probe.batch import BatchUnavailable, describe, synthetic_batch, to_device, user_batch
from tests.tiny_models import MLP, gpt2, llama_config, mlp, t5, vit_classifier

CPU = torch.device("cpu")


def bert(cls_name: str, **overrides):
    import transformers

    values = dict(
        hidden_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
        intermediate_size=128,
        vocab_size=128,
        max_position_embeddings=64,
    )
    values.update(overrides)
    with torch.device("meta"):
        return getattr(transformers, cls_name)(transformers.BertConfig(**values))


def test_a_causal_lm_gets_token_ids_a_mask_and_its_ids_as_labels() -> None:
    batch = synthetic_batch(gpt2(), CPU)
    ids = batch.kwargs["input_ids"]
    assert ids.shape == (2, 8) and int(ids.max()) < 128
    assert torch.equal(batch.kwargs["labels"], ids)
    assert torch.equal(batch.kwargs["attention_mask"], torch.ones_like(ids))
    assert batch.description == "input_ids[2, 8] int64, attention_mask[2, 8] int64, labels[2, 8] int64"


def test_the_sequence_is_no_longer_than_the_model_allows() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    with torch.device("meta"):
        model = GPT2LMHeadModel(GPT2Config(n_embd=64, n_layer=1, n_head=4, vocab_size=50, n_positions=5))
    assert synthetic_batch(model, CPU).kwargs["input_ids"].shape == (2, 5)


def test_seq2seq_gets_decoder_inputs_shifted_from_its_labels() -> None:
    kwargs = synthetic_batch(t5(), CPU).kwargs
    labels, decoder = kwargs["labels"], kwargs["decoder_input_ids"]
    assert decoder[:, 0].tolist() == [0, 0]  # decoder_start_token_id
    assert torch.equal(decoder[:, 1:], labels[:, :-1])


@pytest.mark.parametrize(
    ("cls_name", "overrides", "key", "check"),
    [
        ("BertForSequenceClassification", {"num_labels": 5}, "labels", lambda t: t.shape == (2,) and int(t.max()) < 5),
        ("BertForSequenceClassification", {"num_labels": 1}, "labels", lambda t: t.dtype == torch.float32),
        (
            "BertForSequenceClassification",
            {"num_labels": 3, "problem_type": "multi_label_classification"},
            "labels",
            lambda t: t.shape == (2, 3) and t.is_floating_point(),
        ),
        ("BertForTokenClassification", {"num_labels": 4}, "labels", lambda t: t.shape == (2, 8) and int(t.max()) < 4),
        ("BertForQuestionAnswering", {}, "start_positions", lambda t: t.shape == (2,) and int(t.max()) < 8),
    ],
)
def test_task_heads_get_labels_their_loss_accepts(cls_name, overrides, key, check) -> None:
    batch = synthetic_batch(bert(cls_name, **overrides), CPU)
    assert check(batch.kwargs[key])


def test_sequence_classification_without_a_pad_token_uses_a_batch_of_one() -> None:
    from transformers import LlamaForSequenceClassification

    with torch.device("meta"):
        model = LlamaForSequenceClassification(llama_config(num_labels=2, pad_token_id=None))
    assert synthetic_batch(model, CPU).kwargs["input_ids"].shape[0] == 1


def test_image_classification_gets_pixel_values_of_the_configured_size_and_channels() -> None:
    batch = synthetic_batch(vit_classifier(num_labels=3), CPU)
    assert batch.kwargs["pixel_values"].shape == (2, 3, 32, 32)
    assert int(batch.kwargs["labels"].max()) < 3


def test_a_custom_module_gets_a_tensor_shaped_for_its_first_layer() -> None:
    batch = synthetic_batch(mlp(), CPU)
    assert batch.args[0].shape == (2, 16)
    assert batch.description == "x[2, 16] float32 (guessed from the first layer, lin0)"


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: bert("BertForMultipleChoice"), id="multiple-choice"),
        pytest.param(lambda: _meta_wav2vec2(), id="audio-input-values"),
    ],
)
def test_models_it_cannot_feed_raise_a_reason_that_asks_for_a_batch(build) -> None:
    with pytest.raises(BatchUnavailable, match="pass a batch"):
        synthetic_batch(build(), CPU)


def _meta_wav2vec2():
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    with torch.device("meta"):
        return Wav2Vec2ForSequenceClassification(cfg)


def test_synthetic_batches_are_the_same_every_time() -> None:
    first, second = synthetic_batch(gpt2(), CPU), synthetic_batch(gpt2(), CPU)
    assert torch.equal(first.kwargs["input_ids"], second.kwargs["input_ids"])


def test_user_batches_are_copied_into_new_containers_and_never_changed() -> None:
    ids = torch.arange(6).reshape(2, 3)
    batch = {"input_ids": ids, "meta": "kept"}
    probe_batch = user_batch(batch, mlp(), mlp(), CPU)
    assert probe_batch.kwargs is not batch and probe_batch.kwargs["input_ids"] is ids
    assert probe_batch.kwargs["meta"] == "kept" and probe_batch.source == "user"
    assert list(batch) == ["input_ids", "meta"]


def test_a_tuple_longer_than_the_forward_passes_only_what_it_takes() -> None:
    x, y = torch.zeros(2, 16), torch.zeros(2)
    probe_batch = user_batch((x, y), MLP(), MLP(), CPU)
    assert len(probe_batch.args) == 1
    assert probe_batch.description == (
        "input0[2, 16] float32, input1[2] float32 (first 1 passed; the forward takes 1 positional input(s))"
    )


def test_nested_containers_move_with_their_tensors() -> None:
    moved = to_device({"a": [torch.zeros(1)], "b": (torch.ones(1), 3)}, CPU)
    assert isinstance(moved["a"], list) and isinstance(moved["b"], tuple) and moved["b"][1] == 3


def test_describe_names_shapes_and_dtypes() -> None:
    assert describe({"x": torch.zeros(2, 3, dtype=torch.float16), "n": 4}) == "x[2, 3] float16, n=int"
