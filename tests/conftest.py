"""Shared fixtures: every test gets its own project folder under tmp_path."""

from __future__ import annotations

import pytest


@pytest.fixture
def project_dir(tmp_path):
    d = tmp_path / "project"
    d.mkdir()
    return d


@pytest.fixture(autouse=True)
def quiet_machine(monkeypatch):
    """Every thread gets a whole core: estimates in tests do not move with the machine's load.

    ``tests/agent/test_costs_load.py`` measures the real share (it imports
    ``cpu_share`` itself) and patches this one where it needs a busy machine.
    """
    from longcut.agent.costs import machine

    monkeypatch.setattr(machine, "cpu_share", lambda seconds=machine.TAKE_PROBE_SECONDS: 1.0)
