"""The object behind the ``lora_lint`` fixture: lint a model with the running test's settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, final

from lora_lint.api import lint
from lora_lint.report import Report
from lora_lint.settings import Settings
from pytest_lora.properties import record_findings


@final
class LoraLint:
    """Call it like ``lora_lint.lint``; options, ini keys and ``@pytest.mark.lora`` fill in the rest.

    Example::

        def test_adapter_is_wired(lora_lint):
            model = build_model()
            lora_lint(model, batch).assert_clean()   # fails at --lora-fail-on (default: error)
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(
        self,
        model: Any,
        batch: Any = None,
        optimizer: Any = None,
        probe: bool | None = None,
        select: Iterable[str] | str | None = None,
        ignore: Iterable[str] | str | None = None,
        intent: str | None = None,
        **kwargs: Any,
    ) -> Report:
        """Lint ``model`` (or a ``transformers.Trainer``) and return the report; ``assert_clean()`` uses this test's fail-on.

        Arguments given here win over the marker, which wins over options, ini keys and
        ``[tool.lora-lint]``; ``probe=None`` follows ``--lora-no-probe``.
        """
        report = lint(
            model,
            batch,
            optimizer,
            probe=self.settings.probe if probe is None else probe,
            select=select,
            ignore=ignore,
            intent=intent or self.settings.intent,
            settings=self.settings,
            **kwargs,
        )
        record_findings(report)
        return report

    @property
    def fail_on(self) -> str:
        """The threshold ``report.assert_clean()`` applies in this test."""
        return self.settings.fail_on

    def __repr__(self) -> str:
        s = self.settings
        return f"<lora_lint fixture fail_on={s.fail_on!r} device={s.device!r} probe={s.probe}>"
