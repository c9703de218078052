"""Hostile roster files, by property: the import never answers 500, stores all or nothing,
and a refused file's page names what is wrong."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.admin.rosters import error_rows, members, upload

HEADERS = ["team", "name", "email", "团队", "姓名", "邮箱", "", "team ", "extra"]
cells = st.one_of(
    st.sampled_from(["East", "West", "Support", "Sales", "Nowhere", "", "Ann Li", "王伟"]),
    st.sampled_from(["ann@example.org", "not-an-email", "a@b", "=cmd()", '"', "\x00", " "]),
    st.text(max_size=12),
)
files = st.builds(
    lambda header, rows: "\n".join(",".join(r) for r in [header, *rows]),
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=4),
    st.lists(st.lists(cells, max_size=5), max_size=8),
)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(app, admin_client, data: bytes, encoding: str):
    before = members(app)
    response = upload(admin_client, data, encoding=encoding)
    assert response.status_code in (200, 302, 400, 413), response.status_code
    if response.status_code == 302:
        return  # imported as a whole (the redirect's page says what changed)
    assert members(app) == before  # refused: nothing stored, not even the good rows
    page = response.get_data(as_text=True)
    rows = error_rows(response)
    # Each refusal names its row and reason, or the file's problem is said on the page.
    assert all(problem for _row, _column, problem in rows)
    assert rows or 'class="notice' in page or 'class="error' in page


@SETTINGS
@given(text=files, encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_any_roster_of_plausible_cells_is_imported_whole_or_refused_by_name(
    app, admin_client, tree, text, encoding
):
    check(app, admin_client, text.encode("utf-8"), encoding)


@SETTINGS
@given(raw=st.binary(max_size=300), encoding=st.sampled_from(["utf-8", "gb18030"]))
def test_any_bytes_as_a_roster_are_imported_whole_or_refused_by_name(
    app, admin_client, tree, raw, encoding
):
    check(app, admin_client, b"team,name,email\n" + raw, encoding)
