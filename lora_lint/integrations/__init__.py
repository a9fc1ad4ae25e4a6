"""Integrations with training libraries; each module imports its library only when used."""
