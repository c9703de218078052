"""Roster CSV import: all or nothing, every bad row named, re-imports update in place."""

import contextlib
import io
import threading

import pytest

from surveys.db import db
from surveys.models import Team
from surveys.services import rosters
from tests.admin.rosters import error_rows, flashes, members, upload
from tests.helpers import login_as, make_user

GOOD = "team,name,email\nEast,Ann Li,ann@example.org\nEast,Bo Chen,\nWest,Cai Wu,cai@example.org\n"


def test_import_adds_members_and_reports_counts(app, admin_client, tree):
    response = upload(admin_client, GOOD)
    assert response.status_code == 302
    page = admin_client.get("/admin/roster").get_data(as_text=True)
    assert "3 added, 0 updated, 0 unchanged, 0 deactivated" in page
    assert members(app) == [
        ("East", "Ann Li", "ann@example.org", True),
        ("East", "Bo Chen", None, True),
        ("West", "Cai Wu", "cai@example.org", True),
    ]


def test_reimport_updates_instead_of_duplicating(app, admin_client, tree):
    upload(admin_client, GOOD)
    again = (
        "name,team,email\nAnn Li,East,ann@example.org\nBo Chen,East,bo@example.org\nDi Xu,West,\n"
    )
    assert upload(admin_client, again).status_code == 302
    page = admin_client.get("/admin/roster").get_data(as_text=True)
    assert "1 added, 1 updated, 1 unchanged, 0 deactivated" in page
    assert members(app) == [
        ("East", "Ann Li", "ann@example.org", True),
        ("East", "Bo Chen", "bo@example.org", True),
        ("West", "Cai Wu", "cai@example.org", True),  # missing from the file: kept, active
        ("West", "Di Xu", None, True),
    ]


def test_reimport_without_email_column_keeps_emails(app, admin_client, tree):
    upload(admin_client, GOOD)
    upload(admin_client, "team,name\nEast,Ann Li\n")
    assert ("East", "Ann Li", "ann@example.org", True) in members(app)


def test_deactivate_missing_only_touches_teams_in_the_file(app, admin_client, tree):
    upload(admin_client, GOOD)
    upload(admin_client, "team,name,email\nEast,Ann Li,ann@example.org\n", deactivate=True)
    page = admin_client.get("/admin/roster").get_data(as_text=True)
    assert "0 added, 0 updated, 1 unchanged, 1 deactivated" in page
    assert members(app) == [
        ("East", "Ann Li", "ann@example.org", True),
        ("East", "Bo Chen", None, False),
        ("West", "Cai Wu", "cai@example.org", True),
    ]
    upload(admin_client, "team,name\nEast,Bo Chen\n")  # brought back
    assert ("East", "Bo Chen", None, True) in members(app)


def test_every_bad_row_is_named_and_nothing_is_stored(app, admin_client, tree):
    with app.app_context():
        db.session.get(Team, tree["Support"]).archived = True
        db.session.commit()
    csv_text = (
        "team,name,email\n"
        "East,Ann Li,ann@example.org\n"  # row 2: fine
        "Nowhere,Bo Chen,\n"  # row 3: unknown team
        "East,,\n"  # row 4: empty name
        "East,Cai Wu,not-an-email\n"  # row 5: bad email
        "East,ann  li,\n"  # row 6: the same name as row 2, and no email to tell them apart
        "Support,Di Xu,\n"  # row 7: archived team
        "East\n"  # row 8: stops before the name
        ",Fu Yi,\n"  # row 9: empty team
        "Sales,Gao Lin,\n"  # row 10: a department
        "\n"  # row 11: blank, skipped
        "West,He Qi,he@example.org,extra\n"  # row 12: four columns
        "East,Hu Bin,ANN@example.org\n"  # row 13: the same email as row 2
    )
    response = upload(admin_client, csv_text)
    assert response.status_code == 200
    assert error_rows(response) == [
        ("3", "team", "unknown team “Nowhere”"),
        ("4", "name", "the name is empty"),
        ("5", "email", "“not-an-email” is not an email address"),
        (
            "6",
            "name",
            "“ann li” is also on row 2: if they are two people, give each their own email; "
            "if one, remove a row",
        ),
        ("7", "team", "the team “Support” is archived"),
        ("8", "name", "the row ends before the “name” column"),
        ("9", "team", "the team is empty"),
        ("10", "team", "“Sales” is a department; name one of its teams"),
        ("12", "D", "4 columns where the header has 3"),
        ("13", "email", "the same email as row 2: one email is one member"),
    ]
    assert "Nothing was imported: 10 problem(s) to fix" in response.get_data(as_text=True)
    assert members(app) == []


def test_a_bad_row_in_a_reimport_leaves_the_old_roster_untouched(app, admin_client, tree):
    upload(admin_client, GOOD)
    before = members(app)
    response = upload(admin_client, "team,name,email\nEast,Ann Li,new@example.org\nEast,,\n")
    assert error_rows(response) == [("3", "name", "the name is empty")]
    assert members(app) == before


def test_errors_are_listed_in_chinese(app, admin_client, tree):
    response = upload(admin_client, "team,name\nNowhere,Bo\n", **{"Accept-Language": "zh-CN"})
    assert error_rows(response) == [("2", "team", "未知的团队“Nowhere”")]


def test_excel_byte_order_mark_and_crlf_are_accepted(app, admin_client, tree):
    data = "\ufeffteam,name,email\r\nEast,李雷,li@example.org\r\n".encode()
    assert upload(admin_client, data).status_code == 302
    assert members(app) == [("East", "李雷", "li@example.org", True)]


def test_gbk_file_from_excel_on_chinese_windows_is_read_as_gb18030(app, admin_client, tree):
    data = "团队,姓名,邮箱\r\nEast,李雷,li@example.org\r\nWest,韩梅梅,\r\n".encode("gbk")
    assert upload(admin_client, data, encoding="gb18030").status_code == 302
    assert "Roster imported (read as GB18030 (GBK)): 2 added" in flashes(admin_client)
    assert members(app) == [
        ("East", "李雷", "li@example.org", True),
        ("West", "韩梅梅", None, True),
    ]


def test_gb18030_characters_beyond_gbk_are_read(app, admin_client, tree):
    data = "team,name\nEast,王䶮\n".encode("gb18030")  # 䶮 (U+4DAE) is not in GBK
    assert upload(admin_client, data, encoding="gb18030").status_code == 302
    assert members(app) == [("East", "王䶮", None, True)]


def test_success_message_names_the_encoding_in_chinese(app, admin_client, tree):
    zh = {"Accept-Language": "zh-CN"}
    upload(admin_client, "team,name\nEast,李雷\n".encode("gbk"), encoding="gb18030", **zh)
    page = admin_client.get("/admin/roster", headers=zh).get_data(as_text=True)
    assert "名单已导入（按 GB18030 (GBK) 编码读取）：新增 1 人" in page
    upload(admin_client, "team,name\nEast,韩梅梅\n", **zh)
    page = admin_client.get("/admin/roster", headers=zh).get_data(as_text=True)
    assert "名单已导入（按 UTF-8 编码读取）：新增 1 人" in page


def test_utf8_file_says_it_was_read_as_utf8(app, admin_client, tree):
    upload(admin_client, "team,name\nEast,李雷\n")
    assert "Roster imported (read as UTF-8): 1 added" in flashes(admin_client)


NOT_TEXT = (
    "this is not CSV text in UTF-8 or GB18030 (GBK); "
    "save the file as “CSV UTF-8” and import it again"
)


@pytest.mark.parametrize(
    "data",
    [
        "team,name\nEast,李雷\n".encode("utf-16"),  # Excel's "Unicode text"
        b"PK\x03\x04\x14\x00\x06\x00",  # an .xlsx workbook
    ],
)
def test_file_that_is_not_text_is_refused_with_one_message(app, admin_client, tree, data):
    response = upload(admin_client, data)
    assert error_rows(response) == [("—", "", NOT_TEXT)]
    assert members(app) == []


def test_undecodable_file_is_refused_in_chinese(app, admin_client, tree):
    response = upload(admin_client, b"\xff\xfe\x00t", **{"Accept-Language": "zh-CN"})
    assert error_rows(response) == [
        (
            "—",
            "",
            "这不是 UTF-8 或 GB18030（GBK）编码的 CSV 文本；请另存为“CSV UTF-8”格式后重新导入",
        ),
    ]


def test_encoding_is_chosen_on_the_form_in_both_languages(app, admin_client, tree):
    page = admin_client.get("/admin/roster").get_data(as_text=True)
    assert '<option selected value="utf-8">UTF-8</option>' in page
    assert "GB18030 (GBK), as Excel on Chinese Windows saves “CSV (逗号分隔)”" in page
    zh = admin_client.get("/admin/roster", headers={"Accept-Language": "zh-CN"})
    page = zh.get_data(as_text=True)
    assert ">编码</label>" in page
    assert "GB18030（GBK），中文 Windows 上的 Excel 另存为“CSV（逗号分隔）”时使用" in page


# A UTF-8 roster where one name was typed in a cp1252 program (é as one byte): read as
# GB18030 it would import as “Ren閑”, and 王伟 as “鐜嬩紵” in a whole cp1252/Big5 mix-up.
STRAY_BYTE = "team,name,email\nEast,王伟,wang@example.org\n".encode() + b"East,Ren\xe9e,\n"
NOT_UTF8 = (
    "the file is not UTF-8 (first on row 3); if it was saved by Excel on Chinese Windows, "
    "choose the encoding GB18030 (GBK) and import it again"
)


def test_utf8_file_with_a_stray_byte_is_refused_naming_the_row(app, admin_client, tree):
    upload(admin_client, "team,name,email\nEast,王伟,wang@example.org\nEast,Renée,\n")
    before = members(app)
    response = upload(admin_client, STRAY_BYTE)
    assert error_rows(response) == [("3", "name", NOT_UTF8)]
    zh = upload(admin_client, STRAY_BYTE, **{"Accept-Language": "zh-CN"})
    assert error_rows(zh) == [
        (
            "3",
            "name",
            "文件不是 UTF-8 编码（第一处在第 3 行）；如果文件是由中文 Windows 上的 Excel "
            "保存的，请选择编码 GB18030（GBK）后重新导入",
        ),
    ]
    assert members(app) == before


def test_gbk_file_read_as_utf8_is_refused_until_gb18030_is_chosen(app, admin_client, tree):
    data = "team,name\nEast,Bo\nEast,李雷\n".encode("gbk")
    response = upload(admin_client, data)
    assert error_rows(response) == [("3", "name", NOT_UTF8)]
    assert members(app) == []
    assert upload(admin_client, data, encoding="gb18030").status_code == 302
    assert members(app) == [("East", "Bo", None, True), ("East", "李雷", None, True)]


def test_file_that_is_not_gb18030_when_chosen_is_refused(app, admin_client, tree):
    data = b"team,name\nEast,Bo\n\nEast,\x81\x20\n"  # a byte pair GB18030 does not allow
    response = upload(admin_client, data, encoding="gb18030")
    assert error_rows(response) == [
        (
            "4",
            "name",
            "the file is not GB18030 (GBK) (first on row 4); choose the encoding it was "
            "saved in (UTF-8 for “CSV UTF-8”) and import it again",
        ),
    ]
    zh = upload(admin_client, data, encoding="gb18030", **{"Accept-Language": "zh-CN"})
    assert error_rows(zh) == [
        (
            "4",
            "name",
            "文件不是 GB18030（GBK）编码（第一处在第 4 行）；请选择文件保存时所用的编码"
            "（“CSV UTF-8”为 UTF-8）后重新导入",
        ),
    ]
    assert members(app) == []


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_byte_order_mark_means_utf8_whatever_is_chosen(app, admin_client, tree, encoding):
    good = "\ufeffteam,name\nEast,李雷\n".encode()
    assert upload(admin_client, good, encoding=encoding).status_code == 302
    assert "Roster imported (read as UTF-8): 1 added" in flashes(admin_client)
    bad = "\ufeffteam,name\nEast,韩梅梅\n".encode()[:-10] + "韩梅梅\n".encode("gbk")
    response = upload(admin_client, bad, encoding=encoding)
    assert error_rows(response) == [
        (
            "2",
            "name",
            "the file starts with the mark of UTF-8 but is not UTF-8 (first on row 2); "
            "save it as “CSV UTF-8” and import it again",
        ),
    ]
    zh = upload(admin_client, bad, encoding=encoding, **{"Accept-Language": "zh-CN"})
    assert error_rows(zh) == [
        (
            "2",
            "name",
            "文件以 UTF-8 的标记开头，但不是 UTF-8 编码（第一处在第 2 行）；"
            "请另存为“CSV UTF-8”格式后重新导入",
        ),
    ]
    assert members(app) == [("East", "李雷", None, True)]


def test_row_without_the_trailing_email_cell_has_an_empty_email(app, admin_client, tree):
    upload(admin_client, "team,name,email\nEast,Sun,sun@example.org\n")
    data = "team,name,email\nEast,Sun\nWest,Qian\nWest,Zhao,zhao@example.org\n"
    assert upload(admin_client, data).status_code == 302
    assert members(app) == [
        ("East", "Sun", None, True),  # as an empty cell does, the short row clears the email
        ("West", "Qian", None, True),
        ("West", "Zhao", "zhao@example.org", True),
    ]


def test_row_that_stops_before_a_required_column_is_refused(app, admin_client, tree):
    response = upload(admin_client, "team,email,name\nEast,a@example.org\nEast\n")
    assert error_rows(response) == [
        ("2", "name", "the row ends before the “name” column"),
        ("3", "name", "the row ends before the “name” column"),
    ]
    assert members(app) == []


def test_row_problems_are_named_in_chinese(app, admin_client, tree):
    data = "team,name,email\nEast\nEast,Ann,a@example.org,x\n"
    response = upload(admin_client, data, **{"Accept-Language": "zh-CN"})
    assert error_rows(response) == [
        ("2", "name", "这一行在“name”列之前就结束了"),
        ("3", "D", "有 4 列，但标题行有 3 列"),
    ]


def test_chinese_headers_are_accepted(app, admin_client, tree):
    assert upload(admin_client, "团队,姓名,邮箱\nEast,韩梅梅,\n").status_code == 302
    assert members(app) == [("East", "韩梅梅", None, True)]


@pytest.mark.parametrize(
    "data, expected",
    [
        ("", [("—", "", "the file is empty")]),
        ("team,name\n", [("—", "", "the file has no members")]),
        (
            "team,person\nEast,Ann\n",
            [
                ("1", "person", "unknown column “person”"),
                ("1", "name", "the header row has no “name” column"),
            ],
        ),
        (
            "East,Ann Li\n",
            [
                ("1", "East", "unknown column “East”"),
                ("1", "Ann Li", "unknown column “Ann Li”"),
                ("1", "team", "the header row has no “team” column"),
                ("1", "name", "the header row has no “name” column"),
            ],
        ),
        ("team,name,Team\nEast,Ann,x\n", [("1", "team", "the column “team” appears twice")]),
    ],
)
def test_header_problems_are_reported(app, admin_client, tree, data, expected):
    assert error_rows(upload(admin_client, data)) == expected
    assert members(app) == []


def test_file_larger_than_the_limit_is_refused(make_app):
    app = make_app(MAX_ROSTER_BYTES=1024)
    client = app.test_client()
    with app.app_context():
        db.session.add(Team(name="East"))
        db.session.commit()
        login_as(client, make_user("admin"))
    data = "team,name\n" + "".join(f"East,Person {i}\n" for i in range(200))
    response = upload(client, data)
    assert error_rows(response) == [("—", "", "the file is larger than 1 KB")]
    assert members(app) == []


def test_roster_larger_than_the_request_limit_but_within_roster_limit_is_accepted(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)  # respondents' small limit must not block rosters
    client = app.test_client()
    with app.app_context():
        db.session.add(Team(name="East"))
        db.session.commit()
        login_as(client, make_user("admin"))
    data = "team,name\n" + "".join(f"East,Person {i}\n" for i in range(200))
    assert upload(client, data).status_code == 302
    assert len(members(app)) == 200


def test_missing_file_is_a_form_error(app, admin_client, tree):
    response = admin_client.post("/admin/roster", data={}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)


def test_facilitator_cannot_import_even_into_own_teams(app, client, tree):
    # Only admins change rosters: a facilitator who could add members could push a small
    # team over k with invented people (anonymity invariant 7).
    with app.app_context():
        login_as(client, make_user("facilitator", teams=[db.session.get(Team, tree["East"])]))
    assert client.get("/admin/roster").status_code == 404
    assert upload(client, "team,name\nEast,Ann\n").status_code == 404
    assert members(app) == []


def test_researcher_cannot_import(app, client, tree):
    with app.app_context():
        login_as(client, make_user("researcher"))
    assert upload(client, "team,name\nEast,Ann\n").status_code == 404
    assert members(app) == []


def test_roster_form_needs_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        db.session.add(Team(name="East"))
        db.session.commit()
        login_as(client, make_user("admin"))
    response = upload(client, "team,name\nEast,Ann\n")
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert members(app) == []


def test_team_page_shows_its_roster(app, admin_client, tree):
    upload(admin_client, GOOD)
    page = admin_client.get(f"/admin/teams/{tree['East']}").get_data(as_text=True)
    assert "Ann Li" in page and "ann@example.org" in page and "Cai Wu" not in page


def test_all_or_nothing_and_reimport_on_both_databases(make_app, backend):
    app = make_app(backend)
    client = app.test_client()
    with app.app_context():
        db.session.add_all([Team(name="East"), Team(name="West")])
        db.session.commit()
        login_as(client, make_user("admin"))
    bad = upload(client, "team,name,email\nEast,Ann,ann@example.org\nWest,Bo,bad\n")
    assert error_rows(bad) == [("3", "email", "“bad” is not an email address")]
    assert members(app) == []
    assert (
        upload(client, "team,name,email\nEast,Ann,ann@example.org\nWest,Bo,\n").status_code == 302
    )
    # Bo's email is added; a second Ann with her own email joins East.
    again = (
        "team,name,email\n"
        "East,Ann,ann@example.org\nEast,Ann,ann.b@example.org\nWest,Bo,bo@example.org\n"
    )
    assert upload(client, again).status_code == 302
    assert upload(client, again).status_code == 302
    assert members(app) == [
        ("East", "Ann", "ann.b@example.org", True),
        ("East", "Ann", "ann@example.org", True),
        ("West", "Bo", "bo@example.org", True),
    ]


def test_two_imports_into_one_team_at_once_add_each_member_once(make_app, backend, monkeypatch):
    # A double-clicked Import: two requests with one file run together. No unique constraint
    # stops a second copy of each member, so the second import must read the members only
    # once the first has committed.
    app = make_app(backend)
    clients = [app.test_client(), app.test_client()]
    with app.app_context():
        db.session.add(Team(name="East"))
        db.session.commit()
        admin = make_user("admin")
        for client in clients:
            login_as(client, admin)
    # Each import, once it has read the members, waits (a little) for the other to read them
    # too: without a lock both then add everyone; with one, the other is still waiting for it.
    read = threading.Barrier(2, timeout=2)
    match = rosters._match

    def match_when_both_have_read(rows, known):
        with contextlib.suppress(threading.BrokenBarrierError):
            read.wait()
        return match(rows, known)

    monkeypatch.setattr(rosters, "_match", match_when_both_have_read)
    data = "team,name,email\nEast,王伟,wang.wei@example.org\nEast,Bo,\n"
    start = threading.Barrier(2, timeout=10)
    statuses = []

    def import_once(client):
        start.wait()
        statuses.append(upload(client, data).status_code)

    threads = [threading.Thread(target=import_once, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302, 302]
    assert members(app) == [
        ("East", "Bo", None, True),
        ("East", "王伟", "wang.wei@example.org", True),
    ]
    said = flashes(clients[0]) + flashes(clients[1])
    assert "2 added, 0 updated, 0 unchanged" in said
    assert "0 added, 0 updated, 2 unchanged" in said


def test_large_roster_is_accepted_with_csrf_protection_on(make_app):
    # CSRF checking reads the form before the view runs; the roster's own body limit must
    # already apply then, or any roster above the respondents' small limit gets a 413.
    import re

    app = make_app(WTF_CSRF_ENABLED=True, MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    with app.app_context():
        db.session.add(Team(name="East"))
        db.session.commit()
        login_as(client, make_user("admin"))
    page = client.get("/admin/roster").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = "team,name\n" + "".join(f"East,Person {i}\n" for i in range(200))
    response = client.post(
        "/admin/roster",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(data.encode()), "roster.csv")},
    )
    assert response.status_code == 302
    assert len(members(app)) == 200


def test_a_cell_of_the_file_is_shown_as_text_in_the_error_table(app, admin_client, tree):
    # The problem text is a lazily translated string, which Jinja would take as safe HTML.
    cell = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
    response = upload(admin_client, f"team,name\n{cell},Ann\n")
    page = response.get_data(as_text=True)
    assert "<meta http-equiv" not in page
    assert "&lt;meta http-equiv=&#34;refresh&#34;" in page
    assert error_rows(response) == [("2", "team", f"unknown team “{cell}”")]


@pytest.mark.parametrize(
    "text, row, column",
    [
        ('team,name\nEast,"Ann\nEast,Bo\nEast,Cy\n', "2", ""),  # never closed
        ('team,name\nEast,"Ann\nEast,Bo"\nEast,Cy\n', "2", "name"),  # closed a row late
    ],
)
def test_a_quote_left_open_is_refused_instead_of_swallowing_rows(
    app, admin_client, tree, text, row, column
):
    response = upload(admin_client, text)
    errors = error_rows(response)
    assert [(r, c) for r, c, _problem in errors] == [(row, column)]
    assert "quote" in errors[0][2]
    assert members(app) == []


def test_a_bad_byte_under_an_empty_first_line_names_no_column(app, admin_client, tree):
    # Found by the property test: the row with the bad byte was taken for the header, and
    # its own undecodable text, as the column's name, made the page fail to render.
    data = "\nࠀ".encode()  # read as GB18030, its last byte is not a character
    response = upload(admin_client, data, encoding="gb18030")
    assert response.status_code == 200
    rows = error_rows(response)
    assert [(row, column) for row, column, _problem in rows] == [("2", "")]
    assert members(app) == []
