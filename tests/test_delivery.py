"""Delivery over the socket: typing, refused frames, catch-up after drops,
unread counts shared by every tab (M9, M10, L3, L4)."""

import json
import logging
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from social.models import Friendship
from tests.conftest import membership
from tests.test_live import befriended, open_socket, send

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

CONSUMER_LOG = "chat.consumers"


async def settled_socket(
    user: User, caplog: pytest.LogCaptureFixture
) -> WebsocketCommunicator:
    """An open socket whose connecting is over (its own log line written,
    which Redis may delay), with the log captured from here on."""
    tab = await open_socket(user)
    await tab.send_to(text_data=json.dumps({"action": "catch_up"}))
    await tab.receive_from(timeout=2)
    caplog.set_level(logging.INFO, logger=CONSUMER_LOG)
    caplog.clear()
    return tab


def typing(chat_id: int) -> str:
    return json.dumps({"action": "typing", "chat": chat_id})


async def test_typing_shows_in_the_other_members_tabs_only(
    alice: User, bob: User, carol: User
) -> None:
    chat = await befriended(alice, bob)
    alice_tab, bob_tab, carol_tab = [
        await open_socket(user) for user in (alice, bob, carol)
    ]

    await alice_tab.send_to(text_data=typing(chat.pk))
    html = await bob_tab.receive_from(timeout=2)

    assert f'hx-swap-oob="beforeend:#typing-{chat.pk}"' in html
    assert f'id="typist-{chat.pk}-{alice.pk}"' in html
    assert "alice is typing…" in html
    assert await alice_tab.receive_nothing(timeout=0.2)
    assert await carol_tab.receive_nothing(timeout=0.1)
    for tab in (alice_tab, bob_tab, carol_tab):
        await tab.disconnect()


async def test_typing_shows_the_name_each_member_gave_the_typist(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    await sync_to_async(Friendship.objects.filter(user=bob, friend=alice).update)(
        remark="Ally <3"
    )
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)

    await alice_tab.send_to(text_data=typing(chat.pk))

    assert "Ally &lt;3 is typing…" in await bob_tab.receive_from(timeout=2)
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_typing_frames_faster_than_the_interval_are_dropped(
    alice: User, bob: User, settings
) -> None:
    settings.NOVA_TYPING_INTERVAL = 60
    chat = await befriended(alice, bob)
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)

    for _ in range(5):
        await alice_tab.send_to(text_data=typing(chat.pk))
    await bob_tab.receive_from(timeout=2)

    assert await bob_tab.receive_nothing(timeout=0.3)
    assert await alice_tab.receive_nothing(timeout=0.1)  # no error either
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_typing_is_not_stored(alice: User, bob: User) -> None:
    chat = await befriended(alice, bob)
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)

    def counts() -> tuple[int, int]:
        return membership(bob, chat).unread_count, chat.messages.count()

    before = await sync_to_async(counts)()
    await alice_tab.send_to(text_data=typing(chat.pk))
    await bob_tab.receive_from(timeout=2)

    assert await sync_to_async(counts)() == before
    await alice_tab.disconnect()
    await bob_tab.disconnect()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "Frames must be JSON text."),
        ('{"action": "dance"}', "Unknown action."),
        ('{"action": "read", "x": "' + "a" * 65536 + '"}', "That frame is too large."),
        # 22,000 three-byte characters: small as text, over 64 KiB as bytes.
        ('{"action": "read", "x": "' + "語" * 22000 + '"}', "That frame is too large."),
        ('{"action": "typing", "chat": "abc"}', "must be an id"),
    ],
)
async def test_refused_frame_gets_an_error_one_log_line_and_the_socket_lives(
    frame: str, error: str, alice: User, bob: User, caplog, settings
) -> None:
    settings.NOVA_CATCH_UP_INTERVAL = 0
    chat = await befriended(alice, bob)
    tab = await settled_socket(alice, caplog)

    await tab.send_to(text_data=frame)
    reply = await tab.receive_from(timeout=2)

    assert error in reply
    assert 'id="live-error"' in reply
    lines = [r for r in caplog.records if r.name == CONSUMER_LOG]
    assert len(lines) == 1
    assert f"user={alice.pk}" in lines[0].getMessage()
    assert "aaaa" not in lines[0].getMessage()
    await tab.send_to(text_data=typing(chat.pk))  # the socket still works
    assert await tab.receive_nothing(timeout=0.2)
    await tab.send_to(text_data=json.dumps({"action": "catch_up"}))
    assert f"chat-row-{chat.pk}" in await tab.receive_from(timeout=2)
    await tab.disconnect()


async def test_frame_of_exactly_64_kib_is_read(alice: User, bob: User) -> None:
    chat = await befriended(alice, bob)
    tab = await open_socket(alice)
    head = '{"action": "catch_up", "pad": "'
    frame = head + "a" * (65536 - len(head) - 2) + '"}'
    assert len(frame.encode()) == 65536

    await tab.send_to(text_data=frame)

    assert f"chat-row-{chat.pk}" in await tab.receive_from(timeout=2)
    await tab.disconnect()


@pytest.mark.parametrize("action", ["read", "catch_up", "typing"])
async def test_frame_naming_a_chat_of_others_is_refused(
    action: str, alice: User, bob: User, carol: User, caplog, settings
) -> None:
    settings.NOVA_CATCH_UP_INTERVAL = 0
    chat = await befriended(alice, bob)
    secret = await send(alice, chat, "for bob only")
    bob_tab = await settled_socket(bob, caplog)
    carol_tab = await settled_socket(carol, caplog)

    await carol_tab.send_to(
        text_data=json.dumps({"action": action, "chat": chat.pk, "up_to": secret})
    )
    reply = await carol_tab.receive_from(timeout=2)

    assert "You are not in that chat." in reply
    assert "for bob only" not in reply
    assert len([r for r in caplog.records if r.name == CONSUMER_LOG]) == 1
    assert await bob_tab.receive_nothing(timeout=0.2)
    unread = await sync_to_async(lambda: membership(bob, chat).unread_count)()
    assert unread == 1
    await carol_tab.disconnect()
    await bob_tab.disconnect()


def _ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li id="message-(\d+)"', html)]


async def test_every_reconnect_catches_up_each_message_once_in_order(
    alice: User, bob: User, settings
) -> None:
    """However often the socket drops, the tab ends with every message
    once, in id order, and a fresh list and badge after the messages."""
    settings.NOVA_CATCH_UP_INTERVAL = 0
    chat = await befriended(alice, bob)
    cursor = await send(alice, chat, "seen")
    shown = [cursor]

    for drop in range(4):
        sent = [await send(alice, chat, f"drop {drop} #{n}") for n in range(3)]
        tab = await open_socket(bob)
        # A tab may ask twice (a gap and a reconnect at once): the second
        # answer, from the same cursor, repeats what the page dedupes.
        await tab.send_to(
            text_data=json.dumps(
                {"action": "catch_up", "chat": chat.pk, "after": cursor}
            )
        )
        html = await tab.receive_from(timeout=2)
        await tab.disconnect()

        assert _ids(html) == sent
        assert html.index("message-") < html.index('id="chat-row-')
        assert html.index('id="chat-row-') < html.index('id="nav-unread"')
        # The list is whole: the page drops rows of chats that are gone.
        assert "<template data-complete-list></template>" in html
        assert f'data-total="{3 * (drop + 1) + 1}"' in html
        shown += [pk for pk in _ids(html) if pk not in shown]
        cursor = shown[-1]

    assert shown == sorted(shown)
    assert len(shown) == 13


async def test_opening_the_chat_in_one_tab_clears_the_badge_in_the_others(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    await send(alice, chat, "one")
    await send(alice, chat, "two")
    other_tab = await open_socket(bob)

    def open_chat() -> int:
        client = Client()
        client.force_login(bob)
        return client.get(f"/chats/{chat.pk}/").status_code

    assert await sync_to_async(open_chat)() == 200
    html = await other_tab.receive_from(timeout=2)

    assert re.search(rf'<li id="chat-row-{chat.pk}"', html)
    assert "unread</span>" not in html
    assert 'data-total="0"' in html
    await other_tab.disconnect()


async def test_opening_an_old_message_leaves_the_other_tabs_badge(
    alice: User, bob: User, settings
) -> None:
    settings.NOVA_HISTORY_PAGE_SIZE = 4
    chat = await befriended(alice, bob)
    first = await send(alice, chat, "old")
    for n in range(6):
        await send(alice, chat, f"newer {n}")
    other_tab = await open_socket(bob)

    def open_old() -> None:
        client = Client()
        client.force_login(bob)
        client.get(f"/chats/{chat.pk}/messages/{first}/")

    await sync_to_async(open_old)()
    html = await other_tab.receive_from(timeout=2)

    # The window shows the first message and two after it: four stay unread.
    assert 'data-total="4"' in html
    await other_tab.disconnect()
