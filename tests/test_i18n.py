"""Every user-facing string exists in zh-Hans, and the compiled catalog is current."""

import re

from surveys import i18n_catalog, instruments


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


HALF_WIDTH_NEXT_TO_HAN = re.compile(r"[\u4e00-\u9fff][,;:?!]|[,;:?!][\u4e00-\u9fff]")


def _chinese_texts():
    for message in i18n_catalog.merged():
        if message.id and message.string:
            yield f"msgid {message.id!r}", message.string
    for inst in instruments.shipped().values():
        for scale in inst.scales:
            labels = scale.response_scale.labels.get("zh") or []
            yield f"{inst.key} {scale.key} labels", " ".join(labels)
            for item in scale.items:
                yield f"{inst.key} item {item.key}", item.text.get("zh", "")


def test_chinese_text_uses_full_width_punctuation():
    # Chinese text takes ，；：？！ ; a half-width mark next to a Han character reads as a typo.
    wrong = [(where, text) for where, text in _chinese_texts()
             if HALF_WIDTH_NEXT_TO_HAN.search(text)]
    assert wrong == []
