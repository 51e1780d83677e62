"""Servers shared by the API tests: one with workers, one that only accepts jobs (strict limits)."""

from __future__ import annotations

import pytest

from longcut.client import Client

from tests.api.api_helpers import BAD_EXTENSION, FAST, SLOW, TOKEN, Server


@pytest.fixture(scope="session")
def jobs_server(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("jobs-home"), workers=2, models=f"{SLOW},{FAST},{BAD_EXTENSION}") as server:
        yield server


@pytest.fixture(scope="session")
def gate_server(tmp_path_factory):
    """No workers (jobs stay queued), small limits."""
    extra = ("--max-active-jobs", "3", "--max-seconds", "30", "--max-references", "2", "--max-upload-mb", "0.25")
    with Server(tmp_path_factory.mktemp("gate-home"), 0, "tests.fakes:WorldOracleModel", *extra) as server:
        yield server


@pytest.fixture
def client(jobs_server):
    with Client(jobs_server.url, TOKEN) as api:
        yield api
