"""Live updates of what members do with messages (M3, M5, M6): read
state, reply counts, recall, removal and delete-for-me reach every tab."""

import json
import re
import uuid
from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from accounts.models import User
from chat import events, fragments
from chat.actions import (
    do_hide_message,
    do_mark_read,
    do_moderate_message,
    do_recall_message,
    do_remove_message,
    do_send_message,
)
from chat.models import Chat, Message
from chat.queries import MessageItem
from tests.conftest import membership
from tests.test_live import befriended, listening, open_socket
from tests.test_messages import SECRET, group_chat

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def send(
    user: User, chat: Chat, body: str, reply_to: int | None = None
) -> Message:
    def post() -> Message:
        message, _ = do_send_message(
            membership(user, chat), body, uuid.uuid4(), reply_to_id=reply_to
        )
        return message

    return await sync_to_async(post)()


async def as_member(
    action: Callable[..., object], user: User, chat: Chat, *args: object
) -> None:
    """Run a chat action as ``user``, a member of ``chat``."""
    await sync_to_async(lambda: action(membership(user, chat), *args))()


async def test_reading_tells_the_sender_live(alice: User, bob: User) -> None:
    chat = await befriended(alice, bob)
    message = await send(alice, chat, "read me")
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)

    await bob_tab.send_to(
        text_data=json.dumps({"action": "read", "chat": chat.pk, "up_to": message.pk})
    )
    pushed = await alice_tab.receive_from(timeout=2)

    assert re.search(
        rf'<span id="read-state-{message.pk}"[^>]*data-version="1"'
        r'[^>]*hx-swap-oob="true"',
        pushed,
    )
    assert "Read" in pushed
    assert "read me" not in pushed
    assert await alice_tab.receive_nothing(timeout=0.2)  # one push, no more
    assert "chat-row" in await bob_tab.receive_from(timeout=2)
    assert await bob_tab.receive_nothing(timeout=0.2)
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_reading_in_a_group_tells_each_sender_their_count(
    alice: User, bob: User, carol: User
) -> None:
    chat = await sync_to_async(group_chat)(alice, bob, carol)
    by_alice = await send(alice, chat, "from alice")
    by_bob = await send(bob, chat, "from bob")
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)

    await as_member(do_mark_read, carol, chat)
    to_alice = await alice_tab.receive_from(timeout=2)
    to_bob = await bob_tab.receive_from(timeout=2)

    # Bob had read alice's message by answering it; carol makes two.
    assert f"read-state-{by_alice.pk}" in to_alice
    assert "Read by 2" in to_alice
    assert f"read-state-{by_bob.pk}" not in to_alice
    assert f"read-state-{by_bob.pk}" in to_bob
    assert "Read by 1" in to_bob
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_reply_updates_the_originals_reply_count_live(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    original = await send(alice, chat, "question")
    alice_tab = await open_socket(alice)

    reply = await send(bob, chat, "answer", reply_to=original.pk)
    pushed = await alice_tab.receive_from(timeout=2)

    assert f'id="message-{reply.pk}"' in pushed
    assert f'data-quote-of="{original.pk}"' in pushed
    assert re.search(
        rf'<span id="reply-count-{original.pk}"[^>]*hx-swap-oob="true">1 reply', pushed
    )
    await alice_tab.disconnect()


async def test_recall_reaches_every_tab_without_the_text(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    message = await send(alice, chat, SECRET)
    reply = await send(bob, chat, "what?", reply_to=message.pk)
    alice_tabs = [await open_socket(alice), await open_socket(alice)]
    bob_tab = await open_socket(bob)

    await as_member(do_recall_message, alice, chat, message)
    pushes = [await tab.receive_from(timeout=2) for tab in [*alice_tabs, bob_tab]]

    for html in pushes:
        assert SECRET not in html
        assert re.search(rf'<li id="message-{message.pk}"[^>]*hx-swap-oob="true"', html)
        assert f'hx-swap-oob="innerHTML:.quote-text-{message.pk}"' in html
        assert "This message was recalled." in html
        assert f"chat-row-{chat.pk}" in html
    assert "You recalled a message" in pushes[0]
    assert "alice recalled a message" in pushes[2]
    assert f"message-{reply.pk}" not in pushes[2]
    for tab in [*alice_tabs, bob_tab]:
        assert await tab.receive_nothing(timeout=0.1)
        await tab.disconnect()


async def test_recalled_reply_lowers_its_originals_count_live(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    original = await send(alice, chat, "question")
    reply = await send(bob, chat, "answer", reply_to=original.pk)
    alice_tab = await open_socket(alice)

    await as_member(do_recall_message, bob, chat, reply)
    pushed = await alice_tab.receive_from(timeout=2)

    assert re.search(
        rf'<span id="reply-count-{original.pk}"[^>]*hx-swap-oob="true"></span>', pushed
    )
    await alice_tab.disconnect()


async def test_removal_by_an_admin_reaches_every_member(
    alice: User, bob: User, carol: User
) -> None:
    chat = await sync_to_async(group_chat)(alice, bob, carol)
    message = await send(carol, chat, SECRET)
    tabs = [await open_socket(user) for user in (alice, bob, carol)]

    await as_member(do_remove_message, alice, chat, message)

    for tab in tabs:
        html = await tab.receive_from(timeout=2)
        assert "A message was removed by an admin" in html
        assert SECRET not in html
        await tab.disconnect()


async def test_moderator_removal_reaches_every_member(
    alice: User, bob: User, make_user: Callable[..., User]
) -> None:
    chat = await befriended(alice, bob)
    moderator = await sync_to_async(make_user)("moderator", is_staff=True)
    message = await send(alice, chat, SECRET)
    bob_tab = await open_socket(bob)

    await sync_to_async(do_moderate_message)(message, moderator)
    html = await bob_tab.receive_from(timeout=2)

    assert "A message was removed by a moderator" in html
    assert SECRET not in html
    await bob_tab.disconnect()


async def test_deleting_for_me_reaches_my_tabs_only(alice: User, bob: User) -> None:
    chat = await befriended(alice, bob)
    await send(bob, chat, "before")
    message = await send(bob, chat, SECRET)
    alice_tab, bob_tab = await open_socket(alice), await open_socket(bob)

    await as_member(do_hide_message, alice, chat, message)
    html = await alice_tab.receive_from(timeout=2)
    row = await alice_tab.receive_from(timeout=2)

    assert re.search(
        rf'<li id="message-{message.pk}" class="message message-hidden" hidden', html
    )
    assert SECRET not in html + row
    assert "before" in row  # the preview falls back
    assert await bob_tab.receive_nothing(timeout=0.2)
    await alice_tab.disconnect()
    await bob_tab.disconnect()


async def test_recall_skips_the_message_for_those_who_deleted_it(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    message = await send(alice, chat, "soon gone")
    await as_member(do_hide_message, bob, chat, message)
    bob_tab = await open_socket(bob)

    await as_member(do_recall_message, alice, chat, message)
    html = await bob_tab.receive_from(timeout=2)

    assert f'id="message-{message.pk}"' not in html
    assert "recalled a message" not in html.split("chat-row")[0]
    await bob_tab.disconnect()


@pytest.mark.parametrize("size", [3, 20])
async def test_withdrawal_fan_out_renders_once_per_variant_with_constant_queries(
    size: int,
    make_user: Callable[..., User],
    django_assert_num_queries,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def arrange() -> tuple[list[User], int]:
        owner = make_user("owner")
        members = [make_user(f"member{index}") for index in range(size)]
        chat = group_chat(owner, *members)
        original, _ = do_send_message(membership(owner, chat), "hi", uuid.uuid4())
        reply, _ = do_send_message(
            membership(members[0], chat), "yo", uuid.uuid4(), reply_to_id=original.pk
        )
        do_hide_message(membership(members[1], chat), reply)
        # Nobody listens yet: this first fan-out goes nowhere.
        do_recall_message(membership(members[0], chat), reply)
        return [owner, *members], reply.pk

    layer = get_channel_layer()
    users, message_id = await sync_to_async(arrange)()
    channels = await listening(users)
    rendered: list[int] = []
    render = fragments.message_replaced

    def counting_render(item: MessageItem) -> str:
        rendered.append(item.message.pk)
        return render(item)

    monkeypatch.setattr(fragments, "message_replaced", counting_render)

    def fan_out() -> None:
        # message, memberships, their chat, remarks (rows), hidden-preview
        # fallback, sender remarks, totals, previous id, hidden for, the
        # original
        with django_assert_num_queries(10):
            events.message_withdrawn(message_id)

    await sync_to_async(fan_out)()

    for user in users:
        event = await layer.receive(channels[user.pk])
        assert "quote-text-" in event["html"]
    # The sender's own, and everyone else's but the one who hid it.
    assert rendered == [message_id, message_id]


@pytest.mark.parametrize("size", [3, 20])
async def test_reply_fan_out_keeps_its_query_count(
    size: int,
    make_user: Callable[..., User],
    django_assert_num_queries,
) -> None:
    def arrange() -> int:
        owner = make_user("owner")
        members = [make_user(f"member{index}") for index in range(size)]
        chat = group_chat(owner, *members)
        original, _ = do_send_message(membership(owner, chat), "hi", uuid.uuid4())
        reply, _ = do_send_message(
            membership(members[0], chat), "yo", uuid.uuid4(), reply_to_id=original.pk
        )
        return reply.pk

    message_id = await sync_to_async(arrange)()

    def fan_out() -> None:
        # As for any message (test_live): the original comes with it.
        with django_assert_num_queries(7):
            events.message_sent(message_id)

    await sync_to_async(fan_out)()


async def test_answering_unread_messages_shows_their_sender_they_were_read(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    question = await send(alice, chat, "are you there?")
    alice_tab = await open_socket(alice)

    answer = await send(bob, chat, "yes")
    push = await alice_tab.receive_from(timeout=2)

    # One push brings the answer and the question's new read state.
    assert f'id="message-{answer.pk}"' in push
    assert re.search(rf'<span id="read-state-{question.pk}"[^>]*data-version="1"', push)
    assert await alice_tab.receive_nothing(timeout=0.2)
    await alice_tab.disconnect()


async def test_catch_up_brings_recalls_and_reads_that_happened_while_away(
    alice: User, bob: User
) -> None:
    """A tab that was offline still shows what changed in the messages it
    already shows (L3, M3, M6)."""
    chat = await befriended(alice, bob)
    recalled = await send(bob, chat, SECRET)
    mine = await send(alice, chat, "did you read this?")
    await as_member(do_recall_message, bob, chat, recalled)
    await as_member(do_mark_read, bob, chat)
    tab = await open_socket(alice)

    await tab.send_to(
        text_data=json.dumps({"action": "catch_up", "chat": chat.pk, "after": mine.pk})
    )
    html = await tab.receive_from(timeout=2)

    assert re.search(rf'<li id="message-{recalled.pk}"[^>]*hx-swap-oob="true"', html)
    assert "bob recalled a message" in html
    assert SECRET not in html
    assert re.search(rf'<span id="read-state-{mine.pk}"[^>]*data-version="1"', html)
    await tab.disconnect()
