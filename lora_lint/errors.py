"""The one small exception tree of lora-lint; each message names the input and the fix."""

from __future__ import annotations


class LoraLintError(Exception):
    """Base of every error lora-lint raises on purpose."""


class UsageError(LoraLintError):
    """Bad usage or unreadable input: the CLI prints one line on stderr and exits with 2."""


class SetupLoadError(UsageError):
    """A TARGET could not be turned into a setup (missing file, broken config, a factory that raised)."""

    FORMAT = "cannot load {target}: {reason}"

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(self.FORMAT.format(target=target, reason=reason))


class RuleError(LoraLintError):
    """A rule crashed; reported with the rule code and the target, never swallowed."""

    FORMAT = "rule {code} crashed on {target}: {exc_type}: {exc}"

    def __init__(self, code: str, target: str, exc: BaseException) -> None:
        self.code = code
        self.target = target
        self.original = exc
        super().__init__(
            self.FORMAT.format(code=code, target=target, exc_type=type(exc).__name__, exc=exc)
        )


class PluginError(LoraLintError):
    """A plugin registered something invalid (bad code, duplicate, retired code, missing docs)."""

    FORMAT = "plugin {plugin!r} registered an invalid rule {rule!r}: {reason}"

    def __init__(self, plugin: str, rule: str, reason: str) -> None:
        super().__init__(self.FORMAT.format(plugin=plugin, rule=rule, reason=reason))


class LintFailed(LoraLintError, RuntimeError):
    """A guarded training run found what its ``fail_on`` threshold fails on; ``.report`` holds the findings."""

    def __init__(self, report: object, message: str) -> None:
        self.report = report
        super().__init__(message)
