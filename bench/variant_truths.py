"""The truths of the hard variants (bench/variants.py): which devset truths qualify, and
how a truth changes where a variant removes information."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

SECTIONS: Final = ("active_disclosure", "applications", "reviews_and_lawsuits")


@dataclass(frozen=True)
class Variant:
    """One input file's bytes and the truth it must read as."""

    suffix: str
    data: bytes
    truth: dict[str, Any]


Style = Callable[[dict[str, Any], random.Random], Variant | None]


def eligible(truth: dict[str, Any]) -> bool:
    """A source must print everything a variant may keep: the three tables, agency, year."""
    return (
        all(truth.get(section) for section in SECTIONS)
        and bool(truth.get("agency"))
        and isinstance(truth.get("year"), int)
        and truth.get("edition") in ("2019", "2021")
    )


def variant_truth(
    truth: dict[str, Any],
    style: str,
    notes: str,
    *,
    drop: Sequence[str] = (),
    **top: Any,
) -> dict[str, Any]:
    """The source truth for a variant: sections in `drop` absent (`{}`), top-level keys
    replaced by `top`, `meta.style` the variant's, what it changed said in `meta.notes`."""
    result = copy.deepcopy(truth)
    meta = result.setdefault("meta", {})
    for section in drop:
        result[section] = {}
    result.update(top)
    kept = tuple(f"{section}/" for section in SECTIONS if section not in drop)
    inferable = meta.get("inferable") or {}
    if isinstance(inferable, dict):
        meta["inferable"] = {p: v for p, v in inferable.items() if p.startswith(kept)}
    else:
        meta["inferable"] = [p for p in inferable if p.startswith(kept)]
    meta["blank_cells"] = [p for p in meta.get("blank_cells") or () if p.startswith(kept)]
    meta["source_style"] = meta.get("style")
    meta["source_notes"] = meta.get("notes")  # about the source's layout, not this one's
    meta["style"] = style
    meta["notes"] = notes
    return result


def with_negative_change(
    truth: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str | None]:
    """A 2019-edition truth with at least one negative 本年增/减: the source's own when it has
    one, else one made negative here (said in the returned note)."""
    active = truth["active_disclosure"]
    rows = [key for key, row in active.items() if isinstance(row.get("change"), int | float)]
    if truth["edition"] != "2019" or not rows or any(active[k]["change"] < 0 for k in rows):
        return truth, None
    key = rng.choice(rows)
    changed = copy.deepcopy(truth)
    before = active[key]["change"]
    changed["active_disclosure"][key]["change"] = -abs(before) if before else -rng.randint(1, 20)
    after = changed["active_disclosure"][key]["change"]
    return changed, f"active_disclosure/{key}/change made negative ({before} → {after})"
