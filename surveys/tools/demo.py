"""The demo organisation behind ``trustsurvey demo``.

Songhe Technology 松禾科技 has three departments and fifteen teams of 3 to 14 people (four of them
below the group minimum k = 5), an admin, a facilitator for two departments and a researcher,
one closed full-instrument wave with synthetic answers, and one open pulse wave whose
invitation links are printed. The pulse wave stays open four weeks; a demo reused after that
opens a new pulse wave for the same teams, without answers, so that the printed links work.

The closed wave's answers come from the trust model stated in :mod:`surveys.tools.synthetic`, with
team shifts chosen so that teams differ in ways a facilitator should notice:

- Supply Chain 供应链组: low familiarity (a distributed team that rarely meets);
- Mobile 移动端组: low openness (problems are not raised face to face);
- East China Sales 华东销售组: low within-team agreement (two camps, bimodal answers);
- Data 数据组: cognition-based trust high, affect-based trust low (reliable, but distant);
- Platform 平台组, North China Sales 华北销售组, Customer Success 客户成功组: healthy.

Everything is drawn from one seeded NumPy generator, so every demo database holds the same
organisation, names and answers (links differ: they depend on the instance's secret key).
The passwords below are for the demo only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field

import numpy as np
from flask import current_app
from sqlalchemy.engine import make_url

from surveys import instruments
from surveys.db import db
from surveys.models import (
    Comment,
    Invitation,
    Member,
    Organisation,
    Response,
    Team,
    User,
    Wave,
    WaveStatus,
    utcnow,
)
from surveys.security import password_hasher
from surveys.services import invitations, waves
from surveys.tools import synthetic

SEED = 20261123
ORGANISATION = "Songhe Technology 松禾科技"
K = 5

# Demo-only accounts: (role, email, display name, password).
ACCOUNTS = (
    ("admin", "admin@demo.example", "Demo Admin 演示管理员", "demo-admin-2026"),
    ("facilitator", "facilitator@demo.example", "Li Na 李娜", "demo-facilitator-2026"),
    ("researcher", "researcher@demo.example", "Chen Yu 陈宇", "demo-researcher-2026"),
)
FACILITATED_DEPARTMENTS = ("Product & Engineering 产品研发部", "Sales & Service 销售与服务部")


@dataclass(frozen=True)
class TeamPlan:
    name: str
    size: int
    shifts: dict[str, float] = field(default_factory=dict)  # see surveys.tools.synthetic
    split: float = 0.0
    comments: tuple[str, ...] = ()


HEALTHY = {d: 0.35 for d in synthetic.DRIVERS}

DEPARTMENTS: dict[str, tuple[TeamPlan, ...]] = {
    "Product & Engineering 产品研发部": (
        TeamPlan(
            "Platform 平台组",
            12,
            HEALTHY,
            comments=(
                "Reviews are tough but fair, and people keep their promises.",
                "大家遇到问题都会主动帮忙。",
            ),
        ),
        TeamPlan(
            "Mobile 移动端组",
            9,
            {"openness": -1.3, "similarity": -0.2},
            comments=(
                "会上大家都点头,会后才抱怨。",
                "Nobody says in the meeting what they say at lunch.",
                "Mistakes get hidden until the release breaks.",
            ),
        ),
        TeamPlan(
            "Data 数据组",
            7,
            {
                "reliability": 0.7,
                "similarity": 0.3,
                "familiarity": -0.3,
                "interaction": -0.4,
                "cognitive_trust": 0.2,
                "affective_trust": -1.1,
            },
            comments=(
                "Everyone delivers, but we hardly know each other.",
                "合作很专业,但私下几乎不交流。",
            ),
        ),
        TeamPlan("QA 测试组", 4),
        TeamPlan("Design 设计组", 3),
    ),
    "Sales & Service 销售与服务部": (
        TeamPlan(
            "East China Sales 华东销售组",
            14,
            split=1.2,
            comments=(
                "老员工和新来的同事像是两个团队。",
                "The new territory split left two camps.",
                "Great team, I feel at home here.",
            ),
        ),
        TeamPlan("North China Sales 华北销售组", 10, {**HEALTHY, "openness": 0.5}),
        TeamPlan("Key Accounts 大客户组", 5),
        TeamPlan(
            "Customer Success 客户成功组",
            8,
            HEALTHY,
            comments=("每天的夕会让大家都知道彼此在忙什么。",),
        ),
        TeamPlan("Presales 售前支持组", 4),
    ),
    "Operations 运营部": (
        TeamPlan(
            "Supply Chain 供应链组",
            11,
            {"familiarity": -1.2, "interaction": -0.7},
            comments=(
                "I have never met half of this team in person.",
                "不同城市的同事只在邮件里打过交道。",
            ),
        ),
        TeamPlan("Finance 财务组", 6),
        TeamPlan("People 人力资源组", 5),
        TeamPlan("Legal 法务组", 3),
        TeamPlan("Facilities 行政组", 6),
    ),
}

CLOSED_RESPONSE_RATE = 0.85
OPEN_RESPONSE_RATE = 0.35
OPEN_FOR = dt.timedelta(days=28)

SURNAMES = [
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("高", "Gao"),
    ("罗", "Luo"),
]
GIVEN = [
    ("伟", "Wei"),
    ("芳", "Fang"),
    ("敏", "Min"),
    ("静", "Jing"),
    ("磊", "Lei"),
    ("洋", "Yang"),
    ("艳", "Yan"),
    ("勇", "Yong"),
    ("杰", "Jie"),
    ("娟", "Juan"),
    ("涛", "Tao"),
    ("明", "Ming"),
    ("超", "Chao"),
    ("霞", "Xia"),
    ("平", "Ping"),
    ("晨", "Chen"),
    ("宇", "Yu"),
    ("欣怡", "Xinyi"),
    ("子涵", "Zihan"),
    ("浩然", "Haoran"),
    ("思远", "Siyuan"),
    ("雨桐", "Yutong"),
    ("嘉怡", "Jiayi"),
    ("一鸣", "Yiming"),
]
INTERNATIONAL = [
    "Anna Müller",
    "David Osei",
    "Priya Nair",
    "Tom Becker",
    "Sofia Rossi",
    "Kenji Sato",
    "Maria Santos",
    "Lucas Martin",
]


def seed_if_empty() -> dict:
    """Seed the demo organisation unless the database already holds an organisation.

    Returns what :func:`describe` prints: ``created`` (False when an existing organisation
    was reused), the organisation's name, the demo logins and, when a reused demo had no open
    wave left, ``new_wave``: the name of the pulse wave opened for it.
    """
    org = db.session.scalar(db.select(Organisation).limit(1))
    if org is not None:
        info = {"created": False, "organisation": org.name, "accounts": ACCOUNTS}
        if org.name == ORGANISATION and _open_wave() is None:
            new_wave = _open_new_pulse_wave()
            if new_wave is not None:
                info["new_wave"] = new_wave.name
        return info
    rng = np.random.default_rng(SEED)
    now = utcnow().replace(microsecond=0)
    db.session.add(Organisation(name=ORGANISATION, default_k=K))
    teams, departments = _teams(rng)
    _accounts(departments)

    closed = Wave(
        name="Q3 2026 full survey 2026年第三季度完整调查",
        instrument_key="full",
        instrument_version="1.0.0",
        opens_at=now - dt.timedelta(days=70),
        closes_at=now - dt.timedelta(days=49),
        k=K,
        teams=list(teams),
    )
    _answer(closed, teams, CLOSED_RESPONSE_RATE, rng, comments=True)
    db.session.commit()
    # Closing stores the aggregates, exactly as a facilitator's "close" does.
    waves.close(closed, now=closed.closes_at)
    # As the closer does after closing a full wave: the trust model is fitted to it.
    waves.refresh_trust_model()

    pulse = Wave(
        name="Q4 2026 pulse 2026年第四季度脉搏调研",
        instrument_key="pulse",
        instrument_version="1.0.0",
        opens_at=now - dt.timedelta(days=3),
        closes_at=now + OPEN_FOR,
        k=K,
        teams=list(teams),
    )
    _answer(pulse, teams, OPEN_RESPONSE_RATE, rng, comments=False)
    db.session.commit()
    return {"created": True, "organisation": ORGANISATION, "accounts": ACCOUNTS}


def _open_new_pulse_wave() -> Wave | None:
    """A pulse wave open from now for the teams of the latest wave, its invitations issued.

    Used when a reused demo's open wave has passed its close date. A closed wave is never
    reopened (its results may have been read); this is the next round, as a facilitator
    would start it, so it has no answers yet. None when the latest wave has no teams left.
    """
    latest = db.session.scalar(db.select(Wave).order_by(Wave.opens_at.desc(), Wave.id.desc()))
    teams = [t for t in latest.teams if not t.archived] if latest is not None else []
    if not teams:
        return None
    now = utcnow().replace(microsecond=0)
    wave = waves.create(
        name=f"Pulse {now:%Y-%m-%d} 脉搏调研",
        instrument_key="pulse",
        instrument_version="1.0.0",
        teams=teams,
        opens_at=now,
        closes_at=now + OPEN_FOR,
        k=waves.default_k(),
    )
    db.session.flush()
    waves.generate_invitations(wave, None)
    db.session.commit()
    return wave


def _teams(rng: np.random.Generator) -> tuple[list[Team], dict[str, Team]]:
    """Departments, teams and rosters with reproducible, unique names."""
    names = _names(rng, sum(p.size for plans in DEPARTMENTS.values() for p in plans))
    teams, departments = [], {}
    for dept_name, plans in DEPARTMENTS.items():
        dept = Team(name=dept_name)
        departments[dept_name] = dept
        db.session.add(dept)
        for plan in plans:
            team = Team(name=plan.name, parent=dept)
            for _ in range(plan.size):
                name, email = names.pop()
                team.members.append(Member(name=name, email=email))
            teams.append(team)
            db.session.add(team)
    db.session.flush()
    return teams, departments


def _names(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """``n`` distinct (display name, email) pairs: mostly Chinese names, a few international."""
    pool = [
        (f"{sp} {gp} {sh}{gh}", f"{gp}.{sp}".lower()) for sh, sp in SURNAMES for gh, gp in GIVEN
    ]
    pool += [(name, name.lower().replace(" ", ".").replace("ü", "ue")) for name in INTERNATIONAL]
    chosen = rng.choice(len(pool), size=n, replace=False)
    return [(pool[i][0], f"{pool[i][1]}@demo.example") for i in chosen]


def _accounts(departments: dict[str, Team]) -> None:
    hasher = password_hasher()
    taken = set(db.session.scalars(db.select(User.email)).all())
    for role, email, name, password in ACCOUNTS:
        if email in taken:
            continue
        teams = [departments[d] for d in FACILITATED_DEPARTMENTS] if role == "facilitator" else []
        db.session.add(
            User(
                email=email, name=name, role=role, password_hash=hasher.hash(password), teams=teams
            )
        )


def _plans() -> list[TeamPlan]:
    return [plan for plans in DEPARTMENTS.values() for plan in plans]


def _answer(
    wave: Wave, teams: list[Team], rate: float, rng: np.random.Generator, comments: bool
) -> None:
    """Invite every member; a share of each team answers, from the model in tools.synthetic."""
    db.session.add(wave)
    db.session.flush()
    plans = _plans()
    instrument = instruments.get(wave.instrument_key, wave.instrument_version)
    issued = invitations.issue(wave, [m for team in teams for m in team.members])
    by_team: dict[int, list[Invitation]] = {}
    for invitation, _token in issued:
        by_team.setdefault(invitation.team_id, []).append(invitation)

    n_answering = [int(np.floor(len(team.members) * rate + 0.5)) for team in teams]
    team_index = np.repeat(np.arange(len(teams)), n_answering)
    shifts = synthetic.profile_shifts([p.shifts for p in plans])
    split = np.array([p.split for p in plans])
    latent = synthetic.latent_scores(team_index, shifts, split, rng)
    answers = synthetic.generate_answers(instrument, latent, rng)

    keys = instrument.item_keys
    for t, team in enumerate(teams):
        pending = by_team[team.id]
        for i in rng.choice(len(pending), size=n_answering[t], replace=False):
            pending[i].used = True
        if comments:
            for text in plans[t].comments:
                db.session.add(Comment(wave_id=wave.id, team_id=team.id, text=text))
    for row, t in zip(answers, team_index, strict=True):
        db.session.add(
            Response(
                wave_id=wave.id,
                team_id=teams[t].id,
                answers=dict(zip(keys, row.tolist(), strict=True)),
            )
        )


def _open_wave() -> Wave | None:
    now = utcnow()
    candidates = db.session.scalars(db.select(Wave).order_by(Wave.opens_at.desc())).all()
    return next((w for w in candidates if w.status(now) is WaveStatus.OPEN), None)


def respondent_links(base_url: str, n: int = 6) -> list[tuple[Team, int, str]]:
    """Up to ``n`` unused links of the open wave, from teams of different sizes.

    Each entry is (team, roster size, link); teams are spread from the smallest to the largest.
    """
    wave = _open_wave()
    if wave is None:
        return []
    unused = db.session.scalars(
        db.select(Invitation)
        .where(Invitation.wave_id == wave.id, Invitation.used.is_(False))
        .order_by(Invitation.id)
    ).all()
    first: dict[int, Invitation] = {}
    for invitation in unused:
        first.setdefault(invitation.team_id, invitation)
    teams = sorted(
        (db.session.get(Team, tid) for tid in first), key=lambda t: (len(t.members), t.name)
    )
    if not teams:
        return []
    picks = sorted({int(round(x)) for x in np.linspace(0, len(teams) - 1, min(n, len(teams)))})
    base = base_url.rstrip("/")
    return [
        (teams[i], len(teams[i].members), f"{base}/s/{invitations.token_of(first[teams[i].id])}")
        for i in picks
    ]


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None  # a name, such as localhost


def listens_everywhere(host: str) -> bool:
    """Whether a server bound to ``host`` listens on every address (0.0.0.0, ::, or empty)."""
    address = _address(host)
    return not host or (address is not None and address.is_unspecified)


def link_base(host: str, port: int) -> str:
    """The base URL to print for a server listening on ``host``: one a browser can open.

    A server takes 0.0.0.0 and :: to mean every address of this machine, but a browser
    cannot go there; 127.0.0.1 reaches the server from this machine. IPv6 needs brackets.
    """
    address = _address(host)
    if listens_everywhere(host):
        host = "127.0.0.1"
    elif address is not None and address.version == 6:
        host = f"[{address}]"
    return f"http://{host}:{port}"


def database_location() -> str:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def describe(info: dict, base_url: str) -> str:
    """What ``trustsurvey demo`` prints: where the data is, the logins, respondent links."""
    base = base_url.rstrip("/")
    lines = [
        f"Demo organisation: {info['organisation']}"
        + (" (created)" if info.get("created") else " (reused from an earlier run)"),
        f"Database: {database_location()}",
        f"Instance folder: {current_app.instance_path}",
        "",
        f"Sign in at {base}/auth/login with these DEMO-ONLY accounts"
        " (never use them for real data):",
    ]
    existing = set(db.session.scalars(db.select(User.email)).all())
    for role, email, _name, password in info.get("accounts", ()):
        if email in existing:
            lines.append(f"  {role:<12} {email:<28} password: {password}")
    links = respondent_links(base)
    wave = _open_wave()
    lines.append("")
    if info.get("new_wave"):
        lines.append(
            f"The demo's open wave had closed, so a new pulse wave '{info['new_wave']}'"
            " was opened for the same teams (no answers yet)."
        )
    if links:
        lines.append(
            f"Respondent links of the open wave '{wave.name}' (one-time; each answers once):"
        )
        for team, size, link in links:
            lines.append(f"  {team.name} ({size} people): {link}")
    else:
        lines.append("No open wave with unused invitations.")
    return "\n".join(lines)
