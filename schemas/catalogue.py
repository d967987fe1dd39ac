"""The report form's three tables, defined once: every row and column, in printed order.

The State Council office fixes the form, in two editions (2019: 国办公开办函〔2019〕60号, for
2019 and 2020; 2021: 国办公开办函〔2021〕30号, from 2021).  Each row and column is written here
once: its contract key, its place in the table, its label as the form prints it, the words
that still identify it in real reports (社会组织 for 社会公益组织, typos, OCR noise), and the
editions that print it.  The rest of the project takes the lists from here:

- derived: the label matcher's rows, columns and key order (extract/report/labels.py) and
  the rules' row and column lists (schemas/rules.py), at import time;
- generated and checked: the tables of the JSON Schema.  report.schema.json stays a
  committed file, the artefact archive systems read; `schemas.schema_tables` generates its
  table definitions from this module, and a test fails when the file differs (rewrite it
  with `python -m schemas.schema_tables`);
- checked: the field tables of docs/report-fields.md, by a test that reads them.

Data only (no I/O, no project imports): schemas is the lowest layer, and both the parser
and the schema read this.  Keys are the public contract: never rename or drop one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

Edition = Literal["2019", "2021"]
EDITIONS: tuple[Edition, ...] = ("2019", "2021")
NOTICES: dict[Edition, str] = {
    "2019": "国办公开办函〔2019〕60号",
    "2021": "国办公开办函〔2021〕30号",
}
"""The notice that issued each edition of the form."""

Kind = Literal["count", "signed_count", "amount"]
Role = Literal["received", "result", "closing"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its key, its header as the form prints it, and how to recognise it."""

    key: str
    header: str  # as printed: 本年制发件数
    words: str = ""  # regex: what identifies the header cell in real reports
    kind: Kind = "count"
    group: str = ""  # the header printed above it: 法人或其他组织
    note: str = ""  # what the schema adds to the header: （万元）
    edition_words: str = ""  # regex: header words only this column's edition prints

    @property
    def described(self) -> str:
        """The schema's description, also the column's label in exports."""
        named = f"{self.group} · {self.header}" if self.group else self.header
        return f"{named}{self.note}"


@dataclass(frozen=True, slots=True)
class Shape:
    """The columns some rows of one edition's 主动公开 table share (the schema's `$defs`)."""

    name: str  # `documents` → the schema's ad2021_documents
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class ActiveRow:
    """A row of section 二 (主动公开): its 信息内容 and columns, edition by edition."""

    key: str
    words: str  # regex
    names: Mapping[Edition, str]  # 信息内容 as each edition that has the row prints it
    shapes: Mapping[Edition, Shape]

    @property
    def name(self) -> str:
        """The name the latest edition that has the row prints."""
        return self.names[max(self.names)]


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    """A row of section 三 (依申请公开): where it stands in the form's numbering, its label."""

    key: str
    number: str  # its item number as printed: 一、 / （一） / 1.
    name: str  # the label after the number
    words: str  # regex
    role: Role  # in rule 2: received (一、二), result (三's items), closing (（七）总计, 四)
    section: str = ""  # 三 for the items of 三、本年度办理结果
    group: tuple[str, str] = ("", "")  # the numbered heading it is an item of: （三）不予公开
    editions: tuple[Edition, ...] = EDITIONS
    note: str | None = None  # the schema's addition; None: the edition of a one-edition row

    @property
    def printed(self) -> str:
        """The label as the row's own cell prints it: 1.属于国家秘密."""
        return f"{self.number}{self.name}"

    @property
    def reference(self) -> str:
        """The label with the numbers of the headings above it: 三（三）1. 属于国家秘密."""
        if self.group[0]:
            return f"{self.section}{self.group[0]}{self.number} {self.name}"
        return f"{self.section}{self.number}{self.name}"

    @property
    def described(self) -> str:
        """The schema's description, also the row's label in exports."""
        note = self.note
        if note is None:
            note = f"（{self.editions[0]}版）" if len(self.editions) == 1 else ""
        if self.group[0]:
            group = "".join(self.group)
            return f"{self.section}{group} {self.number} {self.name}{note}"
        return f"{self.section}{self.number}{self.name}{note}"


@dataclass(frozen=True, slots=True)
class ReviewGroup:
    """One of section 四's three groups of five columns."""

    key: str
    name: str


# ---------------------------------------------------------------- 二 主动公开

_ISSUED = Column("issued", "本年制发件数", "制发", edition_words="制发件数")
_REPEALED = Column("repealed", "本年废止件数", "废止", edition_words="废止件数")
_IN_FORCE = Column("in_force", "现行有效件数", "现行有效", edition_words="现行有效")
_DECISIONS_2021 = Column("decisions", "本年处理决定数量", "处理决定")
_FEES_2021 = Column(
    "amount", "本年收费金额", "金额", "amount", note="（万元）", edition_words="本年收费金额"
)
_MADE = Column("made", "本年新制作数量", "新制作", edition_words="新制作")
_PUBLISHED = Column("published", "本年新公开数量", "新公开", edition_words="新公开")
_TOTAL_PUBLISHED = Column("total_published", "对外公开总数量", "公开总", edition_words="对外公开总")
_PREVIOUS_ITEMS = Column("previous_items", "上一年项目数量", "上一年", edition_words="上一年项目")
_CHANGE = Column("change", "本年增/减", "增.?减", "signed_count", edition_words="本年增")
_DECISIONS_2019 = Column("decisions", "处理决定数量", "处理决定")
_ITEMS = Column("items", "采购项目数量", "采购项目", edition_words="采购项目")
_PROCUREMENT_AMOUNT = Column(
    "amount",
    "采购总金额",
    "金额",
    "amount",
    note="（万元；印为元者已换算）",
    edition_words="采购总金额",
)

_DOCUMENTS_2021 = Shape("documents", (_ISSUED, _REPEALED, _IN_FORCE))
_DECIDED_2021 = Shape("decisions", (_DECISIONS_2021,))
_FEES_2021_SHAPE = Shape("fees", (_FEES_2021,))
_DOCUMENTS_2019 = Shape("documents", (_MADE, _PUBLISHED, _TOTAL_PUBLISHED))
_ITEMS_2019 = Shape("items", (_PREVIOUS_ITEMS, _CHANGE, _DECISIONS_2019))
_FEES_2019 = Shape("fees", (_PREVIOUS_ITEMS, _CHANGE))
_PROCUREMENT_2019 = Shape("procurement", (_ITEMS, _PROCUREMENT_AMOUNT))

ACTIVE_ROWS: tuple[ActiveRow, ...] = (
    ActiveRow(
        "regulations",
        r"规章(?!制度)",
        {"2019": "规章", "2021": "规章"},
        {"2019": _DOCUMENTS_2019, "2021": _DOCUMENTS_2021},
    ),
    ActiveRow(
        "normative_documents",
        r"规范性文件",
        {"2019": "规范性文件", "2021": "行政规范性文件"},
        {"2019": _DOCUMENTS_2019, "2021": _DOCUMENTS_2021},
    ),
    ActiveRow(
        "administrative_licensing",
        r"行政许可",
        {"2019": "行政许可", "2021": "行政许可"},
        {"2019": _ITEMS_2019, "2021": _DECIDED_2021},
    ),
    ActiveRow(
        "other_external_services",
        r"对外管理服务",
        {"2019": "其他对外管理服务事项"},
        {"2019": _ITEMS_2019},
    ),
    ActiveRow(
        "administrative_punishment",
        r"行政处罚",
        {"2019": "行政处罚", "2021": "行政处罚"},
        {"2019": _ITEMS_2019, "2021": _DECIDED_2021},
    ),
    ActiveRow(
        "administrative_enforcement",
        r"行政强制",
        {"2019": "行政强制", "2021": "行政强制"},
        {"2019": _ITEMS_2019, "2021": _DECIDED_2021},
    ),
    ActiveRow(
        "administrative_fees",
        r"事业性收费",
        {"2019": "行政事业性收费", "2021": "行政事业性收费"},
        {"2019": _FEES_2019, "2021": _FEES_2021_SHAPE},
    ),
    ActiveRow(
        "centralized_procurement",
        r"集中采购",
        {"2019": "政府集中采购"},
        {"2019": _PROCUREMENT_2019},
    ),
)


def active_rows(edition: Edition) -> tuple[ActiveRow, ...]:
    """The 主动公开 rows `edition` prints, in order."""
    return tuple(row for row in ACTIVE_ROWS if edition in row.shapes)


def active_columns(edition: Edition) -> Iterator[tuple[ActiveRow, Column]]:
    """Every (row, column) cell of `edition`'s 主动公开 table, in printed order."""
    for row in active_rows(edition):
        for column in row.shapes[edition].columns:
            yield row, column


# ---------------------------------------------------------------- 三 依申请公开

APPLICATION_COLUMNS: tuple[Column, ...] = (
    Column("natural_person", "自然人"),
    Column("commercial_enterprise", "商业企业", group="法人或其他组织"),
    Column("research_institution", "科研机构", group="法人或其他组织"),
    Column("social_organization", "社会公益组织", group="法人或其他组织", note="（社会组织）"),
    Column("legal_service_agency", "法律服务机构", group="法人或其他组织"),
    Column("other_organization", "其他", group="法人或其他组织"),
    Column("total", "总计"),
)

_WITHHELD = ("（三）", "不予公开")
_UNABLE = ("（四）", "无法提供")
_NOT_PROCESSED = ("（五）", "不予处理")
_OTHER = ("（六）", "其他处理")
_2021: tuple[Edition, ...] = ("2021",)


def _result(
    key: str,
    number: str,
    name: str,
    words: str,
    group: tuple[str, str] = ("", ""),
    editions: tuple[Edition, ...] = EDITIONS,
    note: str | None = None,
) -> ApplicationRow:
    """A row of 三、本年度办理结果."""
    return ApplicationRow(key, number, name, words, "result", "三", group, editions, note)


# In printed order.  `other_processing` is the 2019 edition's single （六） row; 2021-edition
# reports that still print it keep it instead of the three rows before it.
APPLICATION_ROWS: tuple[ApplicationRow, ...] = (
    ApplicationRow(
        "new_received", "一、", "本年新收政府信息公开申请数量", r"新收|本年新", "received"
    ),
    ApplicationRow(
        "carried_over", "二、", "上年结转政府信息公开申请数量", r"上年结转|上年度结转", "received"
    ),
    _result("granted", "（一）", "予以公开", r"予以公开"),
    _result(
        "partially_granted",
        "（二）",
        "部分公开",
        r"部分公开",
        note="（区分处理的，只计这一情形，不计其他情形）",
    ),
    _result("withheld_state_secret", "1.", "属于国家秘密", r"国家秘密", _WITHHELD),
    _result(
        "withheld_prohibited_by_law",
        "2.",
        "其他法律行政法规禁止公开",
        r"禁止公开|法规禁止|行政止公开|其他法律",
        _WITHHELD,
    ),
    _result(
        "withheld_security_stability",
        "3.",
        "危及“三安全一稳定”",
        r"三安全|一稳定|危及",
        _WITHHELD,
    ),
    _result("withheld_third_party", "4.", "保护第三方合法权益", r"第三方", _WITHHELD),
    _result("withheld_internal_affairs", "5.", "属于三类内部事务信息", r"内部事务", _WITHHELD),
    _result("withheld_process_information", "6.", "属于四类过程性信息", r"过程性", _WITHHELD),
    _result("withheld_enforcement_files", "7.", "属于行政执法案卷", r"执法案卷", _WITHHELD),
    _result("withheld_inquiry_matters", "8.", "属于行政查询事项", r"查询事项", _WITHHELD),
    _result("unable_not_held", "1.", "本机关不掌握相关政府信息", r"不掌握", _UNABLE),
    _result(
        "unable_needs_creation", "2.", "没有现成信息需要另行制作", r"另行制作|没有现成", _UNABLE
    ),
    _result("unable_unclear", "3.", "补正后申请内容仍不明确", r"不明确|补正后申请", _UNABLE),
    _result(
        "not_processed_complaint", "1.", "信访举报投诉类申请", r"信访|举报投诉", _NOT_PROCESSED
    ),
    _result("not_processed_duplicate", "2.", "重复申请", r"重复申请", _NOT_PROCESSED),
    _result("not_processed_publication", "3.", "要求提供公开出版物", r"出版物", _NOT_PROCESSED),
    _result(
        "not_processed_excessive",
        "4.",
        "无正当理由大量反复申请",
        r"大量反复|大量.{0,2}申请",
        _NOT_PROCESSED,
    ),
    _result(
        "not_processed_confirmation",
        "5.",
        "要求行政机关确认或重新出具已获取信息",
        r"重新出具|确认或重新|已获取信息",
        _NOT_PROCESSED,
    ),
    _result(
        "other_overdue_correction",
        "1.",
        "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        r"不补正|逾期不补|理由逾期不",
        _OTHER,
        _2021,
    ),
    _result(
        "other_overdue_fee",
        "2.",
        "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        r"收费通知|缴纳费用|逾期未按",
        _OTHER,
        _2021,
    ),
    # Converters repeat a merged group label in each row: （六）其他处理3.其他.
    _result(
        "other_misc", "3.", "其他", r"^\W*(?:六?\W*其他处理)?\W*(?:3|三)?\W*其他\W*$", _OTHER, _2021
    ),
    _result(
        "other_processing",
        "（六）",
        "其他处理",
        r"其他处理",
        editions=("2019",),
        note="，单行（2019版；仍印单行的2021版报告亦用此键）",
    ),
    ApplicationRow("total_processed", "（七）", "总计", r"总计|合计", "closing", "三"),
    ApplicationRow(
        "carried_forward", "四、", "结转下年度继续办理", r"结转下年|继续办理", "closing"
    ),
)


def application_rows(edition: Edition) -> tuple[ApplicationRow, ...]:
    """The 依申请公开 rows `edition`'s form prints, in order."""
    return tuple(row for row in APPLICATION_ROWS if edition in row.editions)


# ---------------------------------------------------------------- 四 行政复议、行政诉讼

REVIEW_GROUPS: tuple[ReviewGroup, ...] = (
    ReviewGroup("administrative_reconsideration", "行政复议"),
    ReviewGroup("litigation_direct", "行政诉讼 · 未经复议直接起诉"),
    ReviewGroup("litigation_after_reconsideration", "行政诉讼 · 复议后起诉"),
)
REVIEW_COLUMNS: tuple[Column, ...] = (
    Column("upheld", "结果维持", "维持"),
    Column("corrected", "结果纠正", "纠正"),
    Column("other", "其他结果", "其他"),
    Column("pending", "尚未审结", "未审|审结"),
    Column("total", "总计", "总计|合计|^计$"),
)
