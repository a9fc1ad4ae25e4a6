"""One module per rule, named like the rule's module: ``bad(tmp_path)`` fires the code, ``good(tmp_path)`` is quiet.

A case returns what ``lint`` takes: a model, a ``Setup``, a mapping of ``lint`` keyword arguments
(``{"model": ..., "batch": ..., "optimizer": ..., "intent": ...}``), or a path (a TARGET for the loaders).
Optional module attributes:

- ``CODE``: the rule code (required).
- ``ALSO``: other codes the bad case may fire besides ``CODE`` (a root cause and its consequence).
- ``PROBE``: whether to run the probe (default True).
"""
