"""Facilitators and admins acting on results: playbooks, recommendations, the intervention log."""

from surveys.act.routes import bp

__all__ = ["bp"]
