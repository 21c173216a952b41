"""The websocket: who may connect, what each tab is pushed, bad frames."""

import json
import re
import uuid
from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts import live
from accounts.models import User, UserSession
from chat import events, fragments
from chat.actions import do_send_message
from chat.models import Chat, Membership
from chat.queries import MessageItem
from nova_site.asgi import application
from social.actions import do_send_friend_request
from tests.conftest import befriend, membership

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = "http://127.0.0.1"
HOSTILE = "<script>alert(1)</script> & <b>bold</b> 🎉"


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def connect(user: User | None, origin: str = ORIGIN) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode()), (b"host", b"127.0.0.1")]
    if user is not None:
        key = await sync_to_async(_session_cookie)(user)
        headers.append((b"cookie", f"sessionid={key}".encode()))
    return WebsocketCommunicator(application, "/ws/", headers=headers)


async def open_socket(user: User) -> WebsocketCommunicator:
    socket = await connect(user)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def listening(users: list[User]) -> dict[int, str]:
    """A channel per user in their live group, as an open tab has: what
    ``accounts.live`` sends them can be read from it. Maps user id to it."""
    layer = get_channel_layer()
    channels = {}
    for user in users:
        channels[user.pk] = await layer.new_channel()
        await layer.group_add(live.user_group(user.pk), channels[user.pk])
    return channels


async def befriended(alice: User, bob: User) -> Chat:
    return await sync_to_async(befriend)(alice, bob)


async def send(user: User, chat: Chat, body: str) -> int:
    def post() -> int:
        message, _ = do_send_message(membership(user, chat), body, uuid.uuid4())
        return message.pk

    return await sync_to_async(post)()


async def test_anonymous_socket_is_closed_as_unauthenticated() -> None:
    socket = await connect(None)

    await socket.connect()

    assert (await socket.receive_output(timeout=2))["code"] == 4401


async def test_socket_from_a_foreign_origin_is_refused(alice: User) -> None:
    socket = await connect(alice, origin="https://evil.example")

    connected, _ = await socket.connect()

    assert not connected


async def test_new_message_is_pushed_to_every_member_once(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    alice_socket, bob_socket = await open_socket(alice), await open_socket(bob)

    message_id = await send(alice, chat, "hello bob")

    for socket in (alice_socket, bob_socket):
        html = await socket.receive_from(timeout=2)
        assert html.count(f'id="message-{message_id}"') == 1
        assert f'hx-swap-oob="beforeend:#messages-{chat.pk}"' in html
        assert 'hx-swap-oob="afterbegin:#chat-list"' in html
        assert await socket.receive_nothing(timeout=0.1)
        await socket.disconnect()


async def test_pushed_message_is_the_senders_own_variant_only_for_the_sender(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    alice_socket, bob_socket = await open_socket(alice), await open_socket(bob)

    await send(alice, chat, "whose is this")
    mine = await alice_socket.receive_from(timeout=2)
    theirs = await bob_socket.receive_from(timeout=2)

    assert "message message-own" in mine
    assert "message-own" not in theirs
    assert (
        f'class="message-sender name-of-{alice.pk}" dir="auto">alice</span>' in theirs
    )
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_pushed_fragment_is_escaped(alice: User, bob: User) -> None:
    chat = await befriended(alice, bob)
    bob_socket = await open_socket(bob)

    await send(alice, chat, HOSTILE)
    html = await bob_socket.receive_from(timeout=2)

    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; 🎉" in html
    )
    assert "<script>" not in html
    assert "<b>bold" not in html
    await bob_socket.disconnect()


async def test_pushed_chat_row_carries_the_receivers_unread_count(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    bob_socket = await open_socket(bob)

    await send(alice, chat, "one")
    await bob_socket.receive_from(timeout=2)
    await send(alice, chat, "two")
    html = await bob_socket.receive_from(timeout=2)

    assert '2<span class="visually-hidden"> unread</span>' in html
    assert 'id="nav-unread"' in html
    assert 'data-total="2"' in html
    await bob_socket.disconnect()


async def test_read_frame_clears_the_count_in_every_tab(alice: User, bob: User) -> None:
    chat = await befriended(alice, bob)
    message_id = await send(alice, chat, "read me")
    first_tab, second_tab = await open_socket(bob), await open_socket(bob)

    await first_tab.send_to(
        text_data=json.dumps({"action": "read", "chat": chat.pk, "up_to": message_id})
    )

    pushes = [await tab.receive_from(timeout=2) for tab in (first_tab, second_tab)]

    version = await sync_to_async(lambda: User.objects.get(pk=bob.pk).live_version)()
    for tab, html in zip((first_tab, second_tab), pushes, strict=True):
        # The row comes with the version the read made, newer than the tab
        # shows; nova.js files it by its sort key (reading leaves that).
        assert re.search(
            rf'<li id="chat-row-{chat.pk}"[^>]*data-version="{version}"', html
        )
        assert 'data-total="0"' in html
        await tab.disconnect()
    unread = await sync_to_async(lambda: membership(bob, chat).unread_count)()
    assert unread == 0


async def test_read_frame_never_moves_backwards(alice: User, bob: User) -> None:
    chat = await befriended(alice, bob)
    first = await send(alice, chat, "first")
    await send(alice, chat, "second")
    tab = await open_socket(bob)
    frame = {"action": "read", "chat": chat.pk}

    await tab.send_to(text_data=json.dumps({**frame, "up_to": first}))
    await tab.receive_from(timeout=2)
    await tab.send_to(text_data=json.dumps({**frame, "up_to": 1}))

    assert await tab.receive_nothing(timeout=0.2)
    unread = await sync_to_async(lambda: membership(bob, chat).unread_count)()
    assert unread == 1
    await tab.disconnect()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("not json", "Frames must be JSON text."),
        ("[1, 2]", "Frames must be JSON objects."),
        ('{"action": "launch"}', "Unknown action."),
        (
            '{"action": "read", "chat": "1", "up_to": 1}',
            "must be an id",
        ),
        (
            '{"action": "read", "chat": true, "up_to": 1}',
            "must be an id",
        ),
        (
            '{"action": "read", "chat": 1, "up_to": -5}',
            "must be an id",
        ),
        ('{"action": "read", "x": "' + "a" * 70000 + '"}', "That frame is too large."),
    ],
)
async def test_bad_frame_gets_an_error_and_the_socket_keeps_working(
    frame: str, error: str, alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    message_id = await send(bob, chat, "still here")
    tab = await open_socket(alice)

    await tab.send_to(text_data=frame)
    reply = await tab.receive_from(timeout=2)
    await tab.send_to(
        text_data=json.dumps({"action": "read", "chat": chat.pk, "up_to": message_id})
    )
    after = await tab.receive_from(timeout=2)

    assert 'id="live-error"' in reply
    assert error in reply
    assert f"chat-row-{chat.pk}" in after
    await tab.disconnect()


async def test_binary_frame_gets_an_error(alice: User) -> None:
    tab = await open_socket(alice)

    await tab.send_to(bytes_data=b"\x00\x01")

    assert "Frames must be JSON text." in await tab.receive_from(timeout=2)
    await tab.disconnect()


async def test_read_frame_for_a_stranger_chat_is_refused(
    alice: User, bob: User, carol: User
) -> None:
    chat = await befriended(alice, bob)
    message_id = await send(alice, chat, "private")
    tab = await open_socket(carol)

    await tab.send_to(
        text_data=json.dumps({"action": "read", "chat": chat.pk, "up_to": message_id})
    )

    assert "You are not in that chat." in await tab.receive_from(timeout=2)
    unread = await sync_to_async(lambda: membership(bob, chat).unread_count)()
    assert unread == 1
    await tab.disconnect()


async def test_stranger_gets_nothing_of_a_chat(
    alice: User, bob: User, carol: User
) -> None:
    chat = await befriended(alice, bob)
    tab = await open_socket(carol)

    await send(alice, chat, "not for carol")

    assert await tab.receive_nothing(timeout=0.3)
    await tab.disconnect()


async def test_logging_out_closes_the_sessions_open_tabs(alice: User) -> None:
    client = Client()
    await sync_to_async(client.force_login)(alice)
    key = client.cookies["sessionid"].value
    tab = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[
            (b"origin", ORIGIN.encode()),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={key}".encode()),
        ],
    )
    assert (await tab.connect())[0]

    await sync_to_async(client.post)("/accounts/logout/")

    assert "You have been logged out." in await tab.receive_from(timeout=2)
    assert (await tab.receive_output(timeout=2))["code"] == 4001


async def test_rolled_back_message_is_never_pushed(alice: User, bob: User) -> None:
    chat = await befriended(alice, bob)
    tab = await open_socket(bob)

    def send_then_fail() -> None:
        with transaction.atomic():
            do_send_message(membership(alice, chat), "never", uuid.uuid4())
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        await sync_to_async(send_then_fail)()

    assert await tab.receive_nothing(timeout=0.3)
    await tab.disconnect()


def _group_chat(owner: User, members: list[User]) -> Chat:
    """A group chat made directly, without befriending every member first."""
    chat = Chat.objects.create(
        kind=Chat.Kind.GROUP, name="team", last_activity=timezone.now()
    )
    Membership.objects.bulk_create(
        [Membership(chat=chat, user=owner, role=Membership.Role.OWNER)]
        + [Membership(chat=chat, user=user) for user in members]
    )
    return chat


@pytest.mark.parametrize("size", [3, 20])
async def test_fan_out_renders_a_message_once_per_variant_with_constant_queries(
    size: int,
    make_user: Callable[..., User],
    django_assert_num_queries,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def arrange() -> tuple[list[User], int]:
        owner = make_user("owner")
        members = [make_user(f"member{index}") for index in range(size)]
        chat = _group_chat(owner, members)
        # Nobody listens yet: this first fan-out goes nowhere.
        message, _ = do_send_message(membership(owner, chat), "hi all", uuid.uuid4())
        return [owner, *members], message.pk

    layer = get_channel_layer()
    users, message_id = await sync_to_async(arrange)()
    channels = await listening(users)
    rendered: list[int] = []
    render_message = fragments.message

    def counting_render(item: MessageItem) -> str:
        rendered.append(item.message.pk)
        return render_message(item)

    monkeypatch.setattr(fragments, "message", counting_render)

    def fan_out() -> None:
        # message, memberships, their chat, remarks (rows), sender remarks,
        # totals, the previous message's id; a group chat needs no partner
        # query
        with django_assert_num_queries(7):
            events.message_sent(message_id)

    await sync_to_async(fan_out)()

    for user in users:
        event = await layer.receive(channels[user.pk])
        assert f'id="message-{message_id}"' in event["html"]
    assert rendered == [message_id, message_id]  # the sender's own, everyone else's


async def test_reconnecting_tab_catches_up_on_missed_messages(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    seen = await send(alice, chat, "seen before the drop")
    missed = [await send(alice, chat, f"missed {index}") for index in range(3)]
    tab = await open_socket(bob)

    await tab.send_to(
        text_data=json.dumps({"action": "catch_up", "chat": chat.pk, "after": seen})
    )
    html = await tab.receive_from(timeout=2)

    assert f'id="message-{seen}"' not in html
    positions = [html.index(f'id="message-{pk}"') for pk in missed]
    assert positions == sorted(positions)
    assert 'hx-swap-oob="afterbegin:#chat-list"' in html
    assert 'data-total="4"' in html  # nothing was marked read
    await tab.disconnect()


async def test_catch_up_without_an_open_chat_refreshes_the_list_only(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    await send(alice, chat, "hello")
    tab = await open_socket(bob)

    await tab.send_to(text_data=json.dumps({"action": "catch_up", "chat": None}))
    html = await tab.receive_from(timeout=2)

    assert f'id="chat-row-{chat.pk}"' in html
    assert "message-" not in html
    await tab.disconnect()


async def test_catch_up_on_a_stranger_chat_is_refused(
    alice: User, bob: User, carol: User
) -> None:
    chat = await befriended(alice, bob)
    await send(alice, chat, "private")
    tab = await open_socket(carol)

    await tab.send_to(
        text_data=json.dumps({"action": "catch_up", "chat": chat.pk, "after": 0})
    )
    html = await tab.receive_from(timeout=2)

    assert "You are not in that chat." in html
    assert "private" not in html
    await tab.disconnect()


async def test_socket_of_a_page_drawn_for_another_user_is_closed(
    alice: User, bob: User
) -> None:
    """A stale tab of bob's, reconnecting after alice logged in in the same
    browser, must not become alice's tab."""
    key = await sync_to_async(_session_cookie)(alice)
    socket = WebsocketCommunicator(
        application,
        f"/ws/?user={bob.pk}",
        headers=[
            (b"origin", ORIGIN.encode()),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={key}".encode()),
        ],
    )

    await socket.connect()

    assert (await socket.receive_output(timeout=2))["code"] == 4001


async def test_socket_from_the_same_host_on_another_port_is_refused(
    alice: User,
) -> None:
    key = await sync_to_async(_session_cookie)(alice)
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[
            (b"origin", b"http://127.0.0.1:9999"),
            (b"host", b"127.0.0.1:8000"),
            (b"cookie", f"sessionid={key}".encode()),
        ],
    )

    connected, _ = await socket.connect()

    assert not connected


async def test_socket_whose_session_was_deleted_is_closed_on_its_next_frame(
    alice: User,
) -> None:
    tab = await open_socket(alice)

    await sync_to_async(UserSession.objects.all().delete)()
    await tab.send_to(text_data=json.dumps({"action": "catch_up"}))

    assert "You have been logged out." in await tab.receive_from(timeout=2)
    assert (await tab.receive_output(timeout=2))["code"] == 4001


async def test_socket_closes_by_itself_once_the_password_changed(
    alice: User, settings
) -> None:
    settings.NOVA_WS_RECHECK_SECONDS = 0.05
    tab = await open_socket(alice)

    def change_password() -> None:
        alice.set_password("an entirely new secret 42")
        alice.save()

    await sync_to_async(change_password)()

    assert "You have been logged out." in await tab.receive_from(timeout=2)
    assert (await tab.receive_output(timeout=2))["code"] == 4001


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("[" * 2000 + "]" * 2000, "Frames must be JSON"),
        ('{"action": "read", "chat": 1' + "0" * 30 + ', "up_to": 1}', "must be an id"),
        ('{"action": "catch_up", "chat": 1, "after": 1' + "0" * 30 + "}", "an id"),
    ],
)
async def test_pathological_frame_gets_an_error_not_a_crash(
    frame: str, error: str, alice: User
) -> None:
    tab = await open_socket(alice)

    await tab.send_to(text_data=frame)

    assert error in await tab.receive_from(timeout=2)
    await tab.send_to(text_data=json.dumps({"action": "catch_up"}))
    assert "chat-list" in await tab.receive_from(timeout=2)
    await tab.disconnect()


async def test_pushed_message_names_its_predecessor(alice: User, bob: User) -> None:
    chat = await befriended(alice, bob)
    first = await send(alice, chat, "one")
    tab = await open_socket(bob)

    second = await send(alice, chat, "two")
    html = await tab.receive_from(timeout=2)

    assert re.search(rf'id="message-{second}"[^>]*data-prev-id="{first}"', html), html
    await tab.disconnect()


async def test_catch_up_after_more_than_the_limit_replaces_the_list(
    alice: User, bob: User, settings
) -> None:
    settings.NOVA_HISTORY_PAGE_SIZE = 5
    settings.NOVA_CATCH_UP_LIMIT = 6
    chat = await befriended(alice, bob)
    seen = await send(alice, chat, "seen")
    missed = [await send(alice, chat, f"missed {index}") for index in range(7)]
    tab = await open_socket(bob)

    await tab.send_to(
        text_data=json.dumps({"action": "catch_up", "chat": chat.pk, "after": seen})
    )
    html = await tab.receive_from(timeout=2)

    assert re.search(
        rf'<ol id="messages-{chat.pk}"[^>]*data-cursor="{missed[-1]}"'
        r'[^>]*hx-swap-oob="true"',
        html,
    )
    assert html.count('class="message"') == 5
    assert f'id="message-{missed[1]}"' not in html
    await tab.disconnect()


async def test_large_catch_up_comes_in_parts_under_the_frame_limit(
    alice: User, bob: User, settings
) -> None:
    settings.NOVA_CATCH_UP_BYTES = 20_000
    chat = await befriended(alice, bob)
    seen = await send(alice, chat, "seen")
    missed = [await send(alice, chat, "&" * 4000) for _ in range(3)]
    tab = await open_socket(bob)

    await tab.send_to(
        text_data=json.dumps({"action": "catch_up", "chat": chat.pk, "after": seen})
    )
    frames = [await tab.receive_from(timeout=2) for _ in missed]

    assert all(len(frame.encode()) < 40_000 for frame in frames)
    for frame, message_id in zip(frames, missed, strict=True):
        assert frame.count('class="message"') == 1
        assert f'id="message-{message_id}"' in frame
    assert "chat-list" in frames[0]
    assert "chat-list" not in frames[1]
    assert await tab.receive_nothing(timeout=0.2)
    await tab.disconnect()


async def test_catch_up_requests_faster_than_a_tab_needs_are_refused(
    alice: User, settings
) -> None:
    settings.NOVA_CATCH_UP_INTERVAL = 60
    tab = await open_socket(alice)

    await tab.send_to(text_data=json.dumps({"action": "catch_up"}))
    await tab.receive_from(timeout=2)
    await tab.send_to(text_data=json.dumps({"action": "catch_up"}))

    assert "Too many catch-up requests" in await tab.receive_from(timeout=2)
    await tab.disconnect()


async def test_push_to_a_socket_whose_session_ended_closes_it_instead(
    alice: User, bob: User, settings
) -> None:
    settings.NOVA_WS_SESSION_TTL = 0
    chat = await befriended(alice, bob)
    tab = await open_socket(bob)

    await sync_to_async(UserSession.objects.filter(expire_date__isnull=False).delete)()
    await send(alice, chat, "for bob's eyes only")
    html = await tab.receive_from(timeout=2)

    assert "for bob" not in html
    assert "You have been logged out." in html
    assert (await tab.receive_output(timeout=2))["code"] == 4001


async def test_pushed_rows_and_totals_carry_growing_versions(
    alice: User, bob: User
) -> None:
    chat = await befriended(alice, bob)
    tab = await open_socket(bob)

    await send(alice, chat, "one")
    first = await tab.receive_from(timeout=2)
    await send(alice, chat, "two")
    second = await tab.receive_from(timeout=2)

    def versions(html: str) -> tuple[int, int]:
        row = re.search(rf'id="chat-row-{chat.pk}"[^>]*data-version="(\d+)"', html)
        total = re.search(r'id="nav-unread"[^>]*data-version="(\d+)"', html)
        assert row
        assert total
        return int(row[1]), int(total[1])

    assert versions(first) < versions(second)
    await tab.disconnect()


async def test_request_badges_carry_growing_versions(
    alice: User, bob: User, carol: User
) -> None:
    tab = await open_socket(bob)

    await sync_to_async(do_send_friend_request)(alice, bob, "")
    first = await tab.receive_from(timeout=2)
    await sync_to_async(do_send_friend_request)(carol, bob, "")
    second = await tab.receive_from(timeout=2)

    def badge(html: str) -> tuple[int, int]:
        found = re.search(
            r'id="nav-requests"[^>]*data-version="(\d+)"[^>]*>(\d+)', html
        )
        assert found
        return int(found[1]), int(found[2])

    (first_version, first_count), (second_version, second_count) = (
        badge(first),
        badge(second),
    )
    assert (first_count, second_count) == (1, 2)
    assert first_version < second_version
    await tab.disconnect()
