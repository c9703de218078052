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
# Brackets and question marks are wrong in Chinese text wherever they stand, also next to
# Latin text (时间（UTC）, （选填）); only placeholders and formula symbols keep theirs.
HALF_WIDTH_ANYWHERE = re.compile(r"[()?]")
KEEPS_HALF_WIDTH = re.compile(r"%\([a-z_]+\)[sd]|rwg\(j\)")


def _chinese_texts():
    for message in i18n_catalog.merged():
        if message.id and message.string:
            yield f"msgid {message.id!r}", message.string
    for inst in instruments.shipped().values():
        yield f"{inst.key} name", inst.name.get("zh", "")
        yield f"{inst.key} description", inst.description.get("zh", "")
        for scale in inst.scales:
            yield f"{inst.key} {scale.key} name", scale.name.get("zh", "")
            labels = scale.response_scale.labels.get("zh") or []
            yield f"{inst.key} {scale.key} labels", " ".join(labels)
            for item in scale.items:
                yield f"{inst.key} item {item.key}", item.text.get("zh", "")


def _has_half_width_punctuation(text: str) -> bool:
    text = KEEPS_HALF_WIDTH.sub("", text)
    return bool(HALF_WIDTH_NEXT_TO_HAN.search(text) or HALF_WIDTH_ANYWHERE.search(text))


def test_chinese_text_uses_full_width_punctuation():
    # Chinese text takes ，；：？！（） ; a half-width mark reads as a typo.
    wrong = [(where, text) for where, text in _chinese_texts() if _has_half_width_punctuation(text)]
    assert wrong == []


def test_punctuation_check_catches_half_width_brackets_and_question_marks():
    assert _has_half_width_punctuation("团队信任调查(完整版)")
    assert _has_half_width_punctuation("你多久与同事相处(吃饭、散步)?")
    assert _has_half_width_punctuation("结束时间(UTC)")
    assert _has_half_width_punctuation("真的吗?")
    assert not _has_half_width_punctuation("团队信任调查（完整版）")
    assert not _has_half_width_punctuation("已生成邀请：%(n)d 份。平均 rwg(j)")
