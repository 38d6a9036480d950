"""The learner's whole path in a real browser (issue 6 acceptance): sign up → confirm with the
emailed code → sign in → a streamed reply (at least two chunks seen in the DOM) → the feedback
for "I has two cat" highlights both errors → the score radar → progress → history rename and
delete → check page → sign out, with no console errors and no token anywhere it should not be.
"""

from __future__ import annotations

import json
import re

from conftest import DESKTOP, PHONE, App
from playwright.sync_api import expect

LONG = 150_000  # ms: a reply or feedback from a small model on 2 shared cores
REPLY_PATIENCE = 45_000  # ms a streaming reply may take after its first chunks before the test stops it
PASSWORD = "Cakap-Web-7!"

# Records, while a reply streams, every distinct length of its text as the DOM shows it.
WATCH_STREAM = """
() => {
  window.__seen = [];
  new MutationObserver(() => {
    const item = document.querySelector("#messages li.assistant[data-streaming='true']");
    const text = item?.querySelector(".message-text")?.textContent || "";
    if (item && text && !text.startsWith("…") && window.__seen.at(-1) !== text.length) window.__seen.push(text.length);
  }).observe(document.getElementById("messages"), {subtree: true, childList: true, characterData: true, attributes: true});
}
"""

UNLABELLED_CONTROLS = """
() => Array.from(document.querySelectorAll("input, select, textarea, button, a[href]"))
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !((el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")
    || el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))
"""


def assert_every_control_labelled(app: App) -> None:
    """Issue 6 item 8: every visible control has an accessible name."""
    assert app.page.evaluate(UNLABELLED_CONTROLS) == []


def sign_up_and_confirm(app: App, email: str, name: str) -> None:
    """R-AUTH-1, 2, 4, 7: sign-up with name and email, the password policy shown, the code."""
    page = app.page
    page.get_by_role("link", name="Create an account").click()
    expect(page.locator("#password-policy")).to_contain_text("8 characters")
    assert_every_control_labelled(app)
    page.get_by_label("Name").fill(name)
    page.locator("#signup-email").fill(email)
    page.locator("#signup-password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#signup-form .form-error")).to_contain_text("8 characters")  # refused before sending
    page.locator("#signup-password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#view-confirm")).to_be_visible()
    expect(page.locator("#confirm-email")).to_have_value(email)
    page.get_by_label("Confirmation code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#confirm-form .form-error")).to_contain_text("code")  # a wrong code is explained
    page.get_by_label("Confirmation code").fill(app.fleet.confirmation_code(email))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#view-signin")).to_be_visible()


def test_sign_up_chat_feedback_scores_history_and_sign_out(app: App):
    """R-AUTH-1..7, R-APP-2..7, R-APP-9, R-API-1: the acceptance path, end to end."""
    page = app.page
    # The wrong code and the wrong password below are refused by the pool with 400, on purpose.
    app.allow(r"status of 400 \(Bad Request\) \[[^\]]*/idp/\]")
    app.open("/")
    expect(page.locator("#view-signin")).to_be_visible()
    email = f"web-{page.evaluate('crypto.randomUUID()')[:8]}@example.com"
    sign_up_and_confirm(app, email, "Web Learner")

    page.locator("#signin-email").fill(email)
    page.locator("#signin-password").fill("Wrong-Password-1!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-form .form-error")).to_have_text("Incorrect email or password.")
    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#view-chat")).to_be_visible()
    expect(page.locator("#who")).to_have_text("Web Learner")
    expect(page.locator("#model option[value='smollm2:135m']")).to_be_attached()  # from /us-east-1/tags
    # Issue 17: a base model (no chat format) is not offered for chat.
    expect(page.locator("#model option[value='gemma3:270m']")).not_to_be_attached()
    expect(page.locator("#scenario option[value='food']")).to_be_attached()  # the tutor's topic cards
    expect(page.locator("#model")).to_have_value("smollm2:135m")  # config.js's default
    expect(page.locator("#region option")).to_have_count(2)
    assert_every_control_labelled(app)

    # R-APP-6: the reply streams into the page.
    page.evaluate(WATCH_STREAM)
    page.get_by_label("Your message").fill("I has two cat")
    with page.expect_response(lambda r: r.url.endswith("/tutor/feedback"), timeout=LONG) as tutor_answer:
        page.get_by_label("Your message").press("Enter")
    reply = page.locator("#messages li.assistant").last
    page.wait_for_function("() => window.__seen.length >= 2", timeout=LONG)
    try:
        expect(reply).to_have_attribute("data-streaming", "false", timeout=REPLY_PATIENCE)
    except AssertionError:
        # On a starved CPU a reply can take minutes: the learner's stop button ends it here.
        page.get_by_role("button", name="Stop").click()
        expect(reply).to_have_attribute("data-streaming", "false")
    expect(reply.locator(".message-text")).not_to_be_empty()
    seen = page.evaluate("window.__seen")
    assert len(seen) >= 2, f"the reply appeared in {len(seen)} step(s): {seen}"
    assert int(reply.get_attribute("data-chunks")) >= 2
    assert reply.get_attribute("data-region") == "us-east-1"
    expect(page.locator("#region-note")).to_be_hidden()

    # R-APP-2..4: every span the tutor returned is highlighted, each explaining itself on hover.
    answer = tutor_answer.value.json()
    turn = page.locator("#messages li.user").first
    expect(turn).to_have_attribute("data-feedback", "ready", timeout=LONG)
    mistakes = turn.locator("button.mistake")
    texts = mistakes.all_text_contents()
    returned = ["I has two cat"[m["offset"]: m["offset"] + m["length"]] for m in answer["matches"]]
    assert texts == returned, (texts, returned)
    assert any("has" in text for text in texts), texts  # Harper's finding
    # "cat" comes from the model's rewrite, which the tutor drops after its 20 s deadline
    # (docs/tutor.md); checked at the end so that the rest of the path runs either way.
    both_found = any("has" in text for text in texts) and any("cat" in text for text in texts)
    has = mistakes.filter(has_text="has").first
    has.hover()
    tip = turn.locator(".mistake-tip").first
    expect(tip).to_be_visible()
    expect(tip.locator(".tip-replacement")).to_contain_text("have")
    has.focus()  # keyboard: focus shows it too; Enter toggles it open
    page.keyboard.press("Enter")
    expect(has).to_have_attribute("aria-expanded", "true")
    app.screenshot("chat-feedback-desktop")

    # The English/Indonesian switch asks the tutor again in the other language.
    turn.get_by_role("button", name="Penjelasan dalam Bahasa Indonesia").click()
    expect(turn).to_have_attribute("data-feedback", "ready", timeout=LONG)
    expect(turn.locator("aside.feedback")).to_have_attribute("lang", "id")

    # R-APP-5: the aspects drawn as SVG by our code. "I has two cat" is four words: no CEFR band and
    # no overall yet (issue 18), and the learner reads the tutor's "keep talking" message instead.
    page.get_by_role("button", name="Score this conversation").click()
    radar = page.locator("#score-chart svg.radar")
    expect(radar).to_have_attribute("data-aspects", "8", timeout=LONG)
    expect(page.locator("#score-band")).to_have_text(re.compile(r"^Keep talking: 4 words are not enough"))
    assert radar.locator("polygon.area").count() == 1 and radar.locator("text.label").count() == 8
    app.screenshot("scores-desktop")
    page.set_viewport_size(PHONE)
    app.screenshot("chat-feedback-phone")
    page.emulate_media(color_scheme="dark")
    app.screenshot("chat-feedback-phone-dark")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(DESKTOP)

    # Progress over past conversations: the score is stored with the conversation.
    expect(page.locator("#status-bar")).not_to_contain_text("Saved on this device")
    page.get_by_role("link", name="Progress").click()
    expect(page.locator("#progress-chart svg.line")).to_have_attribute("data-points", "1")
    expect(page.locator("#progress-latest svg.radar")).to_be_visible()
    app.screenshot("progress-desktop")

    # R-API-1: the conversation is in history with its feedback; rename, open, delete.
    page.get_by_role("link", name="History").click()
    item = page.locator("#history-list li.history-item").first
    expect(item.locator("a.title")).to_have_text("I has two cat")
    item.get_by_role("button", name=re.compile("^Rename")).click()
    page.get_by_label("New title").fill("My first chat")
    page.get_by_label("New title").press("Enter")
    expect(page.locator("#history-list a.title").first).to_have_text("My first chat")
    page.locator("#history-list a.title").first.click()
    expect(page.locator("#chat-title")).to_have_text("My first chat")
    expect(page.locator("#messages li.user button.mistake").first).to_be_visible()  # stored feedback shown again
    page.get_by_role("link", name="History").click()
    page.locator("#history-list li.history-item").first.get_by_role("button", name=re.compile("^Delete")).click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.locator("#history-list li.history-item")).to_have_count(1)  # cancel keeps it
    page.locator("#history-list li.history-item").first.get_by_role("button", name=re.compile("^Delete")).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#history-list li.empty")).to_contain_text("No conversations yet")

    # R-APP-9: every pool of both regions healthy on the check page.
    page.get_by_role("link", name="Check").click()
    expect(page.locator("#check-summary")).to_have_text(re.compile(r"All \d+ checks are healthy"), timeout=30_000)
    for region in ("us-east-1", "us-west-2"):
        for pool in ("llm", "scoring", "chat"):
            rows = page.locator(f"#check-table tr[data-kind=pool]:has(th:text-is('{pool} pool')):has(td:text-is('{region}'))")
            assert rows.count() >= 1 and all(r.get_attribute("data-healthy") == "true" for r in rows.all()), (region, pool)
        expect(page.locator(f"#check-table tr[data-kind=balancer]:has(td:text-is('{region}'))")).to_have_attribute("data-healthy", "true")
    app.screenshot("check-desktop")
    page.set_viewport_size(PHONE)
    app.screenshot("check-phone")
    page.set_viewport_size(DESKTOP)

    # A reload keeps the session through REFRESH_TOKEN_AUTH (R-AUTH-5): the refresh token is in
    # sessionStorage, the ID token only in memory.
    page.reload()
    expect(page.locator("#view-check")).to_be_visible()
    expect(page.locator("#who")).to_have_text("Web Learner")

    # Nothing sensitive kept where it should not be, then sign out (R-AUTH-6).
    stored = page.evaluate("JSON.stringify({local: {...localStorage}, url: location.href})")
    assert "eyJ" not in stored and PASSWORD not in stored, stored
    assert not any("eyJ" in line or PASSWORD in line for line in app.console)
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#view-signin")).to_be_visible()
    expect(page.locator("#nav")).to_be_hidden()
    assert page.evaluate("Object.keys(sessionStorage).length") == 0
    page.reload()
    expect(page.locator("#view-signin")).to_be_visible()  # signed out for good
    assert json.loads(stored)["url"].endswith("#/check")
    assert both_found, (
        f"the tutor found {returned} in 'I has two cat' (corrected: {answer['corrected']!r}): without the "
        "model's rewrite, which did not come within the tutor's 20 s deadline, only Harper's 'has' is found")
