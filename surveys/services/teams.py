"""The team tree: create, rename, move, archive; a team with children is a department."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveys.db import db
from surveys.models import Member, Team, User, subtree_ids


class TeamError(ValueError):
    """A change to the tree that is refused; the message (translated) says why.

    ``field`` is the form field the refusal is about: ``name`` or ``parent``.
    """

    def __init__(self, message, field: str = "name"):
        super().__init__(message)
        self.field = field


def all_teams() -> list[Team]:
    return list(db.session.scalars(db.select(Team).order_by(Team.name)))


def tree(teams: list[Team]) -> list[tuple[Team, int]]:
    """``teams`` depth first with their depth; a team whose parent is not in the list is a root."""
    ids = {t.id for t in teams}
    children: dict[int | None, list[Team]] = {}
    for team in sorted(teams, key=lambda t: t.name.casefold()):
        parent = team.parent_id if team.parent_id in ids else None
        children.setdefault(parent, []).append(team)
    ordered: list[tuple[Team, int]] = []
    stack = [(t, 0) for t in reversed(children.get(None, []))]
    while stack:
        team, depth = stack.pop()
        ordered.append((team, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(team.id, [])))
    return ordered


def active_member_counts() -> dict[int, int]:
    """Active roster members per team id (teams without any are left out)."""
    return dict(
        db.session.execute(
            db.select(Member.team_id, db.func.count())
            .where(Member.active.is_(True))
            .group_by(Member.team_id)
        ).all()
    )


def _check_name(name: str, team: Team | None = None) -> str:
    name = name.strip()
    if not name:
        raise TeamError(_l("A team needs a name."))
    query = db.select(Team.id).where(Team.name == name)
    if team is not None and team.id is not None:
        query = query.where(Team.id != team.id)
    if db.session.scalar(query) is not None:
        raise TeamError(_l("A team called “%(name)s” already exists.", name=name))
    return name


def _check_parent(team: Team | None, parent: Team | None) -> None:
    if parent is None:
        return
    if parent.archived:
        raise TeamError(
            _l("“%(name)s” is archived; unarchive it first.", name=parent.name), "parent"
        )
    if team is not None and team.id is not None and parent.id in subtree_ids([team.id]):
        raise TeamError(
            _l(
                "“%(team)s” cannot move under “%(parent)s”: that is the team itself or one "
                "of its own teams, which would make a loop.",
                team=team.name,
                parent=parent.name,
            ),
            "parent",
        )
    # A team with teams under it is a department, and a department's own members can no
    # longer be imported, deactivated or invited: they would be stranded.
    members = active_member_counts().get(parent.id, 0)
    if members:
        raise TeamError(
            _l(
                "“%(parent)s” has %(n)s active member(s), so it cannot have teams under it: a "
                "department has no members of its own. Import them into the team they belong "
                "to and deactivate them on the page of “%(parent)s” first.",
                parent=parent.name,
                n=members,
            ),
            "parent",
        )


def create_team(name: str, parent: Team | None = None) -> Team:
    """Create a team under ``parent`` (None: top level) and commit; TeamError if refused."""
    team = Team(name=_check_name(name), parent=None)
    _check_parent(None, parent)
    team.parent = parent
    db.session.add(team)
    db.session.commit()
    return team


def update_team(team: Team, name: str, parent: Team | None) -> None:
    """Rename and move in one step and commit; nothing changes if either is refused."""
    name = _check_name(name, team)
    if parent is not team.parent:
        _check_parent(team, parent)
    team.name = name
    team.parent = parent
    db.session.commit()


def archive(team: Team) -> None:
    """Archive a team and commit: kept with its history, but no new members or waves."""
    if any(not child.archived for child in team.children):
        raise TeamError(_l("Archive the teams under “%(name)s” first.", name=team.name))
    team.archived = True
    db.session.commit()


def unarchive(team: Team) -> None:
    """Bring an archived team back and commit; its department must be active."""
    if team.parent is not None and team.parent.archived:
        raise TeamError(_l("Unarchive the department “%(name)s” first.", name=team.parent.name))
    team.archived = False
    db.session.commit()


def set_facilitators(team: Team, user_ids: list[int]) -> None:
    """Make exactly these users the team's facilitators (they see it and the teams under it)."""
    team.facilitators = list(db.session.scalars(db.select(User).where(User.id.in_(user_ids))))
    db.session.commit()
