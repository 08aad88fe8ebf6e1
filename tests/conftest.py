"""Shared test set-up: a pinned timezone, the golden-file flag, hypothesis profiles, and the
opt-in fixture that makes ``-j N`` start its worker processes however few the inputs."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SEEDS = ROOT / "seeds"


def installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(name) is not None for name in modules)


#: Every test that needs an optional extra skips alike when it is not installed (``make test``
#: installs them all, so there they run).
needs_dask = pytest.mark.skipif(not installed("dask", "distributed", "fsspec"),
                                reason="dask is not installed: pip install 'news-ingest[dask]'")
needs_pyarrow = pytest.mark.skipif(not installed("pyarrow"), reason="pyarrow is not installed: "
                                   "pip install 'news-ingest[parquet]'")

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


@pytest.fixture
def worker_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to the worker pool: ``-j N`` starts its workers even for a handful of inputs, in
    this process and in the ``ingest`` subprocesses the test starts (a run of fewer than
    ``POOL_MIN_INPUTS`` inputs otherwise stays in the calling process, as it does for users).
    Only tests about the pool ask for it: starting workers costs ~0.7 s a run, and an input
    that ends its process (``os._exit``) must end a worker, not pytest."""
    from news_ingest.executors import local

    monkeypatch.setattr(local, "POOL_MIN_INPUTS", 0)
    monkeypatch.setenv("NEWS_INGEST_POOL_MIN_INPUTS", "0")
