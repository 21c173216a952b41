"""What people do with messages, in real browsers (M3-M6): read state
reaching the sender live, the message menu from the keyboard, recall,
and a reply's quote leading to an original further back."""

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import urlencode, urljoin
from urllib.request import Request, urlopen
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person
from tests.browser.test_two_users import (
    LIVE_MS,
    befriend,
    cookies_of,
    post_message,
    send,
    sign_up,
    wait_until_live,
    without_reload,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def friends(new_person: Callable[..., Person]) -> tuple[Person, Person, str]:
    alice, bob = sign_up(new_person(), "alice"), sign_up(new_person(), "bob")
    return alice, bob, befriend(alice, bob)


def words(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def post_reply(cookies: dict[str, str], chat_url: str, text: str, to: int) -> int:
    """Reply over HTTP with a person's cookies, as their browser would."""
    fields = {"body": text, "client_token": str(uuid4()), "reply_to": to}
    request = Request(
        f"{chat_url}send/",
        data=urlencode(fields).encode(),
        headers={
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "X-CSRFToken": cookies["csrftoken"],
            "HX-Request": "true",
        },
    )
    with urlopen(request, timeout=30) as response:
        return int(response.status)


def test_read_state_and_a_recall_reach_the_other_side_live(
    friends: tuple[Person, Person, str],
) -> None:
    alice, bob, chat_url = friends
    alice.page.goto(chat_url)
    wait_until_live(alice.page)

    with without_reload(alice.page):
        send(alice.page, "Are you there?")
        mine = alice.page.locator(".message-own", has_text="Are you there?")
        expect(mine.locator(".read-state")).to_have_text(words("Unread"))

        bob.page.goto(chat_url)
        wait_until_live(bob.page)
        expect(mine.locator(".read-state")).to_have_text(words("Read"), timeout=LIVE_MS)

        # The message menu, from the keyboard (M4).
        button = mine.locator("[data-message-menu]")
        button.focus()
        button.press("Enter")
        items = mine.get_by_role("menuitem")
        expect(items.first).to_be_focused()
        alice.page.keyboard.press("ArrowDown")
        expect(items.nth(1)).to_be_focused()
        alice.page.keyboard.press("Escape")
        expect(mine.get_by_role("menu")).to_have_count(0)
        expect(button).to_be_focused()

        button.press("Enter")
        mine.get_by_role("menuitem", name="Recall").click()

        expect(alice.page.locator(".message-withdrawn")).to_have_text(
            words("You recalled a message")
        )
        expect(bob.page.locator(".message-withdrawn")).to_have_text(
            words(f"{alice.name} recalled a message"), timeout=LIVE_MS
        )
    expect(bob.page.get_by_text("Are you there?")).to_have_count(0)
    assert alice.page_errors == bob.page_errors == []


def test_quote_jumps_to_an_original_that_was_not_loaded(
    friends: tuple[Person, Person, str], nova_server
) -> None:
    alice, bob, chat_url = friends
    url = urljoin(nova_server.url, chat_url)
    bob.page.goto(chat_url)
    send(bob.page, "The original question")
    original = bob.page.locator(".message-own", has_text="The original question")
    original_id = int(str(original.get_attribute("data-message-id")))
    cookies = cookies_of(bob)
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(
            pool.map(
                partial(post_message, cookies, url), [f"filler {n}" for n in range(60)]
            )
        )
    assert statuses == [200] * 60
    assert post_reply(cookies, url, "The answer, at last", original_id) == 200

    alice.page.goto(chat_url)
    wait_until_live(alice.page)
    target = alice.page.locator(f"#message-{original_id}")
    expect(target).to_have_count(0)

    with without_reload(alice.page):
        alice.page.locator(f".quote[data-quote-of='{original_id}']").click()

        expect(target).to_have_class(re.compile(r"\bmessage-focus\b"))
        expect(target).to_be_in_viewport()
        expect(target).to_contain_text("The original question")
    assert alice.page_errors == []
