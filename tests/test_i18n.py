"""Every user-facing string exists in zh-Hans, and the committed catalog is compiled from it.

The catalog is made by Flask-Babel's workflow (``bash scripts/translations``: pybabel
extract, update, compile). These tests compare messages, never bytes: the compiled file's
header names the Babel release that wrote it.
"""

import io
import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from surveys import instruments, playbooks

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "surveys" / "translations" / "zh_Hans" / "LC_MESSAGES"
RUN = "run: bash scripts/translations"
# The keywords scripts/translations passes to pybabel extract with -k.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def _po():
    with (CATALOG / "messages.po").open("rb") as f:
        return read_po(f, locale="zh_Hans")


def _messages(catalog) -> dict:
    """msgid -> msgstr of every message but the header (plural ids and strings as tuples)."""
    return {m.id: m.string for m in catalog if m.id}


def _extracted() -> dict[str, str]:
    """Every translatable msgid in the sources, as pybabel extract finds it, with one place."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_every_translatable_string_has_a_zh_hans_translation():
    po = _po()
    gaps = [
        f"{msgid!r} at {place}"
        for msgid, place in sorted(_extracted().items())
        if msgid not in po or not po[msgid].string or po[msgid].fuzzy
    ]
    assert gaps == [], f"untranslated or fuzzy ({RUN}, then translate): " + "; ".join(gaps)


def test_catalog_keeps_no_message_that_the_sources_no_longer_have():
    stale = sorted(set(_messages(_po())) - set(_extracted()))
    assert stale == [], f"{RUN}: " + "; ".join(map(repr, stale))


def test_compiled_catalog_has_exactly_the_messages_of_the_po():
    compiled = io.BytesIO()
    write_mo(compiled, _po())
    compiled.seek(0)
    with (CATALOG / "messages.mo").open("rb") as f:
        committed = read_mo(f)
    assert _messages(committed) == _messages(read_mo(compiled)), RUN


def test_translations_keep_the_placeholders_of_their_msgid():
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _po().check()]
    assert problems == []


def test_extraction_finds_template_and_python_strings():
    found = _extracted()
    assert "Skip to content" in found  # base.html
    assert "Please sign in to see this page." in found  # _l() in access.py


HALF_WIDTH_NEXT_TO_HAN = re.compile(r"[\u4e00-\u9fff][,;:?!]|[,;:?!][\u4e00-\u9fff]")
# Brackets and question marks are wrong in Chinese text wherever they stand, also next to
# Latin text (时间（UTC）, （选填）); only placeholders and formula symbols keep theirs.
HALF_WIDTH_ANYWHERE = re.compile(r"[()?]")
KEEPS_HALF_WIDTH = re.compile(r"%\([a-z_]+\)(?:\.\d+)?[sdf]|rwg\(j\)|ICC\([12]\)")


def _chinese_texts():
    for message in _po():
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
    for playbook in playbooks.listed():
        for field in playbooks.TEXTS:
            yield f"playbook {playbook.key} {field}", playbook.text(field, "zh")
        for field in playbooks.LISTS:
            for entry in playbook.entries(field, "zh"):
                yield f"playbook {playbook.key} {field}", entry


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
    assert not _has_half_width_punctuation("rwg(j) 低于 %(v).2f")


def test_chinese_text_calls_the_facilitator_and_the_pulse_survey_by_one_hr_word_each():
    # One word per role across the interface, instruments and playbooks: 引导师 (not 引导者
    # or 促进者), and 脉搏调研 for a pulse survey (not 脉冲调查).
    texts = list(_chinese_texts())
    assert [w for w, text in texts if re.search("引导者|促进者|协调人", text)] == []
    assert [w for w, text in texts if re.search("脉冲|脉搏调查", text)] == []
    assert any("引导师" in text for _, text in texts)
    assert any("脉搏调研" in text for _, text in texts)
