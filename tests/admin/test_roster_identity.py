"""Who is who in a roster: the email when given, else the name; same-name members allowed."""

from tests.admin.rosters import error_rows, flashes, members, upload

ZH = {"Accept-Language": "zh-CN"}


def test_two_members_of_one_name_with_different_emails_are_both_kept(app, admin_client, tree):
    data = "team,name,email\nEast,王伟,wang.wei@example.org\nEast,王伟,wei.wang@example.org\n"
    assert upload(admin_client, data).status_code == 302
    assert upload(admin_client, data).status_code == 302
    assert "0 added, 0 updated, 2 unchanged" in flashes(admin_client)
    assert members(app) == [
        ("East", "王伟", "wang.wei@example.org", True),
        ("East", "王伟", "wei.wang@example.org", True),
    ]


def test_one_name_twice_in_a_team_without_emails_is_refused_naming_both_rows(
    app, admin_client, tree
):
    response = upload(admin_client, "team,name\nEast,王伟\nWest,王伟\nEast,王伟\n")
    assert error_rows(response) == [
        (
            "4",
            "name",
            "“王伟” is also on row 2: if they are two people, give each their own email; "
            "if one, remove a row",
        )
    ]
    assert members(app) == []


def test_one_name_twice_where_one_row_has_no_email_is_refused_in_chinese(app, admin_client, tree):
    data = "team,name,email\nEast,王伟,wang.wei@example.org\nEast,王伟,\n"
    response = upload(admin_client, data, **ZH)
    assert error_rows(response) == [
        (
            "3",
            "name",
            "“王伟”在第 2 行也出现了：如果是两个人，请分别填写各自的邮箱；"
            "如果是同一个人，请删除一行",
        )
    ]
    assert members(app) == []


def test_one_email_twice_in_a_team_is_refused_whatever_its_case(app, admin_client, tree):
    data = "team,name,email\nEast,Ann,ann@example.org\nEast,Anna,ANN@Example.org\n"
    response = upload(admin_client, data)
    assert error_rows(response) == [
        ("3", "email", "the same email as row 2: one email is one member")
    ]
    zh = upload(admin_client, data, **ZH)
    assert error_rows(zh) == [("3", "email", "与第 2 行的邮箱相同：一个邮箱只对应一名成员")]
    assert members(app) == []


def test_one_email_in_two_teams_is_two_members(app, admin_client, tree):
    data = "team,name,email\nEast,Ann,ann@example.org\nWest,Ann,ann@example.org\n"
    assert upload(admin_client, data).status_code == 302
    assert len(members(app)) == 2


def test_names_match_whatever_their_case_and_spacing(app, admin_client, tree):
    upload(admin_client, "team,name\nEast,Alice\nEast,Bo  Chen\nWest,王　伟\n")
    assert members(app) == [
        ("East", "Alice", None, True),
        ("East", "Bo Chen", None, True),  # stored with one space
        ("West", "王 伟", None, True),
    ]
    assert (
        upload(admin_client, "team,name\nEast,alice\nEast, BO CHEN \nWest,王伟\n").status_code
        == 302
    )
    assert "0 added, 3 updated, 0 unchanged" in flashes(admin_client)
    # The file is the newer spelling.
    assert members(app) == [
        ("East", "BO CHEN", None, True),
        ("East", "alice", None, True),
        ("West", "王伟", None, True),
    ]


def test_email_matches_whatever_its_case_and_renames_the_member(app, admin_client, tree):
    upload(admin_client, "team,name,email\nEast,Ann Li,ann@example.org\n")
    assert (
        upload(admin_client, "team,name,email\nEast,Ann Wang,ANN@example.org\n").status_code == 302
    )
    assert "0 added, 1 updated, 0 unchanged" in flashes(admin_client)
    assert members(app) == [("East", "Ann Wang", "ANN@example.org", True)]


def test_email_added_later_updates_the_member_of_that_name(app, admin_client, tree):
    upload(admin_client, "team,name\nEast,王伟\nEast,Bo\n")
    data = "team,name,email\nEast,王伟,wang.wei@example.org\nEast,Bo,\n"
    assert upload(admin_client, data).status_code == 302
    assert "0 added, 1 updated, 1 unchanged" in flashes(admin_client)
    assert members(app) == [
        ("East", "Bo", None, True),
        ("East", "王伟", "wang.wei@example.org", True),
    ]
    # Later a second 王伟 joins: the first keeps their email, the second is someone new.
    data = "team,name,email\nEast,王伟,wang.wei@example.org\nEast,王伟,wei.wang@example.org\n"
    assert upload(admin_client, data).status_code == 302
    assert len(members(app)) == 3


def test_two_emails_for_one_member_without_email_are_refused_until_told_apart(
    app, admin_client, tree
):
    upload(admin_client, "team,name\nEast,王伟\n")
    data = "team,name,email\nEast,王伟,wang.wei@example.org\nEast,王伟,wei.wang@example.org\n"
    response = upload(admin_client, data)
    assert error_rows(response) == [
        (
            "3",
            "email",
            "this row and row 2 could both be “王伟”, who has no email yet: import that "
            "member's row on its own first, then this row adds someone new",
        )
    ]
    zh = upload(admin_client, data, **ZH)
    assert error_rows(zh) == [
        (
            "3",
            "email",
            "这一行和第 2 行都可能是还没有邮箱的“王伟”：请先单独导入这名成员的那一行，"
            "之后这一行会作为新成员加入",
        )
    ]
    assert members(app) == [("East", "王伟", None, True)]
    upload(admin_client, "team,name,email\nEast,王伟,wang.wei@example.org\n")
    assert upload(admin_client, data).status_code == 302
    assert members(app) == [
        ("East", "王伟", "wang.wei@example.org", True),
        ("East", "王伟", "wei.wang@example.org", True),
    ]


def test_row_without_email_for_a_name_two_members_share_is_refused(app, admin_client, tree):
    upload(
        admin_client,
        "team,name,email\nEast,王伟,wang.wei@example.org\nEast,王伟,wei.wang@example.org\n",
    )
    for data in ("team,name\nEast,王伟\n", "team,name,email\nEast,王伟,\n"):
        response = upload(admin_client, data)
        assert error_rows(response) == [
            (
                "2",
                "name",
                "2 members of “East” are called “王伟”; give the email of the one this row is",
            )
        ]
    zh = upload(admin_client, "team,name\nEast,王伟\n", **ZH)
    assert error_rows(zh) == [
        ("2", "name", "“East”有 2 名成员叫“王伟”；请填写这一行所指成员的邮箱")
    ]
    assert len(members(app)) == 2


def test_row_without_email_that_another_row_already_is_is_refused(app, admin_client, tree):
    upload(admin_client, "team,name,email\nEast,Alice,alice@example.org\n")
    data = "team,name,email\nEast,Alice,\nEast,Alice Wang,alice@example.org\n"
    response = upload(admin_client, data)
    assert error_rows(response) == [
        (
            "2",
            "name",
            "row 3 is already the member “Alice”; if this row is someone else, give them their "
            "own email",
        )
    ]
    zh = upload(admin_client, data, **ZH)
    assert error_rows(zh) == [
        ("2", "name", "第 3 行已经是成员“Alice”；如果这一行是另一个人，请填写其本人的邮箱")
    ]
    assert members(app) == [("East", "Alice", "alice@example.org", True)]


def test_new_email_for_a_known_name_adds_someone_and_says_so(app, admin_client, tree):
    upload(admin_client, "team,name,email\nEast,Ann,ann@example.org\nEast,Bo,\n")
    data = "team,name,email\nEast,Ann,ann.li@example.org\nEast,Bo,\n"
    assert upload(admin_client, data).status_code == 302
    said = flashes(admin_client)
    assert "1 added, 0 updated, 1 unchanged" in said
    assert "email differs from that of a member with the same name: Ann (East)" in said
    # The same person with a new email: a whole-roster import deactivates the old entry.
    assert upload(admin_client, data, deactivate=True).status_code == 302
    assert members(app) == [
        ("East", "Ann", "ann.li@example.org", True),
        ("East", "Ann", "ann@example.org", False),
        ("East", "Bo", None, True),
    ]


def test_namesake_notice_in_chinese(app, admin_client, tree):
    upload(admin_client, "team,name,email\nEast,Ann,ann@example.org\n")
    upload(admin_client, "team,name,email\nEast,Ann,ann.li@example.org\n", **ZH)
    page = admin_client.get("/admin/roster", headers=ZH).get_data(as_text=True)
    assert "因邮箱与同名成员不同而作为新成员加入：Ann (East)。" in page


def test_a_deactivated_member_comes_back_by_email(app, admin_client, tree):
    upload(admin_client, "team,name,email\nEast,Ann,ann@example.org\nEast,Bo,\n")
    upload(admin_client, "team,name\nEast,Bo\n", deactivate=True)
    assert ("East", "Ann", "ann@example.org", False) in members(app)
    upload(admin_client, "team,name,email\nEast,Ann,ANN@example.org\n")
    assert "0 added, 1 updated, 0 unchanged" in flashes(admin_client)
    assert ("East", "Ann", "ANN@example.org", True) in members(app)


def test_of_two_members_of_one_name_the_active_one_is_meant(app, admin_client, tree):
    data = "team,name,email\nEast,王伟,wang.wei@example.org\nEast,王伟,wei.wang@example.org\n"
    upload(admin_client, data)
    upload(admin_client, "team,name,email\nEast,王伟,wei.wang@example.org\n", deactivate=True)
    # Without an email column the name says who; the one who left is not brought back.
    assert upload(admin_client, "team,name\nEast,王伟\n").status_code == 302
    assert members(app) == [
        ("East", "王伟", "wang.wei@example.org", False),
        ("East", "王伟", "wei.wang@example.org", True),
    ]


def test_a_newcomer_with_an_email_does_not_revive_a_departed_namesake(app, admin_client, tree):
    upload(admin_client, "team,name\nEast,王伟\nEast,Bo\n")
    upload(admin_client, "team,name\nEast,Bo\n", deactivate=True)
    assert ("East", "王伟", None, False) in members(app)
    # A new 王伟 joins with an email: someone new, and the one who left stays gone.
    data = "team,name,email\nEast,王伟,wang.wei@example.org\n"
    assert upload(admin_client, data).status_code == 302
    assert "1 added, 0 updated, 0 unchanged" in flashes(admin_client)
    assert members(app) == [
        ("East", "Bo", None, True),
        ("East", "王伟", None, False),
        ("East", "王伟", "wang.wei@example.org", True),
    ]
