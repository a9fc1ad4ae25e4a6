"""``run_probe``: one forward and one backward pass that leaves the user's model exactly as it found it."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lora_lint.distributed import is_distributed, local_data, world_size
from lora_lint.probe.alora import invocation_tokens, invocations, uninvoked, with_invocation
from lora_lint.probe.batch import BatchUnavailable, ProbeBatch, synthetic_batch, user_batch
from lora_lint.probe.devices import probe_device
from lora_lint.probe.grad_stats import grad_norms, grad_of, peak, reduced
from lora_lint.probe.hooks import Tracer
from lora_lint.probe.isolation import untouched
from lora_lint.probe.ranks import combined, ranks_with
from lora_lint.probe.slots import slot_probes
from lora_lint.probe.result import ParamProbe, ProbeResult, SlotProbe

if TYPE_CHECKING:
    from lora_lint.context import RuleContext
    from lora_lint.facts.layers import LayerFacts


def run_probe(ctx: RuleContext) -> ProbeResult | None:
    """Probe the setup's model on its own device, with the user's batch or a synthetic one."""
    model = ctx.setup.model
    if model is None:
        return None
    meta = next((name for name, p in model.named_parameters() if p.is_meta), None)
    if meta is not None:  # e.g. adapters created with low_cpu_mem_usage=True (LORA503 reports it)
        ctx.note(f"probe skipped: {meta} and possibly more weights are on the meta device, so no values to run")
        return None
    supervision = ctx.supervision
    # in a job every rank must reach the probe's meeting point alike, and another rank's rows may be supervised
    if supervision is not None and supervision.supervised == 0 and not is_distributed():
        ctx.note("probe skipped: the batch supervises no token (every label is the ignore index), so its loss "
                 "carries no gradient to judge the adapters by; give a batch with supervised labels")
        return None
    device, note = probe_device(model, ctx.settings.device)
    if note:
        ctx.note(note)
    invocation = invocation_tokens(model) if ctx.setup.batch is None else ()
    return probe_model(model, ctx.setup.batch, base=ctx.model.base, layers=ctx.layers, device=device,
                       invocation=invocation, note=ctx.note)


def probe_model(
    model: Any,
    batch: Any,
    *,
    base: Any,
    layers: LayerFacts,
    device: Any,
    invocation: tuple[int, ...] = (),
    note: Callable[[str], None] | None = None,
) -> ProbeResult | None:
    """Forward ``batch`` (or a synthetic batch built for ``base``), backward the loss, record gradients.

    Nothing of size is copied: existing ``.grad`` tensors are set aside by reference and put back.
    """
    try:
        inputs = synthetic_batch(base, device) if batch is None else user_batch(batch, model, base, device)
    except BatchUnavailable as exc:
        return ProbeResult(str(device), "", None, failure=str(exc), failure_stage="inputs")
    if invocation:
        invoked = with_invocation(inputs, invocation)
        if invoked is None:  # the adapter would not run on this batch: no verdict rather than "dead"
            if note is not None:
                note("probe skipped: the aLoRA adapter runs only after its invocation tokens, which the synthetic "
                     "batch cannot hold; pass a batch that contains them")
            return None
        inputs = invoked
    missing = uninvoked(inputs, invocations(model)) if batch is not None else frozenset()
    if is_distributed():  # a rank that stopped before the probe stops the others before the model's collectives
        from lora_lint.distributed import all_arrived

        all_arrived()
    with untouched(model, device), Tracer(model) as tracer:
        result = _forward_backward(model, inputs, layers, device, tracer)
    del inputs
    if missing:  # the given batch never invokes these aLoRA adapters: that is why they get no gradient
        slots = tuple(replace(s, uninvoked=True) if s.adapter in missing else s for s in result.slots)
        result = replace(result, slots=slots)
    if device.type == "cuda":  # hand back what the pass cached: activations, gradients, the batch
        import torch

        torch.cuda.empty_cache()
    return result


def _forward_backward(model: Any, inputs: ProbeBatch, layers: LayerFacts, device: Any, tracer: Tracer) -> ProbeResult:
    def failed(stage: str, why: str) -> ProbeResult:
        return ProbeResult(str(device), inputs.description, inputs.source, failure=why, failure_stage=stage)

    try:
        output = model(*inputs.args, **dict(inputs.kwargs))
    except Exception as exc:  # the user's forward: any error is a finding, not a crash
        return failed("forward", f"the forward pass raised {type(exc).__name__}: {_first_line(exc)}")
    floats = _float_outputs(output)
    loss, source = _loss_of(output, floats)
    if loss is None:
        return failed("loss", "the forward returned neither a loss nor a floating-point tensor to build one from")
    loss_value = float(loss.detach().float())
    nonfinite_out = _nonfinite_names(floats)
    # the outputs (logits above all) are not needed for backward: a training step has dropped them
    # by now, and keeping them would add their size to the probe's peak memory
    del floats, output
    failure: tuple[str, str] | None = None
    requires_grad = bool(loss.requires_grad)
    if requires_grad:
        try:
            loss.backward()
        except Exception as exc:  # e.g. an in-place edit of a saved tensor in the user's forward
            failure = ("backward", f"the backward pass raised {type(exc).__name__}: {_first_line(exc)}")
    del loss
    slots, params = _gradients(model, layers, tracer)
    result = ProbeResult(
        device=str(device),
        batch=inputs.description,
        batch_source=inputs.source,
        loss=loss_value,
        loss_source=source,
        loss_requires_grad=requires_grad,
        failure=failure[1] if failure else None,
        failure_stage=failure[0] if failure else None,
        slots=slots,
        params=params,
        nonfinite_outputs=nonfinite_out,
        batch_partial=inputs.partial,
        world_size=world_size(),
    )
    if result.nonfinite_loss or result.nonfinite_outputs or result.nonfinite_grads:
        result = replace(result, nonfinite_weights=_nonfinite_weights(model))
    return result


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- outputs and loss ------------------------------------------------------------------------------


def _float_outputs(output: Any, name: str = "") -> list[tuple[str, Any]]:
    """Every floating-point tensor in the output, by name, except the loss."""
    import torch

    if isinstance(output, torch.Tensor):
        return [(name or "output", output)] if output.is_floating_point() else []
    found: list[tuple[str, Any]] = []
    if isinstance(output, Mapping):
        for key, value in output.items():
            if key != "loss":
                found.extend(_float_outputs(value, f"{name}.{key}" if name else str(key)))
    elif isinstance(output, (tuple, list)):
        for i, value in enumerate(output):
            found.extend(_float_outputs(value, f"{name or 'output'}[{i}]"))
    return found


def _loss_of(output: Any, floats: list[tuple[str, Any]]) -> tuple[Any, str | None]:
    """The model's own loss when it returns one, else the mean of squares of its floating-point outputs."""
    import torch

    loss = output.get("loss") if isinstance(output, Mapping) else getattr(output, "loss", None)
    if isinstance(loss, torch.Tensor) and loss.is_floating_point():
        return (loss if loss.dim() == 0 else loss.mean()), "model"
    if not floats:
        return None, None
    return sum(t.float().pow(2).mean() for _, t in floats), "surrogate"


def _nonfinite_names(named: list[tuple[str, Any]]) -> tuple[str, ...]:
    """Outputs holding NaN/Inf: a float32 sum is non-finite exactly then, without a full-size mask."""
    import torch

    with torch.no_grad():
        sums = reduced([t.detach() for _, t in named], lambda t: t.sum(dtype=torch.float32).reshape(1))
    return tuple(n for (n, _), value in zip(named, sums) if value is not None and not math.isfinite(value[0]))


# -- gradients -------------------------------------------------------------------------------------


def _gradients(model: Any, layers: LayerFacts, tracer: Tracer) -> tuple[tuple[SlotProbe, ...], tuple[ParamProbe, ...]]:
    """Summaries of every adapter's and every other trainable tensor's gradient, in one pass.

    In a process group each rank summarises its part and the ranks combine the summaries
    (:mod:`lora_lint.probe.ranks`); each adapter also records the ranks where it got gradient itself.
    """
    by_name = dict(model.named_parameters(remove_duplicate=False))
    adapter_ids: set[int] = set()
    triples: list[tuple[Any, Any, Any]] = []
    for slot in layers.slots():
        a, b, m = (by_name.get(name or "") for name in (slot.a_param, slot.b_param, slot.m_param))
        adapter_ids.update(id(t) for t in (a, b, m) if t is not None)
        triples.append((a, b, m))
    others = [(n, p) for n, p in model.named_parameters() if p.requires_grad and id(p) not in adapter_ids]
    tensors = [t for triple in triples for t in triple] + [p for _, p in others]
    grads = [None if t is None else t.grad for t in tensors]
    local = reduced([None if g is None else local_data(g) for g in grads], grad_norms)
    # embeddings start the other way round (lora_embedding_A zero): whichever matrix is zero decides
    a_list = [a for a, _, _ in triples]
    local_a = reduced([None if a is None else local_data(a) for a in a_list], peak)
    a_peaks = [None if v is None else [v[1]] for v in combined(a_list, [None if v is None else [0.0, v[0]] for v in local_a])]
    mine = slot_probes(layers, tracer, [grad_of(r) for r in local], a_peaks)
    stats = [grad_of(r) for r in combined(tensors, local)]
    whole = slot_probes(layers, tracer, stats, a_peaks)
    spread = ranks_with([not s.dead and s.trace.output_requires_grad for s in mine])
    if is_distributed():
        whole = [replace(s, ranks_with_grad=r) for s, r in zip(whole, spread)]
    offset = 3 * len(triples)
    params = tuple(ParamProbe(n, stats[offset + j]) for j, (n, _) in enumerate(others))
    return tuple(whole), params


def _nonfinite_weights(model: Any) -> tuple[str, ...]:
    """Floating-point weights that hold NaN/Inf; only looked for once something came out non-finite."""
    import torch

    return tuple(
        name
        for name, p in model.named_parameters()
        if p.is_floating_point() and not p.is_meta and not bool(torch.isfinite(local_data(p)).all())
    )
