"""The app factory, static files, security headers and languages."""


def test_landing_page_follows_browser_language(client):
    zh = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    en = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="zh-Hans">' in zh.get_data(as_text=True)
    assert "团队信任调查" in zh.get_data(as_text=True)
    assert "Team trust survey" in en.get_data(as_text=True)


def test_language_switch_sticks_for_the_session(client):
    client.get("/?lang=zh_Hans", headers={"Accept-Language": "en"})
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "团队信任调查" in page


def test_stylesheet_is_served_from_static(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert b".options" in response.data


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_form_fields_carry_aria_attributes_only_when_invalid(client):
    page = client.post("/auth/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert 'aria-invalid="None"' not in page and 'aria-describedby="None"' not in page
    assert 'aria-invalid="true"' in page
    fresh = client.get("/auth/login").get_data(as_text=True)
    assert "aria-invalid" not in fresh
