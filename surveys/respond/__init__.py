"""Respondents: the anonymous survey at /s/<token>."""

from surveys.respond.routes import bp

__all__ = ["bp"]
