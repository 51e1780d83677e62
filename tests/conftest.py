"""Shared fixtures: every test gets its own project folder under tmp_path."""

from __future__ import annotations

import pytest


@pytest.fixture
def project_dir(tmp_path):
    d = tmp_path / "project"
    d.mkdir()
    return d
