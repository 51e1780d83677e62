"""Small helpers over selenium for the studio page: waits, fills, screenshots."""

from __future__ import annotations

import time
from pathlib import Path

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


class StudioPage:
    """The studio in a browser: ``css``, ``wait_css``, ``type_into``, ``shot`` (a screenshot per step)."""

    def __init__(self, driver, url: str, screenshots: Path) -> None:
        self.d, self.url, self.screenshots, self.step = driver, url, screenshots, 0

    def open(self) -> None:
        self.d.get(f"{self.url}/studio")

    def css(self, selector: str):
        return self.d.find_elements(By.CSS_SELECTOR, selector)

    def wait_css(self, selector: str, timeout: float = 30.0, visible: bool = True):
        cond = EC.visibility_of_element_located if visible else EC.presence_of_element_located
        return WebDriverWait(self.d, timeout).until(cond((By.CSS_SELECTOR, selector)))

    def wait(self, predicate, timeout: float = 60.0, what: str = "the page"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.2)
        self.shot(f"timeout-{what.replace(' ', '-')[:40]}")
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; console: {self.console()}")

    def type_into(self, selector: str, text: str) -> None:
        el = self.wait_css(selector)
        el.clear()
        el.send_keys(text)

    def click(self, selector: str) -> None:
        self.wait_css(selector).click()

    def shot(self, name: str) -> Path:
        self.step += 1
        path = self.screenshots / f"{self.step:02d}-{name}.png"
        self.d.save_screenshot(str(path))
        return path

    def no_alert(self) -> bool:
        try:
            _ = self.d.switch_to.alert.text
        except NoAlertPresentException:
            return True
        return False

    def console(self) -> list[str]:
        try:
            return [e["message"] for e in self.d.get_log("browser")]
        except Exception:  # not every driver keeps the log
            return []

    def token_in_storage(self) -> str | None:
        return self.d.execute_script("return sessionStorage.getItem('longcut-token')")
