"""The test data's paths as fixtures (paths.py holds them for collection time)."""

from __future__ import annotations

from pathlib import Path

import paths
import pytest


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return paths.DATA


@pytest.fixture(scope="session")
def devset() -> Path:
    return paths.DEVSET


@pytest.fixture(scope="session")
def seeds() -> Path:
    return paths.SEEDS


@pytest.fixture(scope="session")
def huaian() -> Path:
    """淮安市人民政府 2024: a real WPS-made report PDF."""
    return paths.HUAIAN


@pytest.fixture(scope="session")
def pingtan() -> Path:
    """平潭综合实验区 2021: a real crawled web page text, its table cells run together."""
    return paths.PINGTAN
