"""Deleting an account, seen live in real browsers (A6)."""

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


def test_deleted_account_leaves_its_friends_tabs_and_every_session_live(
    new_person: Callable[..., Person],
) -> None:
    alice, bob = sign_up(new_person(), "alice"), sign_up(new_person(), "bob")
    chat_url = befriend(alice, bob)
    bob.page.goto(chat_url)
    bob_friends = bob.new_page()
    bob_friends.goto("/friends/")
    # A second session of alice, in another browser: it ends too.
    alice_other_tab = new_person().page
    alice_other_tab.goto("/accounts/login/")
    alice_other_tab.get_by_label("Username").fill(alice.name)
    alice_other_tab.get_by_label("Password").fill(PASSWORD)
    alice_other_tab.get_by_role("button", name="Log in").click()
    expect(alice_other_tab).to_have_url(re.compile(r"/chats/$"))
    wait_until_live(bob.page, bob_friends, alice_other_tab)

    with without_reload(bob.page, bob_friends):
        alice.page.goto("/chats/")
        alice.page.get_by_title(re.compile("your profile$")).click()
        alice.page.locator("#delete-current_password").fill(PASSWORD)
        alice.page.get_by_role("button", name="Delete my account").click()

        expect(alice.page).to_have_url(re.compile(r"/accounts/login/"))
        expect(alice.page.locator("#flash")).to_contain_text(
            "Your account has been deleted."
        )
        expect(alice_other_tab).to_have_url(
            re.compile(r"/accounts/login/"), timeout=LIVE_MS
        )
        expect(bob.page.locator(".chat-main")).to_contain_text(
            "This chat has ended", timeout=LIVE_MS
        )
        expect(chat_row(bob.page, alice.name)).to_have_count(0)
        expect(bob_friends.locator("#friend-list")).not_to_contain_text(
            alice.name, timeout=LIVE_MS
        )
