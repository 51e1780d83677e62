"""Headless Chromium from the distribution's packages, driven by selenium, against a real ``longcut serve``.

The browser and its driver are the system's (``/usr/bin/chromium``,
``/usr/bin/chromedriver``; ``.ci/run`` installs them on a fresh machine):
selenium is given both paths, so it never looks for or downloads a driver.
Without them the tests skip and say what is missing. Screenshots of every
step go to ``$LONGCUT_STUDIO_SCREENSHOTS`` (default: the test's temporary
folder) and are kept as the run's artifacts.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.api.api_helpers import FAST, Server

CHROMIUM = os.environ.get("LONGCUT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LONGCUT_CHROMEDRIVER", "/usr/bin/chromedriver")


def _missing() -> str | None:
    for what, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            found = shutil.which(what)
            if found is None:
                return (f"no {what} at {path} or on PATH: install the distribution's chromium and chromium-driver "
                        "(apt-get install chromium chromium-driver; .ci/run does) to run the studio's browser tests")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (it is in the dev extra: pip install -e '.[dev]')"
    return None


def _path(default: str, what: str) -> str:
    return default if Path(default).is_file() else shutil.which(what)


@pytest.fixture(scope="session")
def browser():
    why = _missing()
    if why:
        pytest.skip(why)
    os.environ["SE_OFFLINE"] = "true"  # selenium manager: never reach the network
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _path(CHROMIUM, "chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--no-first-run", "--disable-extensions", "--mute-audio"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(_path(CHROMEDRIVER, "chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def studio_server(tmp_path_factory):
    """A real server on 127.0.0.1 with one worker and the test-double model (short jobs)."""
    with Server(tmp_path_factory.mktemp("studio-home"), 1, FAST, chunk_delay=0.0) as server:
        yield server


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    folder = os.environ.get("LONGCUT_STUDIO_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("studio-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
