"""Every user-facing string exists in zh-Hans, and the compiled catalog is current."""

from surveys import i18n_catalog


def test_every_translatable_string_has_a_zh_hans_translation():
    gaps = i18n_catalog.missing()
    assert gaps == {}, "untranslated: " + "; ".join(f"{m!r} at {p[0]}" for m, p in gaps.items())


def test_compiled_catalog_matches_the_parts():
    compiled = (i18n_catalog.LOCALE_DIR / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert compiled == i18n_catalog.compiled_bytes(i18n_catalog.merged()), (
        "run: python -m surveys.i18n_catalog"
    )


def test_extraction_finds_template_and_python_strings():
    found = i18n_catalog.extracted()
    assert "Skip to content" in found
    assert "Please sign in to see this page." in found
