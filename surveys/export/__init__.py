"""Researchers and admins: research exports of closed waves."""

from surveys.export.routes import bp

__all__ = ["bp"]
