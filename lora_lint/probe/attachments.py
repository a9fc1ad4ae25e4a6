"""Probe hook stub: the gradient-table attachment, implemented by the probe issue."""

from __future__ import annotations
