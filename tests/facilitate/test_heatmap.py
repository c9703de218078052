"""The heatmap of a closed wave: markup contract, roll-ups, suppression attacks, downloads.

Sales (department) holds Anna (6 answers), Bert (6) and Small (3, below k = 5); Ops holds
Cleo (7). Sales minus Anna and Bert would be Small, so one of them is withheld too.
"""

import csv
import io
import re

import numpy as np
import pytest
from scipy import stats

from surveys import closer, instruments
from surveys.db import db
from surveys.models import (
    GroupScaleResult,
    Response,
    Team,
    TeamScaleResult,
    TrustCalibration,
    User,
)
from surveys.services import calibration, heatmap, team_profiles
from tests.helpers import make_user

FULL = instruments.get("full", "1.0.0")
K = 5


@pytest.fixture
def org(app):
    with app.app_context():
        sales, ops = Team(name="Sales"), Team(name="Ops")
        db.session.add_all([sales, ops])
        db.session.flush()
        teams = {
            name: Team(name=name, parent=parent)
            for name, parent in (("Anna", sales), ("Bert", sales), ("Small", sales), ("Cleo", ops))
        }
        db.session.add_all(teams.values())
        db.session.commit()
        admin = make_user("admin")
        facilitator = make_user("facilitator", email="sales@example.org", teams=[sales])
        ids = {name: t.id for name, t in teams.items()}
        ids.update(sales=sales.id, ops=ops.id, admin=admin.id, facilitator=facilitator.id)
        return ids


@pytest.fixture
def closed(app, client, org, login, make_wave, add_responses):
    wave_id = make_wave([org["Anna"], org["Bert"], org["Small"], org["Cleo"]], k=K)
    for name, n, seed in (("Anna", 6, 1), ("Bert", 6, 2), ("Small", 3, 3), ("Cleo", 7, 4)):
        add_responses(wave_id, org[name], n, seed=seed)
    login(org["admin"])
    assert client.post(f"/manage/waves/{wave_id}/close").status_code == 302
    return wave_id


def _rows(page):
    """(level, team, {scale: (mean or None, n, suppressed)}) of every heatmap row."""
    table = re.search(r'<table id="heatmap".*?</table>', page, re.S).group(0)
    out = []
    for level, team, body in re.findall(
        r'<tr data-level="([^"]+)" data-team="([^"]+)"[^>]*>(.*?)</tr>', table, re.S
    ):
        cells = {}
        for attrs in re.findall(r"<td ([^>]*)>", body):
            scale = re.search(r'data-scale="([^"]+)"', attrs).group(1)
            mean = re.search(r'data-mean="([^"]+)"', attrs)
            n = re.search(r'data-n="(\d+)"', attrs)
            suppressed = re.search(r'data-suppressed="([^"]+)"', attrs)
            cells[scale] = (
                float(mean.group(1)) if mean else None,
                int(n.group(1)) if n else 0,
                suppressed.group(1) if suppressed else None,
            )
        out.append((level, team, cells))
    return out


def test_markup_contract_rows_per_level_and_cells_per_scale(client, closed):
    page = client.get(f"/manage/waves/{closed}/heatmap").get_data(as_text=True)
    rows = _rows(page)
    assert [(level, team) for level, team, _ in rows] == [
        ("organisation", "organisation"),
        ("department", "Ops"),
        ("team", "Cleo"),
        ("department", "Sales"),
        ("team", "Anna"),
        ("team", "Bert"),
        ("team", "Small"),
    ]
    keys = [s.key for s in FULL.scales if s.role == "driver"] + [
        "cognitive_trust",
        "affective_trust",
    ]
    for _, _, cells in rows:
        assert list(cells) == keys
    for attrs in re.findall(r"<td (data-scale[^>]*)>", page):
        mean = re.search(r'data-mean="([^"]*)"', attrs)
        if mean:
            assert re.fullmatch(r"\d\.\d{4}", mean.group(1))
            assert "data-suppressed" not in attrs
        else:
            assert "data-suppressed=" in attrs
    small = dict((team, cells) for _, team, cells in rows)["Small"]
    assert all(c[0] is None and c[2] == "below_k" for c in small.values())
    # A withheld cell carries no number in its text either.
    for td in re.findall(r"<td [^>]*data-suppressed[^>]*>(.*?)</td>", page, re.S):
        assert not re.search(r"\d", td)


def _attack(rows, k):
    """Every subtraction of shown numbers: department minus its shown teams, organisation
    minus its shown departments and the shown teams outside them. Returns the sizes of
    the groups so isolated (respondents with a score)."""
    sizes = []
    organisation = rows[0][2]
    blocks, current = [], None
    for level, _team, cells in rows[1:]:
        if level == "department":
            current = (cells, [])
            blocks.append(current)
        elif current is not None:
            current[1].append(cells)
    for scale, (org_mean, org_n, _) in organisation.items():
        if org_mean is None:
            continue
        covered = 0
        for dept, teams in blocks:
            mean, n, _ = dept[scale]
            shown_teams = [t[scale] for t in teams if t[scale][0] is not None]
            if mean is not None:
                covered += n
                sizes.append(n - sum(t[1] for t in shown_teams))
            else:
                covered += sum(t[1] for t in shown_teams)
        sizes.append(org_n - covered)
    return [size for size in sizes if size != 0]


@pytest.mark.parametrize("who", ["admin", "facilitator"])
def test_no_subtraction_through_the_pages_reveals_a_group_below_k(client, org, closed, login, who):
    login(org[who])
    rows = _rows(client.get(f"/manage/waves/{closed}/heatmap").get_data(as_text=True))
    isolated = _attack(rows, K)
    assert isolated and all(size >= K for size in isolated)
    by_team = {team: cells for _, team, cells in rows}
    # Sales minus Anna minus Bert would be Small: one of the two is withheld on every scale.
    for scale in by_team["Sales"]:
        withheld = [by_team[t][scale][2] for t in ("Anna", "Bert")]
        assert withheld.count("complementary") == 1
    if who == "facilitator":
        assert "Cleo" not in by_team and "Ops" not in by_team


def test_stored_numbers_withstand_every_subtraction(app, org, closed):
    """The same subtractions on the stored rows (what any later view or export reads)."""
    with app.app_context():
        groups = {
            (r.level, r.team_id, r.scale): (r.mean, r.n, r.suppressed)
            for r in db.session.scalars(
                db.select(GroupScaleResult).where(GroupScaleResult.wave_id == closed)
            )
        }
        teams = {
            (r.team_id, r.scale): (r.mean, r.n, r.suppressed)
            for r in db.session.scalars(
                db.select(TeamScaleResult).where(TeamScaleResult.wave_id == closed)
            )
        }
    scales = [s.key for s in FULL.scales]
    rows = [
        ("organisation", "organisation", {k: groups[("organisation", None, k)] for k in scales})
    ]
    for dept, members in (("ops", ["Cleo"]), ("sales", ["Anna", "Bert", "Small"])):
        rows.append(("department", dept, {k: groups[("department", org[dept], k)] for k in scales}))
        rows += [("team", t, {k: teams[(org[t], k)] for k in scales}) for t in members]
    for _, _, cells in rows:
        for mean, _, suppressed in cells.values():
            assert (mean is None) == (suppressed is not None)
    isolated = _attack(rows, K)
    assert isolated and all(size >= K for size in isolated)


def _scale_scores(answers, scale):
    """Respondents' scale scores by hand: reverse-keyed items mirrored (lo + hi - x), the
    mean of the answered items where at least half were answered."""
    items = [item for item in FULL.items if item.scale == scale.key]
    lo, hi = scale.response_scale.min, scale.response_scale.max
    scores, matrix = [], []
    for given in answers:
        row = [
            np.nan
            if it.key not in given
            else (lo + hi - given[it.key])
            if it.reverse
            else given[it.key]
            for it in items
        ]
        matrix.append(row)
        answered = [v for v in row if not np.isnan(v)]
        scores.append(np.mean(answered) if len(answered) >= len(items) / 2 else np.nan)
    return np.array(scores), np.array(matrix, dtype=float)


def test_department_row_pools_its_teams_responses_as_an_independent_computation(app, org, closed):
    """Mean, SD, t interval (no population known: no correction) and rwg(j) of Sales'
    15 pooled responses, Small's three included, computed here with numpy and scipy:
    rwg(j) = J(1 - s2/sigma2) / (J(1 - s2/sigma2) + s2/sigma2), with s2 the mean of the
    item variances and sigma2 = (A^2 - 1)/12 (James, Demaree & Wolf 1984)."""
    with app.app_context():
        answers = db.session.scalars(
            db.select(Response.answers).where(
                Response.wave_id == closed,
                Response.team_id.in_([org["Anna"], org["Bert"], org["Small"]]),
            )
        ).all()
        stored = {
            r.scale: r
            for r in db.session.scalars(
                db.select(GroupScaleResult).where(
                    GroupScaleResult.wave_id == closed,
                    GroupScaleResult.team_id == org["sales"],
                )
            )
        }
    assert len(answers) == 15
    for scale in FULL.scales:
        scores, matrix = _scale_scores(answers, scale)
        x = scores[~np.isnan(scores)]
        row = stored[scale.key]
        assert row.n == x.size
        assert row.mean == pytest.approx(x.mean(), rel=1e-12)
        assert row.sd == pytest.approx(x.std(ddof=1), rel=1e-12)
        half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
        assert row.ci_low == pytest.approx(x.mean() - half, rel=1e-9)
        assert row.ci_high == pytest.approx(x.mean() + half, rel=1e-9)
        a = scale.response_scale.max - scale.response_scale.min + 1
        s2 = np.nanvar(matrix, axis=0, ddof=1).mean()
        ratio = s2 / ((a * a - 1) / 12)
        j = matrix.shape[1]
        rwg = j * (1 - ratio) / (j * (1 - ratio) + ratio) if ratio < 1 else 0.0
        assert row.rwg_j == pytest.approx(max(rwg, 0.0), rel=1e-9, abs=1e-12)


def test_csv_carries_the_same_numbers_and_no_number_where_withheld(client, closed):
    body = client.get(f"/manage/waves/{closed}/heatmap.csv").get_data(as_text=True)
    lines = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    small = [line for line in lines if line["team"] == "Small"]
    assert small and all(line["mean"] == "" and line["suppressed"] == "below_k" for line in small)
    page = client.get(f"/manage/waves/{closed}/heatmap").get_data(as_text=True)
    rows = {team: cells for _, team, cells in _rows(page)}
    anna = {line["scale"]: line for line in lines if line["team"] == "Anna"}
    for scale, (mean, _, _) in rows["Anna"].items():
        assert anna[scale]["mean"] == ("" if mean is None else f"{mean:.4f}")


def test_csv_quotes_a_name_with_a_comma_a_quote_and_a_formula(app, client, org, closed):
    # Written as Python's csv module reads it back; a leading = is neutralised for Excel.
    name = '=Anna, "the" first'
    with app.app_context():
        db.session.get(Team, org["Anna"]).name = name
        db.session.commit()
    body = client.get(f"/manage/waves/{closed}/heatmap.csv").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    header, lines = lines[0], lines[1:]
    assert all(len(line) == len(header) for line in lines)
    anna = [line for line in lines if line[1] == "'" + name]
    assert len(anna) == len({line[2] for line in lines}) > 0  # one line per scale


def test_svg_download_is_a_picture_of_the_rows(client, closed):
    response = client.get(f"/manage/waves/{closed}/heatmap.svg")
    assert response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<?xml") and "<svg" in body and "Sales" in body


def test_open_wave_has_no_heatmap_and_shows_no_score(client, org, login, make_wave, add_responses):
    wave_id = make_wave([org["Anna"]], k=K)
    add_responses(wave_id, org["Anna"], 6, seed=31)
    login(org["admin"])
    for suffix in ("heatmap", "heatmap.csv", "heatmap.svg"):
        response = client.get(f"/manage/waves/{wave_id}/{suffix}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/manage/waves/{wave_id}")
    page = client.get(f"/manage/waves/{wave_id}").get_data(as_text=True)
    assert "once the wave has closed" in page and 'id="heatmap"' not in page


def test_sort_by_a_column_keeps_teams_in_their_department(client, closed):
    url = f"/manage/waves/{closed}/heatmap?sort=familiarity&dir=desc"
    rows = _rows(client.get(url).get_data(as_text=True))
    levels = [level for level, _, _ in rows]
    assert levels[0] == "organisation" and levels.count("department") == 2
    sales = [i for i, (_, team, _) in enumerate(rows) if team == "Sales"][0]
    under = [team for _, team, _ in rows[sales + 1 : sales + 4]]
    assert sorted(under) == ["Anna", "Bert", "Small"]
    shown = [cells["familiarity"][0] for _, team, cells in rows[sales + 1 : sales + 4]]
    numbers = [m for m in shown if m is not None]
    assert numbers == sorted(numbers, reverse=True)
    assert shown[-1] is None


def test_a_team_row_opens_its_team_page_and_a_department_row_has_no_page(client, org, closed):
    page = client.get(f"/manage/waves/{closed}/heatmap").get_data(as_text=True)
    table = re.search(r'<table id="heatmap".*?</table>', page, re.S).group(0)
    headers = dict(
        re.findall(r'<tr data-level="[^"]+" data-team="([^"]+)"[^>]*>\s*(<th.*?</th>)', table, re.S)
    )
    assert f'href="/manage/waves/{closed}/teams/{org["Anna"]}"' in headers["Anna"]
    assert "href" not in headers["Sales"]  # a department: no team page
    assert client.get(f"/manage/waves/{closed}/teams/{org['Anna']}").status_code == 200


def test_the_wave_picker_keeps_the_sort_and_the_colours(client, closed):
    url = f"/manage/waves/{closed}/heatmap?sort=familiarity&dir=desc&mode=absolute"
    page = client.get(url).get_data(as_text=True)
    picker = re.search(r'<form method="get" action="/manage/heatmap".*?</form>', page, re.S)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', picker[0]))
    assert hidden == {"sort": "familiarity", "dir": "desc", "mode": "absolute"}
    response = client.get("/manage/heatmap", query_string={"wave": closed, **hidden})
    location = response.headers["Location"]
    assert "sort=familiarity" in location and "dir=desc" in location and "mode=absolute" in location


def test_wave_page_links_the_heatmap_and_hides_what_the_heatmap_withholds(client, closed):
    page = client.get(f"/manage/waves/{closed}").get_data(as_text=True)
    assert f"/manage/waves/{closed}/heatmap" in page
    heat = {
        t: c
        for _, t, c in _rows(client.get(f"/manage/waves/{closed}/heatmap").get_data(as_text=True))
    }
    withheld = [t for t in ("Anna", "Bert") if heat[t]["familiarity"][2] == "complementary"]
    assert len(withheld) == 1
    # The team's name links to its team page; the row's cells follow its header cell.
    row = re.search(
        rf'<th scope="row"><a href="[^"]*">{withheld[0]}</a>.*?</th>(.*?)</tr>', page, re.S
    ).group(1)
    assert "hidden" in row and not re.search(r"\d\.\d", row)


def test_model_page_shows_defaults_then_the_calibration(
    app, client, org, login, make_wave, add_responses
):
    login(org["admin"])
    page = client.get("/manage/model").get_data(as_text=True)
    assert 'data-calibrated="false"' in page
    wave_id = make_wave([org["Anna"], org["Cleo"]], k=K, name="Big full")
    add_responses(wave_id, org["Anna"], 30, seed=21)
    add_responses(wave_id, org["Cleo"], 30, seed=22)
    client.post(f"/manage/waves/{wave_id}/close")
    # The closer fits the model after a full wave closed, not the close itself.
    assert 'data-calibrated="false"' in client.get("/manage/model").get_data(as_text=True)
    assert closer.close_due_once(app) == 0
    page = client.get("/manage/model").get_data(as_text=True)
    assert 'data-calibrated="true"' in page
    assert f'data-wave="{wave_id}"' in page
    weights = re.findall(r'data-weight="(-?\d\.\d{4})"', page)
    assert len(weights) == 5 + 6
    assert "R²" in page
    # The names every other page uses (the instrument's), not a second pair of names.
    assert "Cognition-based trust" in page and "Affect-based trust" in page
    assert "Cognitive trust" not in page and "Affective trust" not in page


def test_recommendations_rank_by_the_calibrated_model_once_there_is_one(
    app, client, org, login, make_wave, add_responses
):
    full_keys = [scale.key for scale in instruments.get("full", "1.0.0").scales]
    with app.app_context():
        assert team_profiles.trust_model(full_keys).calibrated is False
    login(org["admin"])
    wave_id = make_wave([org["Anna"], org["Cleo"]], k=K, name="Big full")
    add_responses(wave_id, org["Anna"], 30, seed=23)
    add_responses(wave_id, org["Cleo"], 30, seed=24)
    client.post(f"/manage/waves/{wave_id}/close")
    assert closer.close_due_once(app) == 0  # fits the model
    with app.app_context():
        model = team_profiles.trust_model(full_keys)
        assert model.calibrated is True
        assert set(model.drivers) == set(calibration.latest().drivers)


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("en", {"reliability": "Reliability", "interaction": "Interaction frequency"}),
        ("zh_Hans", {"reliability": "可靠性", "interaction": "互动频率"}),
    ],
)
def test_model_page_names_predictors_as_the_instrument_names_its_scales(
    client, org, login, lang, names
):
    login(org["admin"])
    page = client.get(f"/manage/model?lang={lang}").get_data(as_text=True)
    for key, name in names.items():
        assert re.search(rf'<tr data-predictor="{key}"><th scope="row">{name}</th>', page)


def test_pulse_wave_gets_trust_estimates_labelled_by_their_source(
    app, client, org, login, make_wave
):
    pulse = instruments.get("pulse", "1.0.0")
    wave_id = make_wave([org["Anna"], org["Cleo"]], k=K, instrument="pulse")
    rng = np.random.default_rng(5)
    with app.app_context():
        lo, hi = pulse.bounds()
        for team, n in ((org["Anna"], 6), (org["Cleo"], 6)):
            for row in rng.integers(lo.astype(int), hi.astype(int) + 1, size=(n, len(lo))):
                answers = dict(zip(pulse.item_keys, map(int, row), strict=True))
                db.session.add(Response(wave_id=wave_id, team_id=team, answers=answers))
        db.session.commit()
        assert db.session.get(User, org["admin"]) is not None
    login(org["admin"])
    client.post(f"/manage/waves/{wave_id}/close")
    page = client.get(f"/manage/waves/{wave_id}/heatmap").get_data(as_text=True)
    estimated = re.findall(r'<td data-scale="(cognitive_trust|affective_trust)"[^>]*>', page)
    assert estimated
    for td in re.findall(r'<td data-scale="(?:cognitive_trust|affective_trust)"[^>]*>', page):
        assert 'data-estimate="uncalibrated"' in td


def test_a_large_wave_lists_departments_and_opens_one_at_a_time(client, org, closed, monkeypatch):
    monkeypatch.setattr(heatmap, "MAX_TEAM_ROWS", 2)
    rows = _rows(client.get(f"/manage/waves/{closed}/heatmap").get_data(as_text=True))
    assert [level for level, _, _ in rows] == ["organisation", "department", "department"]
    page = client.get(f"/manage/waves/{closed}/heatmap?open={org['sales']}").get_data(as_text=True)
    assert [team for _, team, _ in _rows(page)] == [
        "organisation",
        "Ops",
        "Sales",
        "Anna",
        "Bert",
        "Small",
    ]
    assert "show teams (1)" in page and "hide teams" in page


def _close_second_wave(app, client, org, make_wave, add_responses):
    """A second full wave of the same teams: Bert answers at the top everywhere (a clear
    rise), Cleo 3 times (below k now, though shown in the first wave), the others at
    random."""
    wave_id = make_wave([org["Anna"], org["Bert"], org["Small"], org["Cleo"]], k=K, name="Autumn")
    with app.app_context():
        lo, hi = FULL.bounds()
        for _ in range(6):
            answers = {
                item.key: int(lo[i]) if item.reverse else int(hi[i])
                for i, item in enumerate(FULL.items)
            }
            db.session.add(Response(wave_id=wave_id, team_id=org["Bert"], answers=answers))
        db.session.commit()
    for name, n, seed in (("Anna", 3, 12), ("Small", 5, 13), ("Cleo", 3, 14)):
        add_responses(wave_id, org[name], n, seed=seed)
    assert client.post(f"/manage/waves/{wave_id}/close").status_code == 302
    return wave_id


def test_change_is_stored_only_where_both_waves_show_the_cell(
    app, client, org, closed, make_wave, add_responses
):
    """The change and its Welch interval against scipy: difference of the two shown means,
    half-width t(0.975, df) * sqrt(s1^2/n1 + s2^2/n2), df by Welch-Satterthwaite."""
    second = _close_second_wave(app, client, org, make_wave, add_responses)
    with app.app_context():
        before = {
            (r.team_id, r.scale): r
            for r in db.session.scalars(
                db.select(TeamScaleResult).where(TeamScaleResult.wave_id == closed)
            )
        }
        after = {
            (r.team_id, r.scale): r
            for r in db.session.scalars(
                db.select(TeamScaleResult).where(TeamScaleResult.wave_id == second)
            )
        }
    checked = 0
    for key, now in after.items():
        then = before[key]
        if now.mean is None or then.mean is None:
            assert now.change is None and now.change_ci_low is None
            continue
        assert now.previous_wave_id == closed
        assert now.change == pytest.approx(now.mean - then.mean, abs=1e-12)
        v1, v2 = then.sd**2 / then.n, now.sd**2 / now.n
        df = (v1 + v2) ** 2 / (v1**2 / (then.n - 1) + v2**2 / (now.n - 1))
        half = stats.t.ppf(0.975, df) * np.sqrt(v1 + v2)
        assert now.change_ci_low == pytest.approx(now.change - half, rel=1e-9)
        checked += 1
    assert checked > 0
    # Cleo is below k now: no change, though it was shown before.
    assert all(before[(org["Cleo"], s.key)].mean is not None for s in FULL.scales)
    assert all(after[(org["Cleo"], s.key)].change is None for s in FULL.scales)
    page = client.get(f"/manage/waves/{second}/heatmap").get_data(as_text=True)
    bert = re.search(r'data-team="Bert".*?</tr>', page, re.S).group(0)
    assert "▲" in bert  # all answers at the top: a rise whose interval excludes zero
    # Across waves: Cleo's earlier mean plus a change would give its hidden mean now.
    cleo = re.search(r'data-team="Cleo".*?</tr>', page, re.S).group(0)
    assert "▲" not in cleo and "▼" not in cleo and "data-mean" not in cleo


def test_pulse_wave_after_a_calibration_gets_calibrated_estimates_from_it(
    app, client, org, login, make_wave, add_responses
):
    """The estimate by hand from the stored calibration: c = a_c + x . b_c and
    a = a_a + x . b_a + b_ac * c, with x the team's stored driver means."""
    login(org["admin"])
    full = make_wave([org["Anna"], org["Cleo"]], k=K, name="Full")
    add_responses(full, org["Anna"], 30, seed=41)
    add_responses(full, org["Cleo"], 30, seed=42)
    client.post(f"/manage/waves/{full}/close")
    closer.close_due_once(app)
    pulse = instruments.get("pulse", "1.0.0")
    wave_id = make_wave([org["Anna"], org["Cleo"]], k=K, instrument="pulse", name="Pulse")
    rng = np.random.default_rng(6)
    with app.app_context():
        lo, hi = pulse.bounds()
        for team in (org["Anna"], org["Cleo"]):
            for row in rng.integers(lo.astype(int), hi.astype(int) + 1, size=(6, len(lo))):
                answers = dict(zip(pulse.item_keys, map(int, row), strict=True))
                db.session.add(Response(wave_id=wave_id, team_id=team, answers=answers))
        db.session.commit()
    client.post(f"/manage/waves/{wave_id}/close")
    with app.app_context():
        model = db.session.scalars(db.select(TrustCalibration)).one()
        stored = {
            r.scale: r
            for r in db.session.scalars(
                db.select(TeamScaleResult).where(
                    TeamScaleResult.wave_id == wave_id, TeamScaleResult.team_id == org["Cleo"]
                )
            )
        }
    x = np.array([stored[d].mean for d in model.drivers])
    cog = model.cognitive["intercept"] + x @ np.array(model.cognitive["slopes"])
    slopes = np.array(model.affective["slopes"])
    aff = model.affective["intercept"] + x @ slopes[:-1] + slopes[-1] * cog
    assert stored["cognitive_trust"].estimate == "calibrated"
    assert stored["cognitive_trust"].mean == pytest.approx(cog, rel=1e-12)
    assert stored["affective_trust"].mean == pytest.approx(aff, rel=1e-12)
    assert stored["familiarity"].estimate is None
    page = client.get(f"/manage/waves/{wave_id}/heatmap").get_data(as_text=True)
    cell = re.search(r'<tr data-level="team" data-team="Cleo".*?</tr>', page, re.S).group(0)
    assert 'data-scale="cognitive_trust" data-mean=' in cell
    assert 'data-estimate="calibrated"' in cell
