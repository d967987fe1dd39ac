"""The format's consistency rules (勾稽关系), as checks and as a decoder of blank cells.

Pure functions over the report dict (the contract's JSON): no I/O, no parser knowledge, so the
parser, the store and the tests all judge a report by the same arithmetic.

Rules (numbered as in the contract, shared/spec/report-fields.md):

1. every `applications` row: total = the six applicant columns;
2. every column: new_received + carried_over = total_processed + carried_forward;
3. every column: total_processed = the result rows (granted … other_*);
4. every `reviews_and_lawsuits` group: total = upheld + corrected + other + pending;
5. across years, every column: this year's carried_over = last year's carried_forward
   (`check_previous_year`: it needs two reports, so the store applies it, not the parser).

Each rule instance is an equation between two sums of cells.  A blank (null) cell is never
guessed: `infer_forced` fills one only when the equation leaves it a single possible value.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schemas import catalogue

APPLICATION_COLUMNS: tuple[str, ...] = tuple(c.key for c in catalogue.APPLICATION_COLUMNS)
APPLICANT_COLUMNS: tuple[str, ...] = tuple(c for c in APPLICATION_COLUMNS if c != "total")


def _keys(role: catalogue.Role, edition: catalogue.Edition | None = None) -> tuple[str, ...]:
    """The 依申请公开 rows playing `role` in the rules (of `edition`'s form), in order."""
    return tuple(
        row.key
        for row in catalogue.APPLICATION_ROWS
        if row.role == role and (edition is None or edition in row.editions)
    )


RESULT_ROWS_2019: tuple[str, ...] = _keys("result", "2019")
RESULT_ROWS_2021: tuple[str, ...] = _keys("result", "2021")
# 三（六）其他处理: one row in 2019, three in 2021.
OTHER_ROWS_2019: tuple[str, ...] = tuple(r for r in RESULT_ROWS_2019 if r not in RESULT_ROWS_2021)
OTHER_ROWS_2021: tuple[str, ...] = tuple(r for r in RESULT_ROWS_2021 if r not in RESULT_ROWS_2019)

_RECEIVED_ROWS = _keys("received")  # 一、二
_CLOSING_ROWS = _keys("closing")  # 三（七）总计, 四、结转下年度
APPLICATION_ROWS_2019: tuple[str, ...] = tuple(r.key for r in catalogue.application_rows("2019"))
APPLICATION_ROWS_2021: tuple[str, ...] = tuple(r.key for r in catalogue.application_rows("2021"))
# Every row key the contract knows, in table order (a 2021 hybrid prints other_processing).
_ROW_ORDER: tuple[str, ...] = tuple(row.key for row in catalogue.APPLICATION_ROWS)
_OTHER_ROWS = frozenset(OTHER_ROWS_2019 + OTHER_ROWS_2021)

RULED_TABLES: tuple[str, ...] = ("applications", "reviews_and_lawsuits")
"""The tables rules 1–4 sum; no rule sums the 主动公开 table."""


def is_ruled(path: str) -> bool:
    """Whether a cell's path (`applications/granted/total`) lies in a table the rules sum."""
    return path.split("/", 1)[0] in RULED_TABLES


REVIEW_FIELDS: tuple[str, ...] = tuple(column.key for column in catalogue.REVIEW_COLUMNS)
REVIEW_GROUPS: tuple[str, ...] = tuple(group.key for group in catalogue.REVIEW_GROUPS)

_UNSUPPORTED_FORMAT: dict[str, Any] = {
    "rule": "format",
    "ok": False,
    "detail": "pre-2019 report format is not supported",
}


@dataclass(frozen=True, slots=True)
class _Operand:
    """One cell of an equation; `holder` is None when its row or group is absent."""

    name: str
    path: str
    holder: dict[str, Any] | None
    key: str

    @property
    def value(self) -> Any:
        return None if self.holder is None else self.holder.get(self.key)


@dataclass(frozen=True, slots=True)
class _Equation:
    """One rule instance: sum(lhs) = sum(rhs).  `phrase` names a long right-hand side."""

    rule: str
    label: str
    lhs: tuple[_Operand, ...]
    rhs: tuple[_Operand, ...]
    phrase: str | None = None


def result_rows(applications: Mapping[str, Any], edition: str | None) -> tuple[str, ...]:
    """The rows rule 3 sums: the `other_*` block the table prints, else the edition's."""
    if "other_processing" in applications:
        return RESULT_ROWS_2019
    if any(row in applications for row in OTHER_ROWS_2021) or edition != "2019":
        return RESULT_ROWS_2021
    return RESULT_ROWS_2019


def ensure_rows(applications: dict[str, Any], edition_rows: Sequence[str]) -> list[str]:
    """Add the expected rows that are missing as all-null rows, so inference can fill them.

    The `other_*` block follows what the table printed (a 2021 report that prints the single
    其他处理 row keeps it).  Missing columns of present rows become null too, and the rows
    are put in table order.  Returns the row keys added.
    """
    edition = "2019" if "other_processing" in edition_rows else "2021"
    others = set(result_rows(applications, edition)) & _OTHER_ROWS
    wanted = {row for row in edition_rows if row not in _OTHER_ROWS} | others
    added = [row for row in _ROW_ORDER if row in wanted and row not in applications]
    for row in added:
        applications[row] = {}
    for cells in applications.values():
        for column in APPLICATION_COLUMNS:
            cells.setdefault(column, None)
    order = {row: i for i, row in enumerate(_ROW_ORDER)}
    rows = sorted(applications.items(), key=lambda item: order.get(item[0], len(order)))
    applications.clear()
    applications.update(rows)
    return added


def _operand(section: str, table: Mapping[str, Any], row: str, key: str, name: str) -> _Operand:
    holder = table.get(row)
    return _Operand(
        name, f"{section}/{row}/{key}", holder if isinstance(holder, dict) else None, key
    )


def _equations(report: Mapping[str, Any]) -> Iterator[_Equation]:
    """Every rule instance the report's tables hold, rule by rule, in table order."""
    apps = report.get("applications") or {}
    for row in apps:
        yield _Equation(
            "rule1",
            row,
            (_operand("applications", apps, row, "total", "total"),),
            tuple(_operand("applications", apps, row, c, c) for c in APPLICANT_COLUMNS),
            "sum of the six applicant columns",
        )
    if apps:
        for column in APPLICATION_COLUMNS:
            yield _Equation(
                "rule2",
                column,
                tuple(_operand("applications", apps, r, column, r) for r in _RECEIVED_ROWS),
                tuple(_operand("applications", apps, r, column, r) for r in _CLOSING_ROWS),
            )
        rows = result_rows(apps, report.get("edition"))
        for column in APPLICATION_COLUMNS:
            yield _Equation(
                "rule3",
                column,
                (_operand("applications", apps, "total_processed", column, "total_processed"),),
                tuple(_operand("applications", apps, r, column, r) for r in rows),
                f"sum of the {len(rows)} result rows",
            )
    reviews = report.get("reviews_and_lawsuits") or {}
    for group in REVIEW_GROUPS:
        if group in reviews:
            yield _Equation(
                "rule4",
                group,
                (_operand("reviews_and_lawsuits", reviews, group, "total", "total"),),
                tuple(
                    _operand("reviews_and_lawsuits", reviews, group, f, f)
                    for f in REVIEW_FIELDS[:-1]
                ),
            )


def _side(operands: Sequence[_Operand], phrase: str | None, *, left: bool) -> str:
    """`total 7`, `a 1 + b 2 = 3` or `3 = sum of …`, for a check's detail."""
    total = sum(op.value for op in operands)
    if len(operands) == 1:
        return f"{operands[0].name} {total}"
    terms = phrase or " + ".join(f"{op.name} {op.value}" for op in operands)
    return f"{terms} = {total}" if left else f"{total} = {terms}"


_SECTION_OF_RULE = {
    "rule1": "applications",
    "rule2": "applications",
    "rule3": "applications",
    "rule4": "reviews_and_lawsuits",
}


def check_rules(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Evaluate rules 1–4: one check per evaluable instance, one summary per rule otherwise.

    An instance with a blank operand cannot be judged; each rule then gets one entry with
    `ok` null saying how many instances were not evaluated and which, so `checks` shows
    every rule.
    """
    if report.get("edition") == "pre2019":
        return [dict(_UNSUPPORTED_FORMAT)]
    return _judge(_equations(report), _SECTION_OF_RULE)


def check_previous_year(
    report: Mapping[str, Any], previous: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Rule 5: per column, `report`'s carried_over = `previous`'s carried_forward.

    The same shape as rules 1–4: one check per column that both tables print, one
    "not evaluated" entry otherwise (a pre-2019 year has no such table).
    """
    this = report.get("applications") or {}
    last = previous.get("applications") or {}
    equations: list[_Equation] = []
    if this and last:
        label = f"{previous.get('year')} carried_forward"
        equations = [
            _Equation(
                "rule5",
                column,
                (_operand("applications", this, "carried_over", column, "carried_over"),),
                (_operand("applications", last, "carried_forward", column, label),),
            )
            for column in APPLICATION_COLUMNS
        ]
    return _judge(equations, {"rule5": "applications"})


def _judge(equations: Iterable[_Equation], sections: Mapping[str, str]) -> list[dict[str, Any]]:
    """One check per equation whose cells are all numbers, then per rule one entry with
    `ok` null (not judged, never "fine") naming the instances left unevaluated, or saying
    the table is absent."""
    evaluated: dict[str, list[dict[str, Any]]] = {rule: [] for rule in sections}
    skipped: dict[str, list[str]] = {rule: [] for rule in sections}
    for eq in equations:
        if any(not _is_number(op.value) for op in eq.lhs + eq.rhs):
            skipped[eq.rule].append(eq.label)
            continue
        ok = sum(op.value for op in eq.lhs) == sum(op.value for op in eq.rhs)
        left = _side(eq.lhs, None, left=True)
        right = _side(eq.rhs, eq.phrase, left=False)
        detail = f"{eq.label}: {left} {'=' if ok else '≠'} {right}"
        evaluated[eq.rule].append({"rule": eq.rule, "ok": ok, "detail": detail})
    checks: list[dict[str, Any]] = []
    for rule, entries in evaluated.items():
        checks += entries
        labels = skipped[rule]
        if labels:
            verb = "instance has" if len(labels) == 1 else "instances have"
            detail = f"not evaluated: {len(labels)} {verb} blank cells ({', '.join(labels)})"
        elif entries:
            continue
        else:
            detail = f"not evaluated: {sections[rule]} table absent"
        checks.append({"rule": rule, "ok": None, "detail": detail})
    return checks


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Instance:
    """One rule instance as a whole: the paths of its cells, and whether it holds (None
    when a cell is blank or its row absent)."""

    rule: str
    paths: tuple[str, ...]
    holds: bool | None


def rule_instances(report: Mapping[str, Any]) -> list[Instance]:
    """Rules 1–4 instance by instance, for callers that weigh cells against the rules.

    An instance with blank cells is broken all the same when the side with the blanks
    already sums to more than the other, complete side: counts are never negative.
    """
    instances = []
    for eq in _equations(report):
        operands = eq.lhs + eq.rhs
        holds = None
        if all(_is_number(op.value) for op in operands):
            holds = sum(op.value for op in eq.lhs) == sum(op.value for op in eq.rhs)
        elif _exceeds(eq.lhs, eq.rhs) or _exceeds(eq.rhs, eq.lhs):
            holds = False
        instances.append(Instance(eq.rule, tuple(op.path for op in operands), holds))
    return instances


def _exceeds(partial: Sequence[_Operand], whole: Sequence[_Operand]) -> bool:
    """Whether the known cells of `partial` already sum to more than complete `whole`."""
    if not all(_is_number(op.value) for op in whole):
        return False
    known = [op.value for op in partial if _is_number(op.value)]
    return bool(sum(known) > sum(op.value for op in whole))


def _forced(eq: _Equation) -> list[tuple[_Operand, int | None]]:
    """What this equation alone says about its blank cells (counts are non-negative).

    Blanks on one side only: their sum is the other side minus the known cells.  One blank
    takes that residual; several blanks are all 0 when the residual is 0.  A negative or
    non-integer residual means the printed cells contradict each other: the blanks get None,
    "no valid value", which vetoes what other equations would put there.  An absent row is
    an unknown that cannot be filled.
    """
    operands = eq.lhs + eq.rhs
    if any(op.value is not None and not _is_number(op.value) for op in operands):
        return []
    blank_left = [op for op in eq.lhs if op.value is None]
    blank_right = [op for op in eq.rhs if op.value is None]
    if bool(blank_left) == bool(blank_right):  # none blank, or blanks on both sides
        return []
    known_left = sum(op.value for op in eq.lhs if op.value is not None)
    known_right = sum(op.value for op in eq.rhs if op.value is not None)
    residual = known_right - known_left if blank_left else known_left - known_right
    blanks = blank_left or blank_right
    value: int | None
    if not isinstance(residual, int) or residual < 0:
        value = None
    elif len(blanks) == 1 or residual == 0:
        value = residual
    else:
        return []  # several blanks sharing a positive sum: not determined
    return [(op, value) for op in blanks if op.holder is not None]


def infer_forced(report: dict[str, Any], keep_blank: Collection[str] = ()) -> list[str]:
    """Fill, in place, the blank cells the report's own arithmetic forces; return their paths.

    Cells in `keep_blank` stay blank (unknowns), whatever the rules say of them.

    Rules 1–4 are applied to a fixpoint over `applications` and `reviews_and_lawsuits`
    (never `active_disclosure`).  Each round collects what every equation says about each
    blank from the current cells; a blank is filled only when the equations that determine
    it agree and none of them is contradicted.  Paths come back in table order, ready for
    the report's `inferred` list.
    """
    if report.get("edition") == "pre2019":
        return []
    filled: set[str] = set()
    while True:
        proposals: dict[str, tuple[_Operand, set[int | None]]] = {}
        for eq in _equations(report):
            for op, value in _forced(eq):
                proposals.setdefault(op.path, (op, set()))[1].add(value)
        progress = False
        for path, (op, values) in proposals.items():
            value = values.pop() if len(values) == 1 else None
            if value is not None and op.holder is not None and path not in keep_blank:
                op.holder[op.key] = value
                filled.add(path)
                progress = True
        if not progress:
            return [path for path in _cell_paths(report) if path in filled]


def _cell_paths(report: Mapping[str, Any]) -> Iterator[str]:
    """Every applications and reviews cell path, in table order."""
    for row, cells in (report.get("applications") or {}).items():
        yield from (f"applications/{row}/{c}" for c in cells)
    for group, cells in (report.get("reviews_and_lawsuits") or {}).items():
        yield from (f"reviews_and_lawsuits/{group}/{f}" for f in cells)
