"""Shared test set-up: a pinned timezone, the golden-file flag, hypothesis profiles."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SEEDS = ROOT / "seeds"

# Small test inputs still go through the worker pool when a test asks for -j 2 (in this process
# and in the ingest subprocesses some tests start).
os.environ["NEWS_INGEST_POOL_MIN_INPUTS"] = "0"

# Tests never depend on the machine's zone or today's date.
os.environ["TZ"] = "UTC"
if hasattr(time, "tzset"):
    time.tzset()

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20000")), deadline=None,
    suppress_health_check=list(HealthCheck),
)
if not os.environ.get("HYPOTHESIS_PROFILE_SET"):
    settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the expected JSON beside each golden input (read the diff!)")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
