"""The studio in headless Chromium against a real server: sign in, plan, edit, approve, watch, play, download.

A hostile title and request (markup, quotes, right-to-left text) must show
as text: no element is made from them and no script runs.
"""

from __future__ import annotations

from tests.api.api_helpers import TOKEN
from tests.browser.studio_page import StudioPage

HOSTILE = "<img src=x onerror=alert(1)> \"quoted\" 'single' שלום עולם"
REQUEST = f"a red circle moves right on grass, then a blue square moves left on sand {HOSTILE}"


def all_thumbnails(browser) -> bool:
    """Every shot card shows a decoded poster image."""
    return browser.execute_script("""
        const cards = [...document.querySelectorAll('#shot-cards .shot')];
        return cards.length > 0 && cards.every(c => {
            const img = c.querySelector('img.poster');
            return img && img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:');
        });""")


def card_takes(browser, cards: str) -> dict[str, str] | None:
    """Shot id → the take its card shows, once every card shows one (its poster decoded)."""
    return browser.execute_script("""
        const cards = [...document.querySelectorAll(arguments[0] + ' .shot')];
        if (!cards.length || !cards.every(c => c.dataset.take && c.querySelector('img.poster')?.naturalWidth > 0)) return null;
        return Object.fromEntries(cards.map(c => [c.dataset.shot, c.dataset.take]));""", cards)


def test_make_a_video_in_the_browser(browser, studio_server, screenshots):
    page = StudioPage(browser, studio_server.url, screenshots)
    page.open()
    page.wait_css("#login")
    page.type_into("#token", "not-the-token-0123456789")
    page.click("#login-button")
    page.wait(lambda: "refused" in page.wait_css("#login-error").text, 20, "the refusal")
    page.shot("login-refused")
    assert page.token_in_storage() is None

    page.type_into("#token", TOKEN)
    page.click("#login-button")
    page.wait_css("#no-jobs")
    assert page.token_in_storage() == TOKEN
    page.shot("signed-in")

    page.click("#nav-new")
    page.type_into("#request", REQUEST)
    page.type_into("#seconds", "4")
    page.shot("new-video")
    page.click("#plan-button")
    estimate = page.wait_css("#estimate", 60)
    assert "tries" in estimate.text and "$" in estimate.text  # the oracle states no speed: no time yet
    cards = page.css("#plan-cards .shot")
    assert len(cards) >= 2
    assert page.wait_css("#plan-request").text == REQUEST  # as text, markup and all
    page.type_into("#title", HOSTILE)
    page.shot("plan")

    page.click("#approve")
    page.wait_css("#job-status")
    page.wait(lambda: page.css("#job-status.succeeded"), 120, "the job to succeed")
    video = page.wait_css("#video", 30)
    assert video.get_attribute("src").startswith("blob:")
    page.wait(lambda: browser.execute_script("return document.getElementById('video').readyState") >= 1, 30,
              "the video's metadata")
    duration = browser.execute_script("return document.getElementById('video').duration")
    assert 3.0 <= duration <= 5.0
    download = page.wait_css("#download")
    assert download.get_attribute("href").startswith("blob:") and download.get_attribute("download").endswith(".mp4")
    assert page.wait_css("#job-request").text == REQUEST
    assert HOSTILE in page.wait_css("#player").text  # the title, drawn as text
    assert len(page.css("#shot-cards .shot")) == len(cards)
    page.wait(lambda: all_thumbnails(browser), 60, "a thumbnail on every shot card")
    assert all(c.get_attribute("data-take") for c in page.css("#shot-cards .shot"))
    page.shot("finished")
    browser.execute_script("document.getElementById('shot-cards').scrollIntoView()")
    page.shot("shot-cards")
    first = page.css("#shot-cards .shot img.poster")[0]
    first.click()
    page.wait(lambda: browser.execute_script(
        "const v = document.querySelector('#shot-cards video.preview'); return v && v.readyState >= 1"), 30,
        "the preview clip")

    # review: regenerate one shot, see only its take change, undo
    page.click("#review")
    before = page.wait(lambda: card_takes(browser, "#review-cards"), 60, "the review cards' takes")
    target = list(before)[-1]
    page.shot("review")
    page.click(f'#review-cards [data-shot="{target}"] [data-action="regenerate"]')
    page.wait_css("#job-status")
    page.wait(lambda: page.css("#job-status.succeeded"), 120, "the regeneration")
    page.click("#review")
    after = page.wait(lambda: (t := card_takes(browser, "#review-cards")) and t != before and t, 60, "the new take")
    assert after[target] != before[target]
    assert {k: v for k, v in after.items() if k != target} == {k: v for k, v in before.items() if k != target}
    assert "regenerate" in page.wait_css("#history").text
    page.shot("regenerated")
    page.click("#undo")
    page.wait(lambda: card_takes(browser, "#review-cards") == before, 60, "the undo")
    assert "undo: back to revision" in page.wait_css("#history").text
    assert page.wait_css("#download").get_attribute("href").startswith("blob:")
    page.shot("undone")

    page.click("#nav-jobs")
    row = page.wait(lambda: next((r for r in page.css("#jobs tbody tr") if REQUEST in r.text), None), 20, "the job's row")
    assert row.get_attribute("data-status") == "succeeded"
    page.wait(lambda: "$" in row.find_element("css selector", ".cost").text, 20, "the job's cost")
    page.shot("jobs")

    assert page.no_alert()
    assert browser.execute_script("return document.querySelectorAll('img[src=\"x\"], [onerror]').length") == 0
    assert TOKEN not in browser.current_url and TOKEN not in studio_server.log()
