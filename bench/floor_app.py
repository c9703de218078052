"""The floor of the load bench: Flask, Flask-SQLAlchemy, psycopg and gunicorn, as the product
uses them, with one endpoint that stores its request body in one INSERT and commits.

Served by bench/bench_load.py as ``gunicorn 'bench.floor_app:create()'`` with the product's
worker settings; nothing a survey needs (templates, sessions, CSRF, validation) is done.

A second endpoint, ``/store/<token>``, sends exactly the statements a stored survey answer
sends (the product's own: the link read by its token's hash, then the one statement that
consumes it and inserts the answers) and nothing else. It is the ceiling of the submit/floor
ratio: what a survey endpoint would reach if everything but its database work cost nothing.
"""

from __future__ import annotations

import os

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class FloorRow(db.Model):
    __tablename__ = "bench_floor"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)


def create() -> Flask:
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db.init_app(app)

    @app.post("/insert")
    def insert():
        db.session.add(FloorRow(body=request.get_data(as_text=True)))
        db.session.commit()
        return "", 303, {"Location": "/"}

    # Imported when a worker starts, not on its first request (the import would be measured).
    from surveys.models import random_id
    from surveys.services.invitations import _FIND, hash_token
    from surveys.services.responses import _one_statement

    @app.post("/store/<token>")
    def store(token: str):
        link = db.session.execute(_FIND, {"token_hash": hash_token(token)}).first()
        answers = {name: int(value) for name, value in request.form.items()}
        params = {"invitation_id": link.id, "response_id": random_id(), "answers": answers}
        stored = db.session.execute(_one_statement(False), params).scalar_one()
        db.session.commit()
        return "", 303 if stored == 1 else 409, {"Location": "/"}

    @app.get("/")
    def index():
        return "floor"

    return app


# Made once by bench_load.py before the workers start (each worker making it would race).
CREATE_TABLE = "CREATE TABLE bench_floor (id serial PRIMARY KEY, body text NOT NULL)"
