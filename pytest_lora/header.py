"""The session header line: library versions and the device, so a pasted bug report can be reproduced."""

from __future__ import annotations

from importlib import metadata

from lora_lint.settings import Settings

LIBRARIES = ("torch", "transformers", "peft", "bitsandbytes")


def library_versions() -> dict[str, str | None]:
    """Installed versions from package metadata (nothing is imported); None when not installed."""
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def describe_device(requested: str) -> str:
    """What the probe will run on: ``cpu``, or ``cuda:0 (<GPU name>)``; ``auto`` picks cuda when present."""
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - a header must never break the session
        return f"{requested} (torch not importable: {type(exc).__name__})"
    if requested == "cpu" or (requested == "auto" and not torch.cuda.is_available()):
        return "cpu"
    if not torch.cuda.is_available():
        return f"{requested} (cuda not available)"
    index = int(requested.split(":")[1]) if ":" in requested else torch.cuda.current_device()
    if index >= torch.cuda.device_count():
        return f"{requested} (only {torch.cuda.device_count()} cuda device(s))"
    return f"cuda:{index} ({torch.cuda.get_device_name(index)})"


def header_line(settings: Settings) -> str:
    """E.g. ``lora-lint 0.1.0 -- torch 2.4.1, transformers 4.56.2, peft 0.17.1, bitsandbytes not installed
    -- device cpu (--lora-device auto), probe on, fail-on error``."""
    from lora_lint import __version__

    libs = ", ".join(f"{name} {version or 'not installed'}" for name, version in library_versions().items())
    device = describe_device(settings.device)
    if settings.device != device:
        device += f" (--lora-device {settings.device})"
    probe = "on" if settings.probe else "off (--lora-no-probe)"
    return f"lora-lint {__version__} -- {libs} -- device {device}, probe {probe}, fail-on {settings.fail_on}"
