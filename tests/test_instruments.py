"""The shipped instruments and the instrument file validator."""

from __future__ import annotations

import dataclasses
import difflib
import re
from pathlib import Path

import pytest

from surveys import instruments
from tests.helpers import pulse_copy
from trust.instrument import InstrumentError, load_instrument

DRIVERS = {"familiarity", "similarity", "interaction", "openness", "reliability"}

GOOD = """
[instrument]
key = "ext"
version = "2"
name = { en = "External" }

[response_scales.zero]
min = 0
max = 6

[[scales]]
key = "s1"
response_scale = "zero"
[[scales.items]]
key = "Q1 (team)"
[[scales.items]]
key = "Q2"
reverse = true
"""


def write(tmp_path, text: str):
    path = tmp_path / "inst.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_instrument_has_every_scale_of_the_model_in_both_languages():
    full = instruments.get("full", "1.0.0")
    keys = {s.key for s in full.scales}
    assert keys == DRIVERS | {"propensity", "cognitive_trust", "affective_trust"}
    assert 30 <= len(full.items) <= 40
    assert full.scale("interaction").response_scale.key == "frequency"
    assert full.scale("propensity").role == "control"
    assert {s.key for s in full.scales if s.role == "outcome"} == {
        "cognitive_trust",
        "affective_trust",
    }
    for item in full.items:
        assert item.text["en"].strip() and item.text["zh"].strip()
    assert full.reverse_mask().sum() >= 5


# The shipped 1.0.0 structure: waves pin key and version, so a published version keeps
# its item keys and which items are reverse-keyed.
FULL_1_0_0_ITEMS = {
    "familiarity": ["fam1", "fam2", "fam3", "fam4", "fam5"],
    "similarity": ["sim1", "sim2", "sim3", "sim4", "sim5"],
    "interaction": ["int1", "int2", "int3", "int4", "int5"],
    "openness": ["opn1", "opn2", "opn3", "opn4", "opn5"],
    "reliability": ["rel1", "rel2", "rel3", "rel4", "rel5"],
    "propensity": ["pro1", "pro2", "pro3", "pro4"],
    "cognitive_trust": ["cog1", "cog2", "cog3", "cog4", "cog5"],
    "affective_trust": ["aff1", "aff2", "aff3", "aff4", "aff5"],
}
FULL_1_0_0_REVERSED = {"fam4", "sim4", "opn4", "rel3", "pro3", "cog3", "aff4"}

# McAllister (1995), Academy of Management Journal 38(1), 24-59: the published items of the
# two outcome constructs, quoted only to check that no item of ours rewords them.
MCALLISTER_1995 = [
    "We have a sharing relationship. We can both freely share our ideas, feelings, and hopes.",
    "I can talk freely to this individual about difficulties I am having at work and know "
    "that (s)he will want to listen.",
    "We would both feel a sense of loss if one of us was transferred and we could no longer "
    "work together.",
    "If I shared my problems with this person, I know (s)he would respond constructively and "
    "caringly.",
    "I would have to say that we have both made considerable emotional investments in our "
    "working relationship.",
    "This person approaches his/her job with professionalism and dedication.",
    "Given this person's track record, I see no reason to doubt his/her competence and "
    "preparation for the job.",
    "I can rely on this person not to make my job more difficult by careless work.",
    "Most people, even those who aren't close friends of this individual, trust and respect "
    "him/her as a coworker.",
    "Other work associates of mine who must interact with this individual consider him/her to "
    "be trustworthy.",
    "If people knew more about this individual and his/her background, they would be more "
    "concerned and monitor his/her performance more closely.",
]
FUNCTION_WORDS = {
    "i",
    "a",
    "an",
    "the",
    "to",
    "of",
    "and",
    "or",
    "my",
    "me",
    "we",
    "us",
    "our",
    "this",
    "that",
    "is",
    "are",
    "be",
    "would",
    "can",
    "if",
    "with",
    "for",
    "in",
    "on",
    "at",
    "about",
    "have",
    "has",
    "it",
    "they",
    "their",
    "them",
    "he",
    "she",
    "his",
    "her",
    "s",
    "who",
    "what",
    "when",
    "not",
    "no",
}


def _content_words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower())) - FUNCTION_WORDS


def test_full_1_0_0_keeps_its_item_keys_and_reverse_keys():
    full = instruments.get("full", "1.0.0")
    assert {s.key: [i.key for i in s.items] for s in full.scales} == FULL_1_0_0_ITEMS
    assert {i.key for i in full.items if i.reverse} == FULL_1_0_0_REVERSED


def test_no_item_rewords_a_published_mcallister_item():
    # A tripwire, not a proof: the close paraphrases once shipped (aff1, aff2, aff3, cog5)
    # reached 0.5 on one of these measures; the items that replaced them stay below 0.45.
    for item in instruments.get("full", "1.0.0").items:
        ours = item.text["en"]
        for published in MCALLISTER_1995:
            shared = _content_words(ours) & _content_words(published)
            overlap = len(shared) / min(len(_content_words(ours)), len(_content_words(published)))
            similarity = difflib.SequenceMatcher(None, ours.lower(), published.lower()).ratio()
            assert overlap < 0.5 and similarity < 0.5, (item.key, ours, published)


def test_response_labels_mean_the_same_in_both_languages():
    # 说不清 ("can't say") is a non-answer, not the agreement scale's neutral middle.
    for inst in instruments.shipped().values():
        agree = inst.response_scales["agree"].labels
        assert agree["en"][2] == "Neither agree nor disagree"
        assert agree["zh"] == ("非常不同意", "不同意", "既不同意也不反对", "同意", "非常同意")
        assert inst.response_scales["frequency"].labels["zh"] == (
            "从不",
            "每年几次",
            "大约每月一次",
            "大约每周一次",
            "几乎每天",
        )


def test_pulse_instrument_carries_drivers_only_with_full_item_keys():
    pulse = instruments.get("pulse", "1.0.0")
    full = instruments.get("full", "1.0.0")
    assert {s.key for s in pulse.scales} == DRIVERS
    assert 8 <= len(pulse.items) <= 12
    assert set(pulse.item_keys) <= set(full.item_keys)
    for item in pulse.items:
        assert item.text == full.item(item.key).text
        assert item.reverse == full.item(item.key).reverse


def test_external_instrument_needs_no_texts_and_may_start_at_zero(tmp_path):
    inst = load_instrument(write(tmp_path, GOOD))
    assert inst.item_keys == ("Q1 (team)", "Q2")
    lo, hi = inst.bounds()
    assert lo.tolist() == [0, 0] and hi.tolist() == [6, 6]
    assert inst.scale("s1").response_scale.n_options == 7
    assert inst.reverse_mask().tolist() == [False, True]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('key = "Q2"', 'key = "Q1 (team)"'), "item 'Q1 (team)': duplicate item key"),
        (("reverse = true", 'reverse = "yes"'), "item 'Q2': reverse must be true or false"),
        (('response_scale = "zero"', 'response_scale = "nope"'), "response_scale 'nope'"),
        (("max = 6", "max = 0"), "response scale 'zero': max (0) must be greater than min (0)"),
        (("min = 0", "min = 0.5"), "response scale 'zero': min must be an integer"),
        (
            ('[[scales.items]]\nkey = "Q2"', '[[scales.items]]\nkey = "Q2"\ncolour = 1'),
            "item 'Q2': unknown key 'colour'; allowed: key, text, reverse",
        ),
        (('name = { en = "External" }', 'name = { fr = "Externe" }'), "unknown language 'fr'"),
        (
            ("[instrument]", "[instrumentx]"),
            "top level: unknown key 'instrumentx' (did you mean 'instrument'?)",
        ),
    ],
)
def test_bad_instrument_names_file_place_and_problem(tmp_path, change, expected):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    message = str(info.value)
    assert message.startswith(str(path) + ": ")
    assert expected in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("reverse = true", "revers = true"),
            "item 'Q2': unknown key 'revers' (did you mean 'reverse'?)",
        ),
        (
            ('response_scale = "zero"', 'response_scale = "zero"\nrol = "outcome"'),
            "scale 's1': unknown key 'rol' (did you mean 'role'?)",
        ),
        (
            ("max = 6", "max = 6\nlables = {}"),
            "response scale 'zero': unknown key 'lables' (did you mean 'labels'?)",
        ),
        (
            ('version = "2"', 'verison = "2"'),
            "[instrument]: unknown key 'verison' (did you mean 'version'?)",
        ),
        (("[[scales]]", "[[scale]]"), "top level: unknown key 'scale' (did you mean 'scales'?)"),
        (('key = "s1"', 'kye = "s1"'), "scale #1: unknown key 'kye' (did you mean 'key'?)"),
        (
            ("reverse = true", "reverse = true\nweight = 2\nnotes = 'x'"),
            "item 'Q2': unknown keys 'weight', 'notes'",
        ),
    ],
)
def test_unknown_key_is_refused_with_the_nearest_known_one(tmp_path, change, expected):
    # A typo such as ``revers = true`` would otherwise score a reverse-keyed item as plain.
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert str(info.value).startswith(f"{path}: {expected}")


def test_error_keeps_file_place_and_problem_apart(tmp_path):
    path = write(tmp_path, GOOD.replace("reverse = true", 'reverse = "yes"'))
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    error = info.value
    assert (error.source, error.where) == (str(path), "item 'Q2'")
    assert error.detail == "item 'Q2': reverse must be true or false, not 'yes'"
    assert str(error) == f"{path}: {error.detail}"


def test_readme_external_instrument_example_loads(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Analyse a CSV from another tool", 1)[1]
    example = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    inst = load_instrument(write(tmp_path, example))
    assert inst.item_keys == ("Q1", "Q2", "Q3")
    assert inst.reverse_mask().tolist() == [False, True, False]


def test_product_instruments_require_both_languages(tmp_path):
    text = GOOD.replace(
        '[[scales.items]]\nkey = "Q2"', '[[scales.items]]\nkey = "Q2"\ntext = { en = "Hi" }'
    )
    with pytest.raises(InstrumentError, match="the zh text is missing|missing"):
        load_instrument(write(tmp_path, text), require_languages=("en", "zh"))


def test_labels_must_match_the_number_of_options(tmp_path):
    text = GOOD.replace("max = 6", 'max = 6\nlabels = { en = ["a", "b"] }')
    with pytest.raises(InstrumentError, match="en labels has 2 entries; 7 needed for 0..6"):
        load_instrument(write(tmp_path, text))


def test_unreadable_and_non_toml_files_are_named(tmp_path):
    with pytest.raises(InstrumentError, match="cannot read"):
        load_instrument(tmp_path / "missing.toml")
    with pytest.raises(InstrumentError, match="not valid TOML"):
        load_instrument(write(tmp_path, "[instrument\n"))
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("name = 'caf\xe9'".encode("latin-1"))
    with pytest.raises(InstrumentError, match="not UTF-8"):
        load_instrument(bad)


def test_latest_compares_versions_with_text_parts_without_crashing():
    pulse = instruments.get("pulse", "1.0.0")
    beta = dataclasses.replace(pulse, version="1.0.beta")
    two = dataclasses.replace(pulse, version="1.1")
    catalogue = instruments.Catalogue(
        {("pulse", "1.0.0"): pulse, ("pulse", "1.0.beta"): beta, ("pulse", "1.1"): two}
    )
    assert [i.version for i in catalogue.latest()] == ["1.1"]
    catalogue = instruments.Catalogue({("pulse", "1.0.beta"): beta, ("pulse", "1.0.0"): pulse})
    assert [i.version for i in catalogue.latest()] == ["1.0.0"]


def test_a_bad_file_is_refused_with_its_problem_and_the_others_still_load(tmp_path):
    own = tmp_path / "instruments"
    good = pulse_copy(own, "a_good.toml", key="team_pulse")
    bad = pulse_copy(
        own,
        "b_bad.toml",
        key="typo_pulse",
        change=('key = "sim4"\n', 'key = "sim4"\nrevers = true\n'),
    )
    catalogue = instruments.load([instruments.FOLDER, own])
    assert set(catalogue.instruments) == {
        ("full", "1.0.0"),
        ("pulse", "1.0.0"),
        ("team_pulse", "1.0.0"),
    }
    assert catalogue.get("team_pulse", "1.0.0").source == str(good)
    [refusal] = catalogue.refused
    assert refusal.path == bad and refusal.duplicate_of is None
    assert refusal.detail.startswith("item 'sim4': unknown key 'revers' (did you mean 'reverse'?)")
    assert refusal.message() == f"{bad}: {refusal.detail}"


def test_a_copy_with_a_shipped_key_and_version_is_refused_naming_both_files(tmp_path):
    own = tmp_path / "instruments"
    copy = pulse_copy(own, "pulse.toml", change=("两道题", "三道题"))
    catalogue = instruments.load([instruments.FOLDER, own])
    assert catalogue.get("pulse", "1.0.0").source == str(instruments.FOLDER / "pulse.toml")
    [refusal] = catalogue.refused
    assert (refusal.path, refusal.duplicate_of) == (copy, instruments.FOLDER / "pulse.toml")
    assert refusal.duplicates_shipped
    assert str(copy) in refusal.message()
    assert str(instruments.FOLDER / "pulse.toml") in refusal.message()


def test_of_two_own_files_with_one_key_and_version_the_first_by_name_wins(tmp_path):
    own = tmp_path / "instruments"
    first = pulse_copy(own, "a.toml", key="mine")
    second = pulse_copy(own, "b.toml", key="mine")
    catalogue = instruments.load([instruments.FOLDER, own])
    assert catalogue.get("mine", "1.0.0").source == str(first)
    [refusal] = catalogue.refused
    assert (refusal.path, refusal.duplicate_of, refusal.duplicates_shipped) == (
        second,
        first,
        False,
    )
    assert "'mine' version '1.0.0' is already defined in" in refusal.detail


def test_a_missing_instance_folder_is_no_problem(tmp_path):
    catalogue = instruments.load([instruments.FOLDER, tmp_path / "nowhere"])
    assert set(catalogue.instruments) == set(instruments.shipped())
    assert catalogue.refused == ()


def test_an_unknown_instrument_is_a_named_lookup_error():
    with pytest.raises(instruments.InstrumentUnavailableError) as info:
        instruments.get("full", "9.9")
    assert (info.value.key, info.value.version) == ("full", "9.9")
    assert str(info.value) == "instrument 'full' version '9.9' is not loaded"
    assert isinstance(info.value, KeyError)
