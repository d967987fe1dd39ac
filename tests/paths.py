"""Where the test data lives: each path defined once, here.

A plain module, not fixtures, for what must be known when pytest collects (parametrize lists,
module-level helpers); test functions take the fixtures of the same paths from conftest.py.
`tests/` is on sys.path because conftest.py sits in it and pytest imports it in prepend mode
(as `from live import …` works in integration/), so tests say `from paths import DEVSET`.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository: README.md, pyproject.toml, docker-compose.yml."""
DATA = ROOT / "tests" / "data"
DEVSET = DATA / "devset"
"""dev-01 … dev-15 with their truths (the README there says which is what)."""
REAL = DEVSET / "real"
"""Two real published reports with hand-checked truths."""
HUAIAN = REAL / "huaian-shi-2024.pdf"
PINGTAN = REAL / "pingtan-2021.txt"
SEEDS = DATA / "seeds"
"""Five real report texts with their truths."""

TEXT_PDFS = [*(DEVSET / f"dev-{number:02d}.pdf" for number in range(1, 10)), HUAIAN]
"""The text-layer PDFs: dev-01 … dev-09 and Huai'an's."""
SEED_TEXTS = sorted(SEEDS.glob("*.txt"))
