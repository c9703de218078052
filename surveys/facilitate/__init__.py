"""Facilitators and admins: waves, invitations, response counts, results."""

from surveys.facilitate.routes import bp

__all__ = ["bp"]
