"""The desk's words in Chinese (the default) and English: one table, looked up by key.

A missing English word falls back to the Chinese one, so a new key never shows a blank.
Beside the table: where a value stands (`place`: a cell's printed row and column labels
in Chinese, its path in English), the consistency rules and their checks in either
language (`RULES`, `check_text`), and why a correction was refused (`refusal`), read from
the English messages of `worker.corrections` by their kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from schemas import catalogue
from schemas.fields import catalogue as fields

LANGUAGES = ("zh", "en")
COOKIE = "gongkai_lang"

WORDS: dict[str, tuple[str, str]] = {
    "desk": ("审核台", "Review desk"),
    "inbox": ("待办", "Inbox"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "token": ("访问令牌", "Access token"),
    "name": ("审核人", "Reviewer"),
    "password": ("密码", "Password"),
    "password_or_token": ("密码（或访问令牌）", "Password (or the access token)"),
    "login_failed": ("姓名、密码或令牌不正确", "Wrong name, password or token"),
    "too_many_logins": (
        "登录失败次数过多，暂不受理此姓名或此地址的登录。",
        "Too many failed logins with this name or from this address.",
    ),
    "try_again_in": ("请约", "Try again in about"),
    "minutes": ("分钟后再试。", "minutes."),
    "agency": ("机关", "Agency"),
    "year": ("年度", "Year"),
    "edition": ("表格版本", "Edition"),
    "status": ("状态", "Status"),
    "version": ("版本", "Version"),
    "revision": ("修订", "Revision"),
    "origin": ("来源", "Made by"),
    "versions": ("版本记录", "Versions"),
    "by": ("经办", "By"),
    "current": ("当前", "current"),
    "shown": ("本页", "this page"),
    "open": ("查看", "Open"),
    "changes_from_previous": ("与上一版本相比", "Changed from the version before"),
    "first_version": ("首个版本", "The first version"),
    "no_changes": ("数值无变化", "No value changed"),
    "more": ("另有 N 处", "N more"),
    "older_version": ("较早的版本，只读。", "An earlier version, read only."),
    "read_only": (
        "此处不能更正或标记审核；更正请在当前版本上进行：",
        "Nothing is corrected or marked reviewed here; corrections go on the current one:",
    ),
    "open_current": ("打开当前版本", "open the current version"),
    "origin_parsed": ("解析", "parsing"),
    "origin_reprocessed": ("重新解析", "reprocessing"),
    "origin_corrected": ("人工更正", "a correction"),
    "origin_reviewed": ("审核", "review"),
    "file": ("文件", "File"),
    "all": ("全部", "All"),
    "filter": ("筛选", "Filter"),
    "needs_review": ("需核对", "Needs review"),
    "complete": ("完整", "Complete"),
    "fragment": ("片段", "Fragment"),
    "reviewed": ("已审核", "Reviewed"),
    "unidentified": ("未识别", "Unidentified"),
    "unidentified_list": ("未识别机关或年度的文件", "Documents with no agency or year read"),
    "none_found": ("没有符合条件的报告", "No report matches"),
    "page": ("页", "Page"),
    "checks": ("勾稽核验", "Consistency checks"),
    "broken_checks": ("未通过的核验", "Broken checks"),
    "no_broken_checks": ("各项核验均通过或无法核验", "No check is broken"),
    "warnings": ("提示", "Warnings"),
    "correct": ("更正", "Correct"),
    "new_value": ("新值", "New value"),
    "note": ("说明", "Note"),
    "save": ("保存", "Save"),
    "mark_reviewed": ("标记为已审核", "Mark reviewed"),
    "corrections": ("更正记录", "Corrections"),
    "no_corrections": ("尚无更正", "No correction yet"),
    "path": ("位置", "Path"),
    "old_new": ("原值 → 新值", "Old → new"),
    "who": ("更正人", "Who"),
    "when": ("时间", "When"),
    "conflicts": ("更正与新解析结果不一致", "Corrections the parser now reads otherwise"),
    "reviewer_value": ("审核值", "Reviewer's value"),
    "parsed_value": ("新解析值", "Parser now reads"),
    "keep_reviewer": ("保留审核值", "Keep the reviewer's value"),
    "take_parsed": ("采用新解析值", "Take the parser's value"),
    "conflict": ("更正与新解析结果不一致", "The parser now reads another value"),
    "correction_conflict": ("更正与新解析结果不一致", "The parser now reads another value"),
    "not_saved": ("未保存", "Not saved"),
    "stale": (
        "报告在您打开后已有新修订，请核对后重试",
        "The report has changed since you opened it: look again, then retry",
    ),
    "busy": ("另一项修改正在保存，请重试", "Another change was being saved: try again"),
    "reviewed_by": ("审核人", "Reviewed by"),
    "history": ("历年", "Over the years"),
    "change": ("同比", "Change"),
    "received": ("本年新收申请", "Applications received"),
    "granted_share": ("予以公开占比", "Share granted"),
    "reconsiderations": ("行政复议", "Reconsiderations"),
    "lawsuits": ("行政诉讼", "Lawsuits"),
    "corrected_rate": ("纠错率", "Corrected rate"),
    "rule5": ("规则5（与上年衔接）", "Rule 5 (against the previous year)"),
    "api_docs": ("接口文档", "API docs"),
    "null_warned": ("未读出，需核对", "Not read: check it"),
    "warned": ("需核对", "Check it"),
    "agency_unconfirmed": ("机关名称仅经 OCR 读出一次", "The agency was read once, by OCR"),
    "cell_null": ("单元格为空", "The cell is blank"),
    "broken": ("所在勾稽关系不成立", "A sum it is in does not hold"),
    "inferred": ("由表内勾稽关系推得", "Forced by the table's own sums"),
    "low_confidence": ("OCR 置信度低", "OCR is unsure of it"),
    "corrected": ("已人工更正", "Corrected by a reviewer"),
    "select_cell": ("点击单元格可在原文中定位", "Click a cell to find it on the page"),
    "original_missing": ("原文件不在存储中", "The original file is not in the store"),
    "not_found": ("页面不存在", "No such page"),
    "not_found_hint": (
        "没有这份文件、这个版本或这个页面，请核对地址。",
        "There is no such document, version or page: the address may be wrong.",
    ),
    "bad_address": ("地址有误", "A wrong address"),
    "bad_address_hint": (
        "地址中的参数不符合要求（例如文件编号应为 64 位十六进制数）。",
        "A part of the address is not valid (a document is named by 64 hexadecimal digits).",
    ),
    "back_to_inbox": ("返回待办", "Back to the inbox"),
    "original_text": (
        "原文为文本文件（网页、Word 文档等），以下为读出的文字，单元格无法在原文中定位",
        "The original is a text file (a web page, a Word document…): its text as read, no boxes",
    ),
    "original_unreadable": ("原文无法读取", "The original cannot be read"),
    "original_cut": ("原文较长，仅显示开头部分", "The original is long: only its start is shown"),
}


def word(key: str, language: str) -> str:
    """`key` in `language` (zh or en); the key itself when it has no entry."""
    zh, en = WORDS.get(key, (key, key))
    return en if language == "en" and en else zh


# ---------------------------------------------------------------- where a value stands

PLACES: dict[str, str] = {
    "agency": "机关名称",
    "year": "年度",
    "edition": "表格版本",
    "review/status": "审核状态",
}
"""The values outside the three tables a correction or a change can name."""


@cache
def _cell_places() -> dict[str, str]:
    """Each table cell's path and its printed row and column labels: 规章 · 本年制发件数."""
    return {field.path: f"{field.labels[1]} · {field.labels[2]}" for field in fields()}


def place(path: str, language: str) -> str:
    """Where a value stands, for a person: in Chinese the labels the form prints (机关名称,
    三（一）予以公开 · 自然人), in English its path; the path when it is nothing known."""
    if language == "en":
        return path
    return PLACES.get(path) or _cell_places().get(path) or path


# ---------------------------------------------------------------- the rules and their checks

RULES: dict[str, tuple[str, str]] = {
    "rule1": (
        "规则1：每行总计 = 六类申请人之和",
        "Rule 1: each row's total = the six applicant columns",
    ),
    "rule2": (
        "规则2：每列 本年新收 + 上年结转 = 办理结果总计 + 结转下年度",
        "Rule 2: each column, received + carried over = processed + carried forward",
    ),
    "rule3": (
        "规则3：每列 办理结果总计 = 各项办理结果之和",
        "Rule 3: each column, total processed = the result rows",
    ),
    "rule4": (
        "规则4：复议、诉讼每组 总计 = 维持 + 纠正 + 其他结果 + 尚未审结",
        "Rule 4: each review or lawsuit group, total = upheld + corrected + other + pending",
    ),
    "rule5": (
        "规则5：每列 上年结转 = 上年报告的结转下年度",
        "Rule 5: each column, carried over = last year's carried forward",
    ),
    "format": ("报告格式", "Report format"),
}
"""The consistency rules of `schemas/rules.py`, by id, in Chinese and English."""


def rule(rule_id: str, language: str) -> str:
    zh, en = RULES.get(rule_id, (rule_id, rule_id))
    return en if language == "en" else zh


_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^pre-2019 report format is not supported$", "不支持 2019 年以前的报告格式"),
        (r"^not evaluated: (\w+) table absent$", "未核验：报告中没有「\\1」表"),
        (
            r"^not evaluated: (\d+) instances? ha(?:s|ve) blank cells \((.*)\)$",
            "未核验：\\1 处含空白单元格（\\2）",
        ),
        (r"sum of the six applicant columns", "六类申请人之和"),
        (r"sum of the (\d+) result rows", "\\1 项办理结果之和"),
        (r"\b(\d{4}) carried_forward\b", "\\1 年结转下年度"),
    )
)
_KEY = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*\b")


@cache
def _key_names() -> dict[str, str]:
    """The keys a check's detail names, with their printed labels: rows, columns, groups,
    tables."""
    found: dict[str, str] = {}
    for row in catalogue.APPLICATION_ROWS:
        found[row.key] = row.reference
    for column in catalogue.APPLICATION_COLUMNS:
        found[column.key] = column.described
    for group in catalogue.REVIEW_GROUPS:
        found[group.key] = group.name
    for column in catalogue.REVIEW_COLUMNS:
        found.setdefault(column.key, column.header)
    found.update(
        active_disclosure="主动公开",
        applications="依申请公开",
        reviews_and_lawsuits="行政复议、行政诉讼",
    )
    return found


def check_text(check: Mapping[str, Any], language: str) -> str:
    """A check's detail for a person: as the rules wrote it in English; in Chinese with
    the rows, columns and groups by their printed labels, the numbers as they are."""
    detail = str(check.get("detail") or "")
    if language == "en":
        return detail
    for pattern, replacement in _PHRASES:
        detail = pattern.sub(replacement, detail)
    names = _key_names()
    detail = _KEY.sub(lambda found: names.get(found.group(0), found.group(0)), detail)
    return detail.replace(": ", "：", 1)


# ---------------------------------------------------------------- a refused correction

_QUOTED = r"(?P<q>['\"])(?P<value>.*)(?P=q)"
_PATH = "^(?P<path>[^:]*): "
_REFUSALS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), words)
    for pattern, words in (
        ("^" + _QUOTED + " is not a value of the report that can be corrected$", "not_editable"),
        (
            r"^a value has at most (?P<value>\d+) characters, a note at most (?P<note>\d+)$",
            "too_long",
        ),
        (_PATH + _QUOTED + r" is not allowed there \((?P<why>.*)\)$", "not_allowed"),
        (_PATH + _QUOTED + " is not a number$", "not_a_number"),
        (r"^settle the conflicts first \(correct (?P<paths>.*) again\)$", "conflicts_first"),
    )
)
_REFUSAL_WORDS = {
    "not_editable": "「{value}」不是报告中可以更正的值",
    "too_long": "新值最多 {value} 个字符，说明最多 {note} 个字符",
    "not_allowed": "{place}：此处不能填「{value}」（{why}）",
    "not_a_number": "{place}：「{value}」不是数字",
    "conflicts_first": "请先处理更正冲突（重新更正 {places}）",
}


def refusal(message: str, language: str) -> str:
    """Why a correction or a review was refused, for a person: `worker.corrections`'
    message in English, told in Chinese by its kind (the English one if it is no kind
    known here)."""
    if language == "en":
        return message
    for pattern, kind in _REFUSALS:
        found = pattern.match(message)
        if found is None:
            continue
        parts = found.groupdict()
        if kind == "not_editable" and not parts["value"]:
            return "请先选择要更正的单元格"
        if kind == "not_allowed":
            parts["why"] = _schema_why(parts["why"])
        if "path" in parts:
            parts["place"] = place(parts["path"], language)
        if "paths" in parts:
            parts["places"] = "、".join(_places(parts["paths"].split(", "), language))
        return _REFUSAL_WORDS[kind].format(**parts)
    return message


def _places(paths: Iterable[str], language: str) -> list[str]:
    return [place(path, language) for path in paths]


def _schema_why(why: str) -> str:
    """The schema's objection, for a person: a count below 0, a fraction, or else."""
    minimum = re.search(r"is less than the minimum of (\S+)$", why)
    if minimum:
        return f"不能小于 {minimum.group(1)}"
    if re.search(r"is not of type 'integer'", why):
        return "须为整数"
    return "类型或范围不符合报告格式"
