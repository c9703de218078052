"""Admins: users, teams and departments, facilitators, rosters.

Facilitators see their own teams here read-only and import rosters for them.
"""

from surveys.admin.routes import bp

__all__ = ["bp"]
