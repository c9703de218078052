"""The codebook of a research export, and the scripts that read the export in R and SPSS.

:func:`describe` builds one description of the export (every column of every file, item
texts and response labels in both languages, reverse keys, scale membership, the missing
value, the instruments, each wave's k and what was left out and why); ``codebook.json``,
``codebook.csv``, ``load.R`` and ``load.sps`` are all written from it, so they cannot
disagree. Descriptions are written in English and Chinese side by side: the files are read
by people of either language, whatever language the exporter's page was in.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from surveys.services import organisation, results

if TYPE_CHECKING:
    from surveys.services.export import Plan

MISSING = ""  # the missing-value code: an empty cell
# Why teams were left out of an export (Plan.left_out).
BELOW_K = "below_k"  # fewer responses than the wave's k
WITHHELD = "withheld"  # numbers withheld by the product to protect a group below k
CODEBOOK_CSV_COLUMNS = (
    "file",
    "column",
    "type",
    "description_en",
    "description_zh",
    "scale",
    "reverse",
    "values_en",
    "values_zh",
)


def _t(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _texts() -> dict:
    with open(Path(__file__).with_name("codebook.toml"), "rb") as f:
        return tomllib.load(f)


TEXTS = _texts()


def _spec(section: str) -> dict[str, tuple[str, dict[str, str]]]:
    """{column: (type, {en, zh})} of one section of codebook.toml."""
    return {
        name: (entry["type"], _t(entry["en"], entry["zh"]))
        for name, entry in TEXTS[section].items()
    }


ROW_HEAD = _spec("row")
TEAM_STATS = _spec("team_scale")
SCALE_STATS = {"wave": ROW_HEAD["wave"], **_spec("scale")}
COMMENT_HEAD = {**{n: ROW_HEAD[n] for n in ("wave", "team", "department")}, **_spec("comment")}
CODEBOOK_HEAD = _spec("codebook")
FILE_TEXT = {name: _t(entry["en"], entry["zh"]) for name, entry in TEXTS["file"].items()}


def _scale_name(plan: Plan, key: str) -> dict[str, str]:
    for inst in plan.instruments.values():
        for scale in inst.scales:
            if scale.key == key:
                return dict(scale.name)
    return _t(key, key)


def _column(name: str, kind: str, description: dict[str, str], **more) -> dict:
    return {"name": name, "type": kind, "description": description, **more}


def _item_column(plan: Plan, key: str) -> dict:
    for inst in plan.instruments.values():
        if key in inst.item_keys:
            item = inst.item(key)
            rs = inst.scale(item.scale).response_scale
            values = {
                lang: {
                    str(v): label
                    for v, label in zip(range(rs.min, rs.max + 1), labels, strict=True)
                }
                for lang, labels in rs.labels.items()
            }
            return _column(
                key,
                "integer",
                _t(
                    f"Answer to item {key} ({rs.min} to {rs.max}), as given.",
                    f"题目 {key} 的原始作答（{rs.min} 至 {rs.max}）。",
                ),
                text=dict(item.text),
                scale=item.scale,
                reverse=item.reverse,
                min=rs.min,
                max=rs.max,
                values=values,
            )
    raise KeyError(key)


def _columns(plan: Plan) -> dict[str, list[dict]]:
    head = [_column(n, *ROW_HEAD[n]) for n in ROW_HEAD]
    scores = [
        _column(
            s,
            "number",
            _t(
                f"Score on {_scale_name(plan, s).get('en', s)} ({s}).",
                f"{_scale_name(plan, s).get('zh', s)}（{s}）得分。",
            ),
            scale=s,
        )
        for s in plan.scale_keys
    ]
    team_head = [
        _column("wave", *ROW_HEAD["wave"]),
        _column("team", *ROW_HEAD["team"]),
        _column("department", *ROW_HEAD["department"]),
        _column("n", "integer", _t("Responses of the team in this wave.", "该团队本轮的答卷数。")),
        _column("team_size", *ROW_HEAD["team_size"]),
        _column(
            "issued_after_open",
            "integer",
            _t(
                "Invitations an admin confirmed for the team after the wave had opened (0 for "
                "none; the product marks such a team with †). People added to a team late "
                "can push a small team past k, so the team's numbers may include answers that "
                "are not its original members'.",
                "轮次开始后经管理员确认、向该团队补发的邀请数"
                "（没有则为 0；产品用 † 标记这类团队）。后加入的人可能把一个小团队凑到 k 以上，"
                "因此该团队的数字可能包含并非原有成员的答卷。",
            ),
        ),
    ]
    per_scale = []
    for s in plan.scale_keys:
        name = _scale_name(plan, s)
        for stat, (kind, text) in TEAM_STATS.items():
            filled = {lang: text[lang].format(scale=f"{name.get(lang, s)} ({s})") for lang in text}
            per_scale.append(_column(f"{s}_{stat}", kind, filled, scale=s))
    columns = {
        "responses.csv": head + [_item_column(plan, k) for k in plan.item_keys],
        "scores.csv": head + scores,
        "teams.csv": team_head + per_scale,
        "scales.csv": [
            _column(n, *SCALE_STATS[n]) for n in ("wave", "scale", "n", *results.SCALE_FIELDS)
        ],
    }
    if plan.options.comments:
        columns["comments.csv"] = [_column(n, *COMMENT_HEAD[n]) for n in COMMENT_HEAD]
    columns["codebook.csv"] = [_column(n, *CODEBOOK_HEAD[n]) for n in CODEBOOK_HEAD]
    return columns


def _left_out(plan: Plan, wave) -> list[dict]:
    why = {
        BELOW_K: lambda teams, responses: _t(
            f"{teams} team(s) with fewer than k = {wave.k} responses ({responses} "
            "response(s) in all) are left out of every file (anonymity).",
            f"{teams} 个答卷少于 k = {wave.k} 份的团队（共 {responses} 份答卷）"
            "未包含在任何文件中（匿名保护）。",
        ),
        WITHHELD: lambda teams, responses: _t(
            f"{teams} team(s) of at least k ({responses} response(s) in all) are left out of "
            "every file because the product withholds their numbers: with them, a "
            "department's or the organisation's figures would reveal a team below k by "
            "subtraction (complementary suppression).",
            f"{teams} 个至少有 k 份答卷的团队（共 {responses} 份答卷）未包含在任何文件中，"
            "因为产品隐藏了它们的数字：否则可通过部门或组织的数字相减推算出少于 k 份答卷的团队"
            "（互补隐藏）。",
        ),
    }
    out = [
        {
            "what": reason,
            "teams": teams,
            "responses": responses,
            "why": why[reason](teams, responses),
        }
        for reason, (teams, responses) in plan.left_out[wave.id].items()
    ]
    if plan.options.small_teams:
        out.append(
            {
                "what": "nothing",
                "why": _t(
                    "An admin chose to include teams with fewer than k responses, and teams "
                    "the product withholds, in responses.csv and scores.csv; their rows in "
                    "teams.csv carry n only, since the product never shows their numbers. "
                    "Comments stay limited to teams of at least k.",
                    "管理员选择在 responses.csv 和 scores.csv 中包含答卷少于 k 份的团队以及产品"
                    "隐藏数字的团队；这些团队在 teams.csv 中只有 n，因为产品从不显示它们的数字。"
                    "评论仍只限于至少有 k 份答卷的团队。",
                ),
            }
        )
    return out


def describe(plan: Plan) -> dict:
    """The whole description of an export, as JSON-ready data."""
    files = plan.instrument_files
    return {
        "format": {
            "encoding": "UTF-8 with a byte-order mark",
            "delimiter": ",",
            "line_end": "CRLF",
            "missing_value": MISSING,
            "missing_value_meaning": _t(
                "An empty cell is a missing value: an unanswered item, an undefined statistic, "
                "an unknown size.",
                "空单元格表示缺失值：未作答的题目、无法计算的统计量或未知的人数。",
            ),
            "formula_cells": _t(
                "A text cell that starts with = + - @ gets a leading apostrophe, so that "
                "spreadsheets do not run it.",
                "以 = + - @ 开头的文本单元格前加了单引号，以免电子表格将其作为公式执行。",
            ),
        },
        "team_labels": "names" if plan.options.team_names else "codes",
        # The zone of the waves' closed_on dates: the organisation's, as the app shows them.
        "time_zone": organisation.time_zone_name(),
        "small_teams_included": plan.options.small_teams,
        "comments_included": plan.options.comments,
        "waves": [
            {
                "wave": w.id,
                "name": w.name,
                "instrument": {"key": w.instrument_key, "version": w.instrument_version},
                "k": w.k,
                "closed_on": organisation.local_date_text(w.closed_at),
                "teams": len(plan.kept[w.id]),
                "responses": sum(plan.responses.get((w.id, t), 0) for t in plan.kept[w.id]),
                "left_out": _left_out(plan, w),
            }
            for w in plan.waves
        ],
        "instruments": [
            {
                "key": inst.key,
                "version": inst.version,
                "name": dict(inst.name),
                "file": files[(inst.key, inst.version)],
                "scales": [
                    {
                        "key": s.key,
                        "name": dict(s.name),
                        "role": s.role,
                        "response_scale": s.response_scale.key,
                        "items": [i.key for i in s.items],
                    }
                    for s in inst.scales
                ],
            }
            for inst in {(i.key, i.version): i for i in plan.instruments.values()}.values()
        ],
        "files": {
            name: {"description": FILE_TEXT[name], "columns": cols}
            for name, cols in _columns(plan).items()
        },
    }


def as_json(book: dict) -> str:
    return json.dumps(book, ensure_ascii=False, indent=2) + "\n"


def _labels(values: dict[str, str]) -> str:
    return "; ".join(f"{v}={label}" for v, label in values.items())


def as_rows(book: dict) -> list[list]:
    """codebook.csv: its header, then one row per column of every file."""
    rows = [list(CODEBOOK_CSV_COLUMNS)]
    for name, spec in book["files"].items():
        for col in spec["columns"]:
            values = col.get("values", {})
            rows.append(
                [
                    name,
                    col["name"],
                    col["type"],
                    col["description"]["en"],
                    col["description"]["zh"],
                    col.get("scale", ""),
                    {True: "yes", False: "no"}.get(col.get("reverse"), ""),
                    _labels(values.get("en", {})),
                    _labels(values.get("zh", {})),
                ]
            )
    return rows


def _r_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def load_r(book: dict) -> str:
    """An R script that reads the CSVs with variable labels and value labels.

    Base R only (no package needed): every column gets a ``label`` attribute, every item a
    ``labels`` attribute (named values, as haven and labelled read them), and each table a
    data frame named after its file.
    """
    lines = [
        "# Reads this export into R: responses, scores, teams, scales (and comments).",
        '# Run it from the export\'s folder: source("load.R"). Base R only.',
        '# Variable labels are in attr(x, "label"), value labels in attr(x, "labels").',
        # Read as UTF-8 whatever the session's locale: fileEncoding would convert to the
        # locale's encoding, and in a C or Latin-1 locale drop every row after a Chinese cell.
        "read_export <- function(file, text) {",
        '  lines <- readLines(file, encoding = "UTF-8", warn = FALSE)',
        '  lines[1] <- sub("^\\ufeff", "", lines[1])',
        '  read.csv(text = lines, encoding = "UTF-8", na.strings = "", check.names = FALSE,',
        "           stringsAsFactors = FALSE,",
        '           colClasses = setNames(rep("character", length(text)), text))',
        "}",
        'label_language <- if (grepl("^zh", Sys.getenv("LANG"))) "zh" else "en"',
    ]
    for name, spec in book["files"].items():
        if name == "codebook.csv":
            continue
        frame = name.removesuffix(".csv")
        text = ", ".join(_r_string(c["name"]) for c in spec["columns"] if c["type"] == "string")
        lines.append(f"{frame} <- read_export({_r_string(name)}, c({text}))")
        for col in spec["columns"]:
            c = _r_string(col["name"])
            en, zh = _r_string(col["description"]["en"]), _r_string(col["description"]["zh"])
            if "text" in col:
                en = _r_string(col["text"].get("en", col["description"]["en"]))
                zh = _r_string(col["text"].get("zh", col["description"]["zh"]))
            lines.append(
                f'attr({frame}[[{c}]], "label") <- if (label_language == "zh") {zh} else {en}'
            )
            values = col.get("values")
            if values:
                nums = ", ".join(values["en"])
                en_labels = ", ".join(_r_string(v) for v in values["en"].values())
                zh_labels = ", ".join(_r_string(v) for v in values.get("zh", values["en"]).values())
                lines.append(
                    f'attr({frame}[[{c}]], "labels") <- setNames(c({nums}), '
                    f'if (label_language == "zh") c({zh_labels}) else c({en_labels}))'
                )
    return "\n".join(lines) + "\n"


def _sps_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


SPS_FORMAT = {"string": "A200", "integer": "F8.0", "number": "F18.15"}
SPS_STRING_MAX = 32767  # the widest string variable SPSS and PSPP have, in bytes


def _sps_format(column: dict, widths: Mapping[str, int]) -> str:
    """A column's SPSS format: a string as wide as its longest value (at least the usual
    200 bytes), so that no comment or team name is cut short."""
    if column["type"] == "string" and widths.get(column["name"], 0) > 200:
        return f"A{min(widths[column['name']], SPS_STRING_MAX)}"
    return SPS_FORMAT[column["type"]]


def load_sps(
    book: dict, widths: Mapping[str, int] | None = None, multiline: Mapping[str, int] | None = None
) -> str:
    """SPSS syntax that reads the CSVs (UTF-8) with variable and value labels, in English.

    ``widths``: the longest value of a text column in UTF-8 bytes, by column name.
    ``multiline``: files (comments.csv) with that many cells holding a line break, which
    GET DATA cannot read (it ends a case at every line): the script says so and leaves the
    file out rather than reading it as broken cases.
    """
    widths, multiline = widths or {}, multiline or {}
    lines = [
        "* Reads this export into SPSS (or GNU PSPP): one dataset per file, named after it.",
        "* Set the working folder to the export's folder first (CD 'folder').",
    ]
    for name, spec in book["files"].items():
        if name == "codebook.csv":
            continue
        if multiline.get(name):
            lines += [
                f"* {name} is not read here: {multiline[name]} of its cells hold a line break,",
                "* which GET DATA cannot read inside a quoted cell. Read it with load.R, or",
                "* open it in a spreadsheet.",
            ]
            continue
        frame = name.removesuffix(".csv")
        variables = "\n".join(f"  {c['name']} {_sps_format(c, widths)}" for c in spec["columns"])
        lines += [
            "GET DATA /TYPE=TXT",
            f"  /FILE={_sps_string(name)}",
            "  /ENCODING='UTF8'",
            '  /DELCASE=LINE /DELIMITERS="," /QUALIFIER=\'"\'',
            "  /ARRANGEMENT=DELIMITED /FIRSTCASE=2",
            "  /VARIABLES=",
            variables + ".",
            "VARIABLE LABELS",
        ]
        labels = []
        for c in spec["columns"]:
            text = c.get("text", c["description"]).get("en", c["description"]["en"])
            labels.append(f"  {c['name']} {_sps_string(text[:250])}")
        lines.append("\n  /".join(labels) + ".")
        for c in spec["columns"]:
            if c.get("values"):
                pairs = " ".join(f"{v} {_sps_string(t)}" for v, t in c["values"]["en"].items())
                lines.append(f"VALUE LABELS {c['name']} {pairs}.")
        # A copy under the file's name; the next GET DATA replaces only the active one.
        lines.append(f"DATASET COPY {frame}.")
    lines.append("DATASET ACTIVATE responses.")
    lines.append("EXECUTE.")
    return "\n".join(lines) + "\n"
