"""Loader stub: implemented by its issue; registered so the plugin list is stable."""

from __future__ import annotations
