"""Accounts: sign-in, sign-out, passwords."""

from surveys.auth.routes import bp

__all__ = ["bp"]
