"""One module per rule, named like the rule's module: ``bad(tmp_path)`` fires the code, ``good(tmp_path)`` is quiet.

A case returns what ``lint`` takes: a model, a ``Setup``, a mapping of ``lint`` keyword arguments
(``{"model": ..., "batch": ..., "optimizer": ..., "intent": ...}``), or a path (a TARGET for the loaders).
Optional module attributes:

- ``CODE``: the rule code (required).
- ``ALSO``: other codes the bad case may fire besides ``CODE`` (a root cause and its consequence).
- ``PROBE``: whether to run the probe (default True).
- ``fixed(tmp_path, findings)``: the bad case with the change its findings' hints name applied, read from the
  hints themselves (:func:`tests.rules.runner.hint_literal`), so a hint that drifts from a working fix fails.
  A rule whose hint is a judgement rather than a change is listed with its reason in the contract test.
"""
