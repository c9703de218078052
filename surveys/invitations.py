"""One-time invitation links.

A token is an HMAC of the invitation's random nonce under the app's secret key; the
database stores only a SHA-256 hash of it. Links can therefore be printed again for a
mail-merge, but a copy of the database alone cannot be used to answer as anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app, url_for

from surveys.db import db
from surveys.models import Invitation, Member, Wave, random_id


def token_for(nonce: str, secret: str | None = None) -> str:
    secret = secret or current_app.config["SECRET_KEY"]
    digest = hmac.new(secret.encode(), b"invitation:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()  # 144 bits, 24 URL-safe characters


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(invitation: Invitation) -> str:
    return token_for(invitation.nonce)


def link(token: str) -> str:
    return url_for("respond.survey", token=token, _external=True)


def find(token: str) -> Invitation | None:
    """The invitation a token belongs to, or None (also for malformed tokens)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        db.select(Invitation).where(Invitation.token_hash == hash_token(token))
    )


def issue(wave: Wave, members: list[Member]) -> list[tuple[Invitation, str]]:
    """Create one invitation per member who has none in this wave; return them with tokens.

    The caller commits.
    """
    have = set(
        db.session.scalars(
            db.select(Invitation.member_id).where(Invitation.wave_id == wave.id)
        ).all()
    )
    issued = []
    for member in members:
        if member.id in have:
            continue
        nonce = random_id()
        token = token_for(nonce)
        invitation = Invitation(
            wave=wave, team_id=member.team_id, member=member, nonce=nonce,
            token_hash=hash_token(token),
        )
        db.session.add(invitation)
        issued.append((invitation, token))
    return issued
