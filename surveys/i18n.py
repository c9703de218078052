"""Languages: zh-Hans and en everywhere.

The choice follows ?lang=, then the session, then the browser. The survey page's switch
posts the form instead of following a ?lang= link, and sets the session itself.
"""

import datetime as dt
from urllib.parse import urlencode

from babel.dates import get_datetime_format
from flask import request, session, url_for
from flask_babel import Babel, format_date, format_time, get_locale, refresh

from surveys.config import UI_LANGUAGES

babel = Babel()


def select_locale() -> str:
    chosen = request.args.get("lang")
    if chosen in UI_LANGUAGES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in UI_LANGUAGES:
        return session["lang"]
    for value, _quality in request.accept_languages:
        tag = value.lower()
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return "en"


def choose_language(lang: str) -> None:
    """Switch to ``lang`` for the rest of this request and, like ?lang=, for later ones.

    For the survey page's switch, which posts the form rather than follow a ?lang= link.
    An unknown value changes nothing, as with ?lang=.
    """
    if lang in UI_LANGUAGES:
        session["lang"] = lang
        refresh()  # Flask-Babel keeps the locale it already chose for this request


def instrument_language() -> str:
    """The key instruments use for the current language ('zh' or 'en')."""
    return "zh" if str(get_locale()).startswith("zh") else "en"


def format_date_time(value: dt.datetime) -> str:
    """A stored (UTC) time as a long date and hours and minutes, in the current language.

    Babel's datetime formats show seconds and a zone at every length that spells the month
    out; respondents read a long date, as elsewhere on their pages, and a minute is precise
    enough. The two parts are joined the way the locale joins a date and a time.
    """
    joined = get_datetime_format("long", locale=get_locale()).replace("'", "")
    # rebase=False: the value is already UTC, which the pages say; no other zone applies.
    time = format_time(value, "short", rebase=False)
    return joined.replace("{0}", time).replace("{1}", format_date(value, "long"))


def switch_url(lang: str) -> str:
    """This page in another language."""
    args = dict(request.view_args or {})
    args.update(request.args.to_dict())
    args["lang"] = lang
    if "token" in (request.view_args or {}):
        # A respondent's link: a query-only relative URL keeps the token out of the page.
        return "?" + urlencode({k: v for k, v in args.items() if k not in request.view_args})
    return url_for(request.endpoint or "respond.index", **args)


def init_app(app):
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        LANGUAGES=UI_LANGUAGES, switch_url=switch_url, instrument_language=instrument_language
    )

    @app.context_processor
    def html_lang():
        return {"html_lang": "zh-Hans" if str(get_locale()).startswith("zh") else "en"}
