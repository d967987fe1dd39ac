"""The label catalogue: which printed row label means which contract row.

Labels vary between reports (社会组织 for 社会公益组织, `1、` for `1.`, typos such as
其他法律行政止公开, OCR noise, labels wrapped over lines and merged with their group's
label), so rows are identified by keywords, and by their order where keywords fail: a label
that matches nothing but closely resembles the next expected row's printed label is taken
as that row.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from difflib import SequenceMatcher


@dataclass(frozen=True, slots=True)
class RowLabel:
    key: str
    printed: str  # the official label, for fuzzy matching
    pattern: re.Pattern[str]


def _row(key: str, printed: str, pattern: str) -> RowLabel:
    return RowLabel(key, printed, re.compile(pattern))


# Section 三, in printed order.  `other_processing` is the 2019 edition's single （六） row;
# its pattern only matches when none of the 2021 sub-rows does (see `match_application_row`).
APPLICATION_LABELS: tuple[RowLabel, ...] = (
    _row("new_received", "一、本年新收政府信息公开申请数量", r"新收|本年新"),
    _row("carried_over", "二、上年结转政府信息公开申请数量", r"上年结转|上年度结转"),
    _row("granted", "（一）予以公开", r"予以公开"),
    _row("partially_granted", "（二）部分公开", r"部分公开"),
    _row("withheld_state_secret", "1.属于国家秘密", r"国家秘密"),
    _row(
        "withheld_prohibited_by_law",
        "2.其他法律行政法规禁止公开",
        r"禁止公开|法规禁止|行政止公开|其他法律",
    ),
    _row("withheld_security_stability", "3.危及“三安全一稳定”", r"三安全|一稳定|危及"),
    _row("withheld_third_party", "4.保护第三方合法权益", r"第三方"),
    _row("withheld_internal_affairs", "5.属于三类内部事务信息", r"内部事务"),
    _row("withheld_process_information", "6.属于四类过程性信息", r"过程性"),
    _row("withheld_enforcement_files", "7.属于行政执法案卷", r"执法案卷"),
    _row("withheld_inquiry_matters", "8.属于行政查询事项", r"查询事项"),
    _row("unable_not_held", "1.本机关不掌握相关政府信息", r"不掌握"),
    _row("unable_needs_creation", "2.没有现成信息需要另行制作", r"另行制作|没有现成"),
    _row("unable_unclear", "3.补正后申请内容仍不明确", r"不明确|补正后申请"),
    _row("not_processed_complaint", "1.信访举报投诉类申请", r"信访|举报投诉"),
    _row("not_processed_duplicate", "2.重复申请", r"重复申请"),
    _row("not_processed_publication", "3.要求提供公开出版物", r"出版物"),
    _row("not_processed_excessive", "4.无正当理由大量反复申请", r"大量反复|大量.{0,2}申请"),
    _row(
        "not_processed_confirmation",
        "5.要求行政机关确认或重新出具已获取信息",
        r"重新出具|确认或重新|已获取信息",
    ),
    _row(
        "other_overdue_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        r"不补正|逾期不补|理由逾期不",
    ),
    _row(
        "other_overdue_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        r"收费通知|缴纳费用|逾期未按",
    ),
    # Converters repeat a merged group label in each row: （六）其他处理3.其他.
    _row("other_misc", "3.其他", r"^\W*(?:六?\W*其他处理)?\W*(?:3|三)?\W*其他\W*$"),
    _row("other_processing", "（六）其他处理", r"其他处理"),
    _row("total_processed", "（七）总计", r"总计|合计"),
    _row("carried_forward", "四、结转下年度继续办理", r"结转下年|继续办理"),
)

APPLICATION_KEYS = tuple(label.key for label in APPLICATION_LABELS)
_INDEX = {key: i for i, key in enumerate(APPLICATION_KEYS)}
_GROUP_ROWS = {"other_processing"}
FUZZY_RATIO = 0.7
_RESULT_START = _INDEX["granted"]


def _cjk_only(text: str) -> str:
    return re.sub(r"[^\u4e00-\u9fff]", "", text)


def match_application_row(text: str, after: str | None) -> str | None:
    """The row key a label names, given the key of the row before it (None at the start).

    Rows only move forward through the table: a label naming an earlier row (a repeated
    header's 总计, say) is not a row.  Where a group label is merged with its first
    sub-row's label ("（六）其他处理1.申请人无正当理由…"), the sub-row wins.
    """
    # （六）其他处理 is the 2019 edition's row, but in the 2021 edition it heads the three
    # sub-rows that follow it: after it, they may still come.
    start = (
        -1
        if after is None
        else _INDEX["not_processed_confirmation" if after in _GROUP_ROWS else after]
    )
    hits = [label for label in APPLICATION_LABELS if label.pattern.search(text)]
    specific = [label for label in hits if label.key not in _GROUP_ROWS] or hits
    for label in specific:
        index = _INDEX[label.key]
        if index <= start:
            continue
        if label.key == "total_processed" and start < _RESULT_START:
            continue  # the header's 总计 column, not the （七） row
        if label.key == "other_misc" and after not in (
            "other_overdue_fee",
            "other_overdue_correction",
        ):
            continue
        return label.key
    return _resembling_next_row(text, start) if after is not None else None


_MARKER = re.compile(r"^\W*?(?:(\d)\s*[.、．]|[（(]\s*([一二三四五六七])\s*[）)]|([一二三四])、)")


def _marker(text: str) -> str | None:
    """A label's item number (`5.`, `5、`, `（五）`, `四、`), normalised to its digit or numeral."""
    match = _MARKER.match(text)
    return next((group for group in match.groups() if group), None) if match else None


def _resembling_next_row(text: str, start: int) -> str | None:
    """Order fallback for labels whose keywords are cut off or garbled: one of the next few
    rows, if the label carries that row's item number and a few of its words, or closely
    resembles its printed label."""
    words = _cjk_only(text)
    if len(words) < 2:
        return None
    marker = _marker(text)
    for label in APPLICATION_LABELS[start + 1 : start + 4]:
        printed = _cjk_only(label.printed)
        similar = SequenceMatcher(None, words, printed)
        if marker is not None and marker == _marker(label.printed):
            if similar.find_longest_match().size >= 2:
                return label.key
        elif len(words) >= 4 and similar.ratio() >= FUZZY_RATIO:
            return label.key
    return None


# Section 二 (主动公开): row keys and the edition's columns.
ACTIVE_LABELS: tuple[RowLabel, ...] = (
    _row("regulations", "规章", r"规章(?!制度)"),
    _row("normative_documents", "行政规范性文件", r"规范性文件"),
    _row("administrative_licensing", "行政许可", r"行政许可"),
    _row("other_external_services", "其他对外管理服务事项", r"对外管理服务"),
    _row("administrative_punishment", "行政处罚", r"行政处罚"),
    _row("administrative_enforcement", "行政强制", r"行政强制"),
    _row("administrative_fees", "行政事业性收费", r"事业性收费"),
    _row("centralized_procurement", "政府集中采购", r"集中采购"),
)

ACTIVE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "2021": {
        "regulations": ("issued", "repealed", "in_force"),
        "normative_documents": ("issued", "repealed", "in_force"),
        "administrative_licensing": ("decisions",),
        "administrative_punishment": ("decisions",),
        "administrative_enforcement": ("decisions",),
        "administrative_fees": ("amount",),
    },
    "2019": {
        "regulations": ("made", "published", "total_published"),
        "normative_documents": ("made", "published", "total_published"),
        "administrative_licensing": ("previous_items", "change", "decisions"),
        "other_external_services": ("previous_items", "change", "decisions"),
        "administrative_punishment": ("previous_items", "change", "decisions"),
        "administrative_enforcement": ("previous_items", "change", "decisions"),
        "administrative_fees": ("previous_items", "change"),
        "centralized_procurement": ("items", "amount"),
    },
}

MONEY_FIELDS = {("administrative_fees", "amount"), ("centralized_procurement", "amount")}

# Header words that decide the edition of the 主动公开 table (the table itself, not the year).
EDITION_2021_HEADERS = re.compile(r"制发件数|废止件数|现行有效|本年收费金额")
EDITION_2019_HEADERS = re.compile(r"新制作|新公开|对外公开总|上一年项目|本年增|采购项目|采购总金额")


ACTIVE_NAMES = {label.key: label.printed for label in ACTIVE_LABELS}

# A table's own header words: without a title, a table is only taken where two of them are
# printed with it (prose names 行政许可 or 行政复议, not 本年制发件数 and 结果纠正).
TABLE_ANCHORS: dict[str, re.Pattern[str]] = {
    "active_disclosure": re.compile(
        f"{EDITION_2021_HEADERS.pattern}|{EDITION_2019_HEADERS.pattern}|信息内容"
    ),
    "applications": re.compile(r"自然人|商业企业|科研机构|社会公益组织|法律服务机构|申请人情况"),
    "reviews_and_lawsuits": re.compile(r"维持|纠正|尚未审结|未经复议|复议后起诉"),
}


def match_active_row(text: str) -> str | None:
    """The row a label names; of several run together (a blank row's label, the next
    sub-table's header, then a row label), the last, which the values after it belong to."""
    found = [
        (match.start(), label.key)
        for label in ACTIVE_LABELS
        for match in label.pattern.finditer(text)
    ]
    return max(found)[1] if found else None


# Where a label starts inside text that runs several together: an item number (`（三）`,
# `四、`, `2.`), never a decimal or a `第一项`.
_LABEL_START = re.compile(r"(?=[（(][一二三四五六七][）)]|[一二三四]、|(?<![\d第])\d[.、．](?!\d))")


# Section 三's column headers, whole or in the pieces extracted text breaks them into
# (自然 / 人, 商业 / 企业): printed between a label and its values, they show that the
# values' row was not printed after its label.
HEADER_CELLS = re.compile(
    r"(?:申请人情况|法人或其他组织|自然人?|人|商业|企业|科研|机构|社会|公益|组织|法律|服务|"
    r"其他|总计|合计|\s)+"
)

_GROUP = re.compile(r"^\W*[（(][三四五六][）)]\W*(?:不予公开|无法提供|不予处理|其他处理)\W*$")
_SUB_ROW = re.compile(r"^\d[.、．]")


def label_pieces(text: str) -> list[str]:
    """Text cut before each item number, so that labels run together (a blank row's label
    followed by the next row's) are matched one by one; a group label stays with the
    sub-row label it heads (（六）其他处理 is a row of its own only without one)."""
    cuts = [0, *(m.start() for m in _LABEL_START.finditer(text) if m.start() > 0), len(text)]
    pieces: list[str] = []
    for a, b in itertools.pairwise(cuts):
        piece = text[a:b]
        if pieces and _GROUP.match(pieces[-1]) and _SUB_ROW.match(piece):
            pieces[-1] += piece
        elif piece.strip():
            pieces.append(piece)
    return pieces


# Section 四: the five result columns of each of the three groups, for header positions.
REVIEW_HEADER_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("upheld", re.compile(r"维持")),
    ("corrected", re.compile(r"纠正")),
    ("other", re.compile(r"其他")),
    ("pending", re.compile(r"未审|审结")),
    ("total", re.compile(r"总计|合计|^计$")),
)
