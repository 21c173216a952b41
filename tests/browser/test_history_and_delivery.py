"""History and delivery in real browsers: a tab that loses its socket,
older pages and permalinks, the typing line (M7, M8, M10, L3)."""

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser.conftest import Person
from tests.browser.test_two_users import (
    LIVE_MS,
    befriend,
    chat_row,
    cookies_of,
    messages_from_others,
    post_message,
    send,
    sign_up,
    wait_until_live,
)

pytestmark = pytest.mark.browser

# Reconnecting backs off for a few seconds after repeated failures.
RECONNECT_MS = 15_000


@pytest.fixture
def friends(new_person: Callable[..., Person]) -> tuple[Person, Person, str]:
    alice, bob = sign_up(new_person(), "alice"), sign_up(new_person(), "bob")
    return alice, bob, befriend(alice, bob)


class Cable:
    """A tab's websocket, routed through Playwright so a test can cut it
    as a network drop would (Chromium's offline mode leaves open sockets
    alone). While cut, every attempt to reconnect fails at once. It can
    also lose pushed messages silently, as a full channel-layer queue does.
    """

    def __init__(self, page: Page) -> None:
        self.cut = False
        self.pushes_to_lose = 0
        self.live: list[WebSocketRoute] = []
        page.route_web_socket(re.compile(r"/ws/"), self._connect)

    def _connect(self, socket: WebSocketRoute) -> None:
        if self.cut:
            socket.close(code=1013, reason="cut")
            return
        server = socket.connect_to_server()
        server.on_message(lambda message: self._push(socket, message))
        self.live.append(socket)

    def _push(self, socket: WebSocketRoute, message: str | bytes) -> None:
        if self.pushes_to_lose and 'hx-swap-oob="beforeend:#messages-' in str(message):
            self.pushes_to_lose -= 1
            return
        socket.send(message)

    def unplug(self) -> None:
        self.cut = True
        for socket in self.live:
            # 1012, "service restart": the page reconnects, as after a drop.
            socket.close(code=1012, reason="cut")
        self.live.clear()

    def plug_in(self) -> None:
        self.cut = False


def load_every_page(page: Page, which: str) -> None:
    """Scroll to the list's "older" or "newer" end until nothing is left."""
    end = f"[data-history={which}]"
    scroll = "l => { l.scrollTop = %s; }" % (
        "0" if which == "older" else "l.scrollHeight"
    )
    while page.locator(end).count():
        shown = page.locator(".message").count()
        page.locator("[data-message-list]").evaluate(scroll)
        # A page arrived, or the last one already had when we scrolled.
        page.wait_for_function(
            "([shown, end]) => document.querySelectorAll('.message').length"
            " !== shown || !document.querySelector(end)",
            arg=[shown, end],
            timeout=LIVE_MS,
        )


def message_ids(person: Person) -> list[int]:
    return person.page.eval_on_selector_all(
        ".message[data-message-id]", "items => items.map(i => +i.dataset.messageId)"
    )


def test_tab_that_lost_its_socket_says_so_and_catches_up_once_in_order(
    friends: tuple[Person, Person, str], nova_server
) -> None:
    alice, bob, chat_url = friends
    cable = Cable(bob.page)
    bob.page.goto(chat_url)
    wait_until_live(bob.page)
    banner = bob.page.get_by_role("status").filter(has_text="You are offline")
    expect(banner).to_have_count(0)
    post = partial(post_message, cookies_of(alice), urljoin(nova_server.url, chat_url))

    cable.unplug()
    expect(banner).to_be_visible(timeout=LIVE_MS)
    for n in range(5):
        assert post(f"while away {n}") == 200
    expect(banner).to_be_visible()
    expect(messages_from_others(bob.page)).to_have_count(0)
    cable.plug_in()

    wait_until_live(bob.page)
    expect(banner).to_have_count(0)
    expect(messages_from_others(bob.page)).to_have_text(
        [f"while away {n}" for n in range(5)], timeout=RECONNECT_MS
    )
    ids = message_ids(bob)
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    # Shown in a visible tab, so read at once (M7, M9).
    expect(bob.page.locator("#nav-unread")).to_be_hidden(timeout=LIVE_MS)

    # A push lost without any drop: the next one names a predecessor the
    # tab has not seen, and the tab fetches it.
    cable.pushes_to_lose = 1
    assert post("lost on the way") == 200
    assert post("names the lost one") == 200
    expect(messages_from_others(bob.page)).to_have_text(
        [f"while away {n}" for n in range(5)]
        + ["lost on the way", "names the lost one"],
        timeout=LIVE_MS,
    )
    assert cable.pushes_to_lose == 0
    ids = message_ids(bob)
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))


def test_older_pages_permalinks_and_typing(
    friends: tuple[Person, Person, str], nova_server
) -> None:
    alice, bob, chat_url = friends
    post = partial(post_message, cookies_of(alice), urljoin(nova_server.url, chat_url))
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(lambda n: post(f"history {n}"), range(60))) == {200}

    # Scrolling up loads older pages down to the very first message.
    bob.page.goto(chat_url)
    wait_until_live(bob.page)
    expect(messages_from_others(bob.page)).to_have_count(50)
    load_every_page(bob.page, "older")
    expect(bob.page.locator(".message-system").first).to_be_visible()
    expect(messages_from_others(bob.page)).to_have_count(60)
    ids = message_ids(bob)
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    expect(bob.page.locator("[data-history=older]")).to_have_count(0)

    # A permalink opens the chat at an old message; newer pages lead back
    # to the live list, where new messages arrive again.
    first_id = ids[1]
    first_text = bob.page.locator(f"#message-{first_id} .message-body").inner_text()
    bob.page.goto(f"{chat_url}messages/{first_id}/")
    focus = bob.page.locator(f"#message-{first_id}")
    expect(focus).to_have_class(re.compile(r"\bmessage-focus\b"))
    expect(focus).to_contain_text(first_text)
    load_every_page(bob.page, "newer")
    chat_id = chat_url.strip("/").split("/")[-1]
    expect(bob.page.locator(f"ol#messages-{chat_id}")).to_have_count(1)
    alice.page.goto(chat_url)
    wait_until_live(alice.page)
    send(alice.page, "back to the present")
    expect(messages_from_others(bob.page).last).to_have_text(
        "back to the present", timeout=LIVE_MS
    )

    # Sending from a list opened further back leads to the newest end,
    # where the new message is.
    bob.page.goto(f"{chat_url}messages/{first_id}/")
    send(bob.page, "written in the past")
    expect(bob.page).to_have_url(re.compile(rf"{re.escape(chat_url)}$"))
    expect(bob.page.locator(f"ol#messages-{chat_id}")).to_have_count(1)

    # Typing shows in the other member's tab and goes after five seconds.
    # (A fresh page: alice's last words were typed under three seconds
    # ago, and her tab sends "typing" at most that often.)
    alice.page.reload()
    wait_until_live(alice.page, bob.page)
    alice.page.get_by_label("Message", exact=True).press_sequentially("hel")
    typing = bob.page.get_by_text(f"{alice.name} is typing…")
    expect(typing).to_be_visible(timeout=LIVE_MS)
    expect(typing).to_be_hidden(timeout=8_000)
    # Typing again shows it again; the message itself ends it at once.
    alice.page.get_by_label("Message", exact=True).press_sequentially("lo")
    expect(typing).to_be_visible(timeout=LIVE_MS)
    alice.page.get_by_role("button", name="Send").click()
    expect(messages_from_others(bob.page).last).to_have_text("hello")
    expect(typing).to_be_hidden(timeout=LIVE_MS)


def test_chat_that_ended_while_away_leaves_the_list_on_reconnect(
    new_person: Callable[..., Person],
) -> None:
    """Bob's tab is offline while Alice deletes him as a friend: when it
    reconnects, the catch-up's fresh chat list drops their chat (L3)."""
    alice, bob = sign_up(new_person(), "alice"), sign_up(new_person(), "bob")
    carol = sign_up(new_person(), "carol")
    befriend(alice, bob)
    befriend(carol, bob)
    cable = Cable(bob.page)
    bob.page.goto("/chats/")
    wait_until_live(bob.page)
    expect(chat_row(bob.page, alice.name)).to_have_count(1)

    cable.unplug()
    alice.page.goto("/friends/")
    bob_row = alice.page.locator("#friend-list li.friend", has_text=bob.name)
    bob_row.get_by_text("Manage").click()
    bob_row.get_by_text("Delete friend").click()
    bob_row.get_by_role("button", name=f"Delete {bob.name}").click()
    expect(alice.page.locator("#friend-list")).not_to_contain_text(bob.name)
    expect(chat_row(bob.page, alice.name)).to_have_count(1)
    cable.plug_in()

    wait_until_live(bob.page)
    expect(chat_row(bob.page, alice.name)).to_have_count(0, timeout=RECONNECT_MS)
    expect(chat_row(bob.page, carol.name)).to_have_count(1)


def test_a_tall_message_on_a_phone_keeps_the_list_at_the_newest(
    friends: tuple[Person, Person, str], nova_server
) -> None:
    """On a 375 px screen a long message scrolls into view whole, and so
    does the next one (the list follows the newest while the reader is
    there)."""
    alice, bob, chat_url = friends
    bob.page.set_viewport_size({"width": 375, "height": 740})
    bob.page.goto(chat_url)
    wait_until_live(bob.page)
    post = partial(post_message, cookies_of(alice), urljoin(nova_server.url, chat_url))
    # How far the newest message's bottom is below the visible part.
    hidden = (
        "() => document.querySelector('.message:last-of-type')"
        ".getBoundingClientRect().bottom - Math.min(window.innerHeight,"
        " document.querySelector('[data-message-list]').getBoundingClientRect().bottom)"
    )

    def at_newest() -> None:
        bob.page.wait_for_function(f"({hidden})() < 2", timeout=LIVE_MS)

    send(bob.page, "mine " + "word " * 80)
    at_newest()
    assert post("theirs " + "word " * 300) == 200
    expect(messages_from_others(bob.page)).to_have_count(1, timeout=LIVE_MS)
    at_newest()
