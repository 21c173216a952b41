"""Account changes seen live in real browsers (issue #3: A3, A4)."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person
from tests.browser.test_two_users import (
    LIVE_MS,
    PASSWORD,
    befriend,
    chat_row,
    sign_up,
    wait_until_live,
    without_reload,
)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "another-quiet-lantern-5832"


def log_in(person: Person, name: str, password: str) -> None:
    page = person.page
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/chats/$"))


def test_password_change_sends_the_other_browser_to_log_in_without_a_reload(
    new_person: Callable[..., Person],
) -> None:
    laptop = sign_up(new_person(), "alice")
    phone = new_person()
    log_in(phone, laptop.name, PASSWORD)
    wait_until_live(phone.page)
    phone.page.evaluate("window.novaTestMarker = true")

    laptop.page.goto("/accounts/profile/")
    form = laptop.page.locator(
        "form", has=laptop.page.get_by_label("New password again")
    )
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label(re.compile(r"^\s*New password\W*$")).fill(NEW_PASSWORD)
    form.get_by_label("New password again").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Change password").click()

    expect(laptop.page.locator("#flash")).to_contain_text("Your password is changed.")
    expect(phone.page).to_have_url(re.compile(r"/accounts/login/"), timeout=LIVE_MS)
    # The phone was sent there by the socket, not by anyone reloading it.
    expect(phone.page.get_by_role("button", name="Log in")).to_be_visible()
    wait_until_live(laptop.page)
    laptop.page.goto("/chats/")
    expect(laptop.page).to_have_url(re.compile(r"/chats/$"))
    log_in(phone, laptop.name, NEW_PASSWORD)
    assert laptop.page_errors == phone.page_errors == []


def test_new_avatar_shows_live_in_a_friends_open_chat(
    new_person: Callable[..., Person],
) -> None:
    alice = sign_up(new_person(), "alice")
    bob = sign_up(new_person(), "bob")
    chat_url = befriend(alice, bob)
    alice.page.goto(chat_url)
    alice.page.get_by_label("Message", exact=True).fill("Look at my new picture")
    alice.page.get_by_role("button", name="Send").click()
    bob.page.goto(chat_url)
    alice.page.goto("/accounts/profile/")
    wait_until_live(alice.page, bob.page)
    pictures = [
        chat_row(bob.page, alice.name).locator("img"),
        bob.page.locator(".message:not(.message-own) img"),
        bob.page.locator('.chat-main img[width="36"]'),  # the header
    ]
    before = [picture.get_attribute("src") for picture in pictures]

    with without_reload(bob.page):
        alice.page.get_by_role("button", name="New random picture").click()
        expect(alice.page.locator("#flash")).to_contain_text("a new random picture")
        new_src = alice.page.locator("#avatar-section img").get_attribute("src")

        assert new_src not in before
        for picture in pictures:
            expect(picture).to_have_attribute("src", str(new_src), timeout=LIVE_MS)
        # Each keeps its own size.
        expect(pictures[0]).to_have_attribute("width", "40")
        expect(pictures[1]).to_have_attribute("width", "32")
    expect(alice.page.locator("nav img[data-avatar-of]")).to_have_attribute(
        "src", str(new_src)
    )
    assert alice.page_errors == bob.page_errors == []
