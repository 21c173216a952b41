"""Friend groups, remarks, presence and deleting a friend, live in real
browsers (issue #4). The request-accept-chat path is in test_two_users."""

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person
from tests.browser.test_two_users import (
    LIVE_MS,
    befriend,
    chat_row,
    sign_up,
    wait_until_live,
    without_reload,
)

pytestmark = pytest.mark.browser


def test_group_remark_and_deletion_reach_the_open_pages_live(
    new_person: Callable[..., Person],
) -> None:
    alice, bob = sign_up(new_person(), "alice"), sign_up(new_person(), "bob")
    chat_url = befriend(alice, bob)
    alice_chat = alice.new_page()
    alice_chat.goto(chat_url)
    alice.page.goto("/friends/")
    bob.page.goto("/friends/")
    wait_until_live(alice_chat, alice.page, bob.page)
    friend_list = alice.page.locator("#friend-list")
    bob_row = friend_list.locator("li.friend", has_text=bob.name)

    with without_reload(alice_chat, alice.page, bob.page):
        # Bob has a tab open: Alice sees him online.
        expect(bob_row.locator(".presence-dot.is-online")).to_have_count(1)

        alice.page.get_by_label("New group name").fill("Climbing")
        alice.page.get_by_role("button", name="Create group").click()
        climbing = friend_list.locator(
            "details.friend-group:has(> summary:has-text('Climbing'))"
        )
        expect(climbing.locator("summary .badge")).to_have_text("0 friends")
        bob_row.get_by_text("Manage").click()
        bob_row.get_by_label(f"Group of {bob.name}").select_option(label="Climbing")
        bob_row.get_by_role("button", name=f"Move {bob.name}").click()
        expect(climbing.locator("li.friend")).to_contain_text(bob.name)
        expect(climbing.locator("summary .badge")).to_have_text("1 friend")

        remark = f"Bouldering {bob.name}"
        bob_row.get_by_label(f"Remark for {bob.name}").fill(remark)
        bob_row.get_by_role("button", name=f"Save remark for {bob.name}").click()
        expect(chat_row(alice_chat, remark)).to_be_visible(timeout=LIVE_MS)
        expect(alice_chat.get_by_role("heading", level=1)).to_have_text(remark)

        alice_row = bob.page.locator("#friend-list li.friend", has_text=alice.name)
        alice_row.get_by_text("Manage").click()
        alice_row.get_by_text("Delete friend").click()
        alice_row.get_by_role("button", name=f"Delete {alice.name}").click()

        expect(alice_chat.locator("#chat-ended")).to_contain_text(
            "This chat has ended", timeout=LIVE_MS
        )
        expect(alice_chat.locator("#send-form")).to_have_count(0)
        expect(alice_chat.locator("#chat-list .chat-row")).to_have_count(0)
        expect(friend_list.locator("li.friend")).to_have_count(0, timeout=LIVE_MS)
        expect(bob.page.locator("#friend-list li.friend")).to_have_count(0)

    assert alice.page_errors == bob.page_errors == []
