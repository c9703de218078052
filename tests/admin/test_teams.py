"""Teams and departments: create, rename, move (no loops), archive, facilitators."""

import re

from surveys.db import db
from surveys.models import Member, Team, User
from tests.admin.rosters import upload
from tests.helpers import login_as, make_user


def team(app, name):
    with app.app_context():
        return db.session.scalar(db.select(Team).where(Team.name == name))


def parent_name(app, name):
    with app.app_context():
        found = db.session.scalar(db.select(Team).where(Team.name == name))
        return found.parent.name if found.parent else None


def test_create_team_at_top_level_and_under_a_department(app, admin_client, tree):
    response = admin_client.post("/admin/teams/new", data={"name": " North ", "parent": 0})
    assert response.status_code == 302
    north = team(app, "North")
    assert north is not None and north.parent_id is None
    admin_client.post("/admin/teams/new", data={"name": "South", "parent": tree["Sales"]})
    assert parent_name(app, "South") == "Sales"


def test_create_team_with_a_taken_name_is_refused(app, admin_client, tree):
    response = admin_client.post("/admin/teams/new", data={"name": "East", "parent": 0})
    assert response.status_code == 200
    assert "A team called “East” already exists." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Team.id))) == 4


def test_rename_and_move_in_one_form(app, admin_client, tree):
    response = admin_client.post(
        f"/admin/teams/{tree['Support']}/edit",
        data={"name": "Customer care", "parent": tree["Sales"]},
    )
    assert response.status_code == 302
    assert parent_name(app, "Customer care") == "Sales"
    admin_client.post(
        f"/admin/teams/{tree['Support']}/edit", data={"name": "Customer care", "parent": 0}
    )
    assert parent_name(app, "Customer care") is None


def test_moving_a_department_under_its_own_team_is_refused_as_a_loop(app, admin_client, tree):
    response = admin_client.post(
        f"/admin/teams/{tree['Sales']}/edit", data={"name": "Sales", "parent": tree["East"]}
    )
    assert response.status_code == 200
    assert "would make a loop" in response.get_data(as_text=True)
    assert parent_name(app, "Sales") is None
    assert parent_name(app, "East") == "Sales"


def test_moving_a_team_under_itself_is_refused(app, admin_client, tree):
    response = admin_client.post(
        f"/admin/teams/{tree['Support']}/edit", data={"name": "Support", "parent": tree["Support"]}
    )
    assert response.status_code == 200
    assert parent_name(app, "Support") is None


def test_move_form_does_not_offer_the_teams_own_subtree(app, admin_client, tree):
    page = admin_client.get(f"/admin/teams/{tree['Sales']}/edit").get_data(as_text=True)
    enabled = re.findall(r'<option(?![^>]*disabled)[^>]*value="(\d+)"', page)
    disabled = re.findall(
        r'<option[^>]*disabled[^>]*value="(\d+)"|<option[^>]*value="(\d+)"[^>]*disabled', page
    )
    disabled = {a or b for a, b in disabled}
    assert str(tree["Support"]) in enabled
    assert {str(tree["Sales"]), str(tree["East"]), str(tree["West"])} == disabled


def test_loop_check_also_holds_in_the_service(app, tree):
    from surveys.services import teams

    with app.app_context():
        sales = db.session.get(Team, tree["Sales"])
        east = db.session.get(Team, tree["East"])
        try:
            teams.update_team(sales, "Sales", east)
        except teams.TeamError:
            pass
        else:
            raise AssertionError("a loop was accepted")
        db.session.rollback()
        assert db.session.get(Team, tree["Sales"]).parent_id is None


def test_tree_lists_departments_with_their_teams_indented(app, admin_client, tree):
    page = admin_client.get("/admin/teams").get_data(as_text=True)
    order = [m for m in re.findall(r">(Sales|East|West|Support)</a>", page)]
    assert order == ["Sales", "East", "West", "Support"]
    assert "department" in page


def test_archive_and_unarchive_a_team(app, admin_client, tree):
    admin_client.post(f"/admin/teams/{tree['Support']}/archive")
    assert team(app, "Support").archived
    page = admin_client.get("/admin/teams").get_data(as_text=True)
    assert "archived" in page
    admin_client.post(f"/admin/teams/{tree['Support']}/unarchive")
    assert not team(app, "Support").archived


def test_a_department_with_active_teams_cannot_be_archived(app, admin_client, tree):
    response = admin_client.post(f"/admin/teams/{tree['Sales']}/archive", follow_redirects=True)
    assert "Archive the teams under “Sales” first." in response.get_data(as_text=True)
    assert not team(app, "Sales").archived


def test_a_team_cannot_be_unarchived_inside_an_archived_department(app, admin_client, tree):
    for name in ("East", "West", "Sales"):
        admin_client.post(f"/admin/teams/{tree[name]}/archive")
    response = admin_client.post(f"/admin/teams/{tree['East']}/unarchive", follow_redirects=True)
    assert "Unarchive the department “Sales” first." in response.get_data(as_text=True)
    assert team(app, "East").archived


def test_nothing_moves_under_an_archived_team(app, admin_client, tree):
    admin_client.post(f"/admin/teams/{tree['Support']}/archive")
    response = admin_client.post("/admin/teams/new", data={"name": "X", "parent": tree["Support"]})
    assert response.status_code == 200
    assert team(app, "X") is None


def test_assign_facilitators_to_a_team(app, admin_client, tree):
    with app.app_context():
        ids = [make_user("facilitator", f"f{i}@example.org").id for i in range(2)]
        researcher = make_user("researcher").id
    admin_client.post(f"/admin/teams/{tree['East']}/facilitators", data={"facilitators": ids})
    with app.app_context():
        assert sorted(u.id for u in db.session.get(Team, tree["East"]).facilitators) == ids
    response = admin_client.post(
        f"/admin/teams/{tree['East']}/facilitators",
        data={"facilitators": [researcher]},
        follow_redirects=True,
    )
    assert "Choose facilitators from the list." in response.get_data(as_text=True)
    admin_client.post(f"/admin/teams/{tree['East']}/facilitators", data={"facilitators": []})
    with app.app_context():
        assert db.session.get(Team, tree["East"]).facilitators == []


def test_facilitator_of_a_department_sees_its_teams_read_only(app, client, tree):
    with app.app_context():
        sales = db.session.get(Team, tree["Sales"])
        login_as(client, make_user("facilitator", teams=[sales]))
    page = client.get("/admin/teams").get_data(as_text=True)
    assert "East" in page and "West" in page and "Support" not in page
    assert "New team or department" not in page
    east = client.get(f"/admin/teams/{tree['East']}").get_data(as_text=True)
    assert "Rename or move" not in east and "Archive" not in east
    assert client.get(f"/admin/teams/{tree['Support']}").status_code == 404
    assert client.get(f"/admin/teams/{tree['East']}/edit").status_code == 404
    assert client.post(f"/admin/teams/{tree['East']}/archive").status_code == 404
    assert client.post("/admin/teams/new", data={"name": "Mine"}).status_code == 404
    assert team(app, "Mine") is None


def test_team_pages_speak_chinese(app, admin_client, tree):
    page = admin_client.get(f"/admin/teams/{tree['East']}", headers={"Accept-Language": "zh-CN"})
    text = page.get_data(as_text=True)
    assert "所属部门" in text and "成员名单" in text


def test_users_page_is_admin_only(app, client):
    with app.app_context():
        login_as(client, make_user("facilitator"))
        assert db.session.scalar(db.select(db.func.count(User.id))) == 1
    assert client.get("/admin/users").status_code == 404


def add_members(app, team_id, *names, active=True):
    with app.app_context():
        for name in names:
            db.session.add(Member(team_id=team_id, name=name, active=active))
        db.session.commit()


def refusal(count=2):
    return (
        f"“Support” has {count} active member(s), so it cannot have teams under it: a department "
        "has no members of its own. Import them into the team they belong to and deactivate them "
        "on the page of “Support” first."
    )


def field_error(response, field):
    """The error text shown under one form field."""
    match = re.search(
        rf'<p class="error" id="{field}-err">(.*?)</p>', response.get_data(as_text=True)
    )
    return match.group(1) if match else None


def test_a_team_with_active_members_cannot_get_a_team_under_it(app, admin_client, tree):
    add_members(app, tree["Support"], "Ann", "Bo")
    add_members(app, tree["Support"], "Cai", active=False)
    response = admin_client.post(
        "/admin/teams/new", data={"name": "Support Infra", "parent": tree["Support"]}
    )
    assert response.status_code == 200
    assert field_error(response, "parent") == refusal()
    assert team(app, "Support Infra") is None
    # Support is still a team: its members can be imported again.
    assert upload(admin_client, "team,name\nSupport,Ann\n").status_code == 302


def test_a_team_cannot_move_under_a_team_with_active_members(app, admin_client, tree):
    add_members(app, tree["Support"], "Ann", "Bo", "Cai")
    response = admin_client.post(
        f"/admin/teams/{tree['East']}/edit", data={"name": "East", "parent": tree["Support"]}
    )
    assert response.status_code == 200
    assert field_error(response, "parent") == refusal(3)
    assert parent_name(app, "East") == "Sales"


def test_an_archived_team_cannot_move_under_a_team_with_active_members(app, admin_client, tree):
    add_members(app, tree["Support"], "Ann")
    admin_client.post(f"/admin/teams/{tree['East']}/archive")
    response = admin_client.post(
        f"/admin/teams/{tree['East']}/edit", data={"name": "East", "parent": tree["Support"]}
    )
    assert field_error(response, "parent") == refusal(1)
    assert parent_name(app, "East") == "Sales"


def test_the_refusal_is_explained_in_chinese(app, admin_client, tree):
    add_members(app, tree["Support"], "Ann", "Bo")
    response = admin_client.post(
        "/admin/teams/new",
        data={"name": "Support Infra", "parent": tree["Support"]},
        headers={"Accept-Language": "zh-CN"},
    )
    assert field_error(response, "parent") == (
        "“Support”有 2 名在册成员，所以下面不能再设团队：部门本身没有成员。"
        "请先把他们导入所属的团队，并在“Support”的页面上停用他们。"
    )


def test_a_team_whose_members_are_all_inactive_can_become_a_department(app, admin_client, tree):
    add_members(app, tree["Support"], "Ann", active=False)
    response = admin_client.post(
        "/admin/teams/new", data={"name": "Support Infra", "parent": tree["Support"]}
    )
    assert response.status_code == 302
    assert parent_name(app, "Support Infra") == "Support"


def test_parent_choices_disable_teams_with_active_members_and_say_why(app, admin_client, tree):
    add_members(app, tree["Support"], "Ann", "Bo")
    page = admin_client.get("/admin/teams/new").get_data(as_text=True)
    option = re.search(rf'<option[^>]*value="{tree["Support"]}"[^>]*>([^<]*)</option>', page)
    assert "disabled" in option.group(0)
    assert option.group(1) == "Support (2 active members)"
    east = re.search(rf'<option[^>]*value="{tree["East"]}"[^>]*>', page).group(0)
    assert "disabled" not in east
    zh = admin_client.get("/admin/teams/new", headers={"Accept-Language": "zh-CN"})
    assert "Support（2 名在册成员）" in zh.get_data(as_text=True)


def test_current_parent_stays_selectable_even_with_active_members(app, admin_client, tree):
    # A department with members of its own, as the team tree allowed before: renaming one of
    # its teams must not move that team to the top level.
    add_members(app, tree["Sales"], "Ann")
    page = admin_client.get(f"/admin/teams/{tree['East']}/edit").get_data(as_text=True)
    sales = re.search(rf'<option[^>]*value="{tree["Sales"]}"[^>]*>', page).group(0)
    assert "selected" in sales and "disabled" not in sales
    response = admin_client.post(
        f"/admin/teams/{tree['East']}/edit", data={"name": "East China", "parent": tree["Sales"]}
    )
    assert response.status_code == 302
    assert parent_name(app, "East China") == "Sales"


def test_deactivating_all_members_lets_a_team_become_a_department(app, admin_client, tree):
    add_members(app, tree["Support"], "Ann", "Bo")
    page = admin_client.get(f"/admin/teams/{tree['Support']}").get_data(as_text=True)
    assert "Deactivate all members" in page
    response = admin_client.post(
        f"/admin/teams/{tree['Support']}/deactivate-members", follow_redirects=True
    )
    assert "2 member(s) of “Support” deactivated." in response.get_data(as_text=True)
    with app.app_context():
        assert not any(m.active for m in db.session.get(Team, tree["Support"]).members)
    response = admin_client.post(
        "/admin/teams/new", data={"name": "Support Infra", "parent": tree["Support"]}
    )
    assert response.status_code == 302
    assert parent_name(app, "Support Infra") == "Support"


def test_deactivating_all_members_speaks_chinese(app, admin_client, tree):
    add_members(app, tree["Support"], "Ann")
    zh = {"Accept-Language": "zh-CN"}
    page = admin_client.get(f"/admin/teams/{tree['Support']}", headers=zh).get_data(as_text=True)
    assert "停用全部成员" in page
    response = admin_client.post(
        f"/admin/teams/{tree['Support']}/deactivate-members", headers=zh, follow_redirects=True
    )
    assert "已停用“Support”的 1 名成员。" in response.get_data(as_text=True)


def test_only_admins_deactivate_all_members(app, client, tree):
    add_members(app, tree["East"], "Ann")
    with app.app_context():
        login_as(client, make_user("facilitator", teams=[db.session.get(Team, tree["East"])]))
    assert "Deactivate all members" not in client.get(f"/admin/teams/{tree['East']}").get_data(
        as_text=True
    )
    assert client.post(f"/admin/teams/{tree['East']}/deactivate-members").status_code == 404
    with app.app_context():
        assert db.session.get(Team, tree["East"]).members[0].active


def test_a_department_with_members_of_its_own_says_what_to_do(app, admin_client, tree):
    add_members(app, tree["Sales"], "Ann")
    page = admin_client.get(f"/admin/teams/{tree['Sales']}").get_data(as_text=True)
    assert "These members belong to a department" in page
    assert "Deactivate all members" in page
    assert "These members belong" not in admin_client.get(f"/admin/teams/{tree['East']}").get_data(
        as_text=True
    )
