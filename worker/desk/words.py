"""The desk's words in Chinese (the default) and English: one table, looked up by key.

A missing English word falls back to the Chinese one, so a new key never shows a blank.
"""

from __future__ import annotations

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
    "agency": ("机关", "Agency"),
    "year": ("年度", "Year"),
    "edition": ("表格版本", "Edition"),
    "status": ("状态", "Status"),
    "version": ("版本", "Version"),
    "revision": ("修订", "Revision"),
    "origin": ("来源", "Made by"),
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
}


def word(key: str, language: str) -> str:
    """`key` in `language` (zh or en); the key itself when it has no entry."""
    zh, en = WORDS.get(key, (key, key))
    return en if language == "en" and en else zh
