"""Three people run a group in real browsers (issue #5): the owner makes
it, a member invites a friend who accepts, the owner approves, and all
three see the join live; the owner hands the group over and leaves."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

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


def open_panel(page: Page) -> None:
    summary = page.locator(".chat-panel > summary")
    if page.locator(".chat-panel[open]").count() == 0:
        summary.click()


def confirm_next(page: Page) -> None:
    """Let the page's next confirmation (hx-confirm) say yes."""
    page.evaluate("window.confirm = () => true")


def test_group_invitation_approval_and_hand_over_live(
    new_person: Callable[..., Person],
) -> None:
    owner = sign_up(new_person(), "owner")
    member = sign_up(new_person(), "member")
    guest = sign_up(new_person(), "guest")
    befriend(owner, member)
    befriend(member, guest)
    group = f"Walkers {owner.name[-6:]}"

    member.page.goto("/chats/")
    guest.page.goto("/chats/")
    wait_until_live(member.page, guest.page)
    owner.page.goto("/chats/groups/new/")
    owner.page.get_by_label("Group name").fill(group)
    owner.page.get_by_label(member.name).check()
    owner.page.get_by_role("button", name="Create group").click()
    expect(owner.page.locator("h1")).to_have_text(group)
    created = re.compile(rf"{re.escape(owner.name)} created the group")
    expect(owner.page.locator(".message-system")).to_have_text(created)
    wait_until_live(owner.page)

    # The member sees the group arrive, opens it and invites their friend.
    with without_reload(member.page):
        row = chat_row(member.page, group)
        expect(row).to_be_visible(timeout=LIVE_MS)
    row.get_by_role("link").click()
    wait_until_live(member.page)
    with without_reload(member.page, guest.page, owner.page):
        open_panel(member.page)
        member.page.get_by_label("Friend to invite").select_option(label=guest.name)
        member.page.get_by_role("button", name="Invite").click()

        # The guest is asked live and accepts.
        box = guest.page.locator("#invitation-box")
        expect(box).to_contain_text(f"invites you to {group}", timeout=LIVE_MS)
        box.get_by_role("button", name=re.compile("^Accept")).click()
        expect(box).to_contain_text("Waiting for approval", timeout=LIVE_MS)
        expect(member.page.locator(".group-invitations")).to_contain_text(
            "Waiting for approval", timeout=LIVE_MS
        )

        # The owner sees the request in the queue, with its count, and
        # approves it.
        queue = owner.page.locator(".chat-panel summary .badge")
        expect(queue).to_have_text(re.compile(r"^1\b"), timeout=LIVE_MS)
        open_panel(owner.page)
        owner.page.get_by_role("button", name=re.compile("^Approve")).click()

        joined = re.compile(rf"{re.escape(guest.name)} joined, invited by")
        for page in (owner.page, member.page):
            expect(page.locator(".message-system").last).to_have_text(
                joined, timeout=LIVE_MS
            )
            expect(page.locator(".group-members")).to_contain_text(guest.name)
        expect(queue).to_be_hidden()
        expect(chat_row(guest.page, group)).to_contain_text(joined, timeout=LIVE_MS)

        # The owner hands the group over, then leaves.
        confirm_next(owner.page)
        owner.page.get_by_role(
            "button", name=f"Make owner {member.name}", exact=True
        ).click()
        expect(member.page.get_by_role("button", name="Disband group")).to_be_visible(
            timeout=LIVE_MS
        )
    confirm_next(owner.page)
    owner.page.get_by_role("button", name="Leave group").click()
    expect(owner.page).to_have_url(re.compile(r"/chats/$"))
    expect(chat_row(owner.page, group)).to_have_count(0)
    left = re.compile(rf"{re.escape(owner.name)} left the group")
    expect(member.page.locator(".message-system").last).to_have_text(
        left, timeout=LIVE_MS
    )
    member_list = member.page.locator(".group-members")
    expect(member_list).not_to_contain_text(owner.name)
    for person in (owner, member, guest):
        assert person.page_errors == []
        assert person.dialogs == []
