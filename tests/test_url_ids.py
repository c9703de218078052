"""Numbers in URLs that no database id can hold are not found (404), never a server error."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from tests.helpers import login_as, make_user

HUGE = "9" * 30  # past SQLite's 64-bit and PostgreSQL's 32-bit integer columns


def _int_routes(app):
    for rule in app.url_map.iter_rules():
        names = [
            name for name in rule.arguments if isinstance(rule._converters[name], IntegerConverter)
        ]
        if names and "GET" in rule.methods:
            yield rule, names


@pytest.mark.parametrize("number", [HUGE, str(2**31), str(2**63)])
def test_every_id_route_answers_404_for_a_number_too_large_for_a_row_id(app, client, number):
    with app.app_context():
        login_as(client, make_user("admin"))
        routes = list(_int_routes(app))
        assert routes, "no route takes an integer id"
        for rule, names in routes:
            url = rule.rule
            for name in names:
                url = url.replace(f"<int:{name}>", number)
            assert client.get(url).status_code == 404, url
