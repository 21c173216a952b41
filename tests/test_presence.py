"""Friends' online presence (PRODUCT.md M10), through real sockets.

A user is online while any tab has a socket open. Friends whose page
shows online dots (the friends page) are told when the first tab opens
and, a debounce after the last one closes, when it went; a tab that comes
back within the debounce tells them nothing.
"""

import asyncio
import copy
import re
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from accounts import live
from accounts.models import User
from nova_site.asgi import application
from social.actions import do_presence_heartbeat
from social.models import LiveConnection, Presence
from tests.conftest import befriend

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_channel_layer(settings: Settings) -> None:
    """A channel layer of this test's own. Sockets here close while a
    debounce runs; on Redis, a layer shared with the next test (and its
    event loop) could still hold a receive lock of this one's."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    config = layers["default"].get("CONFIG", {})
    if "prefix" in config:
        config["prefix"] = f"nova-test-{uuid.uuid4().hex[:12]}"
    settings.CHANNEL_LAYERS = layers


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def open_tab(user: User, *, friends_page: bool = False) -> WebsocketCommunicator:
    """A tab of ``user``; on the friends page it watches friends' dots and
    first gets them as they are."""
    key = await sync_to_async(_session_cookie)(user)
    path = f"/ws/?user={user.pk}" + ("&presence=1" if friends_page else "")
    tab = WebsocketCommunicator(
        application,
        path,
        headers=[
            (b"origin", b"http://127.0.0.1"),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={key}".encode()),
        ],
    )
    connected, _ = await tab.connect()
    assert connected
    if friends_page:
        await tab.receive_from(timeout=2)  # The dots as they are.
    return tab


def dot(html: str, user: User) -> tuple[bool, int]:
    """Whether a pushed dot shows ``user`` online, and its version."""
    found = re.search(
        rf'class="presence-dot presence-of-{user.pk}( is-online)?" '
        rf'data-version="(\d+)"[^>]*hx-swap-oob="outerHTML:\.presence-of-{user.pk}"',
        html,
    )
    assert found, html
    return bool(found[1]), int(found[2])


async def friends(alice: User, bob: User) -> None:
    await sync_to_async(befriend)(alice, bob)


async def test_friend_sees_the_dot_go_on_and_off_with_the_first_and_last_tab(
    alice: User, bob: User
) -> None:
    await friends(alice, bob)
    watching = await open_tab(alice, friends_page=True)

    first = await open_tab(bob)
    online = await watching.receive_from(timeout=2)
    second = await open_tab(bob)
    await first.disconnect()
    quiet_while_one_tab_is_open = await watching.receive_nothing(timeout=0.2)
    await second.disconnect()
    offline = await watching.receive_from(timeout=2)

    assert dot(online, bob)[0] is True
    assert quiet_while_one_tab_is_open
    assert dot(offline, bob)[0] is False
    assert dot(online, bob)[1] < dot(offline, bob)[1]
    await watching.disconnect()


async def test_a_tab_that_comes_back_within_the_debounce_tells_friends_nothing(
    alice: User, bob: User, settings: Settings
) -> None:
    settings.NOVA_PRESENCE_DEBOUNCE_SECONDS = 0.5
    await friends(alice, bob)
    watching = await open_tab(alice, friends_page=True)
    tab = await open_tab(bob)
    assert dot(await watching.receive_from(timeout=2), bob)[0] is True

    # The socket drops and a new one opens while the old one's debounce
    # is still running, as a reload or a flaky network does.
    closing = asyncio.create_task(tab.disconnect(timeout=3))
    reopened = await open_tab(bob)
    await closing

    assert await watching.receive_nothing(timeout=0.3)
    presence = await Presence.objects.aget(user=bob)
    assert presence.online
    await reopened.disconnect(timeout=3)
    assert dot(await watching.receive_from(timeout=3), bob)[0] is False
    await watching.disconnect(timeout=3)


async def test_dots_reach_only_friends_on_a_page_that_shows_them(
    alice: User, bob: User, carol: User
) -> None:
    await friends(alice, bob)
    chat_page = await open_tab(alice)
    stranger = await open_tab(carol, friends_page=True)
    friends_page = await open_tab(alice, friends_page=True)

    tab = await open_tab(bob)

    # Once the friends page heard of it, the others would have too.
    assert dot(await friends_page.receive_from(timeout=2), bob)[0] is True
    assert await chat_page.receive_nothing(timeout=0.2)
    assert await stranger.receive_nothing(timeout=0.2)
    for socket in (tab, chat_page, stranger, friends_page):
        await socket.disconnect()


async def test_friends_page_socket_first_gets_every_friends_dot_as_it_is(
    alice: User, bob: User, carol: User
) -> None:
    await friends(alice, bob)
    await friends(alice, carol)
    first_page = await open_tab(alice, friends_page=True)
    bob_tab = await open_tab(bob)
    await first_page.receive_from(timeout=2)  # Bob is online by now.
    key = await sync_to_async(_session_cookie)(alice)
    watching = WebsocketCommunicator(
        application,
        f"/ws/?user={alice.pk}&presence=1",
        headers=[
            (b"origin", b"http://127.0.0.1"),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={key}".encode()),
        ],
    )
    await watching.connect()

    snapshot = await watching.receive_from(timeout=2)

    assert dot(snapshot, bob)[0] is True
    assert dot(snapshot, carol)[0] is False
    for socket in (watching, first_page, bob_tab):
        await socket.disconnect()


async def test_rows_left_by_a_dead_process_expire_and_friends_are_told(
    alice: User, bob: User, settings: Settings
) -> None:
    await friends(alice, bob)
    watching = await open_tab(alice, friends_page=True)
    # Bob's tab was on a server process that died: its row stays, never
    # renewed, and his friends were told he is online.
    crashed = await open_tab(bob)
    await watching.receive_from(timeout=2)
    dead_row = await LiveConnection.objects.aget(user=bob)
    long_ago = timezone.now() - timedelta(seconds=settings.NOVA_PRESENCE_TTL_SECONDS)
    await LiveConnection.objects.filter(pk=dead_row.pk).aupdate(
        seen=long_ago - timedelta(seconds=1), channel_name="dead-process!abc"
    )

    # Any live socket's heartbeat sweeps it.
    await sync_to_async(do_presence_heartbeat)(
        (await LiveConnection.objects.aget(user=alice)).channel_name, alice.pk
    )

    assert dot(await watching.receive_from(timeout=2), bob)[0] is False
    assert not await LiveConnection.objects.filter(user=bob).aexists()
    await crashed.disconnect()
    await watching.disconnect()


async def test_friend_list_shows_only_fresh_connections_as_online(
    alice: User, bob: User, carol: User, settings: Settings
) -> None:
    await friends(alice, bob)
    await friends(alice, carol)
    watching = await open_tab(alice, friends_page=True)
    bob_tab = await open_tab(bob)
    await watching.receive_from(timeout=2)  # Bob's row is there.
    # Carol's only tab was on a process that died long ago.
    stale = timezone.now() - timedelta(seconds=settings.NOVA_PRESENCE_TTL_SECONDS + 1)
    await LiveConnection.objects.acreate(
        user=carol, channel_name="dead-process!carol", seen=stale
    )

    def friends_page() -> str:
        client = Client()
        client.force_login(alice)
        return client.get(reverse("social:friends")).text

    page = await sync_to_async(friends_page)()

    assert f"presence-of-{bob.pk} is-online" in page
    assert f'presence-of-{carol.pk}" data-version' in page
    await bob_tab.disconnect()
    await watching.disconnect()


async def test_a_socket_refused_at_connect_leaves_no_connection(
    alice: User,
) -> None:
    tab = WebsocketCommunicator(
        application,
        "/ws/?user=1",
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
    )
    await tab.connect()
    assert (await tab.receive_output(timeout=2))["code"] == 4401

    assert not await LiveConnection.objects.aexists()


async def test_a_killed_socket_leaves_its_groups(alice: User) -> None:
    """Otherwise its process would go on taking the user's pushes for a
    tab that is gone, until the layer's group expiry (a day by default)."""
    layer = get_channel_layer()
    if not isinstance(layer, InMemoryChannelLayer):
        pytest.skip("only the in-memory layer shows its groups in this process")
    tab = await open_tab(alice)
    assert layer.groups.get(live.user_group(alice.pk))

    tab.future.cancel()
    await asyncio.sleep(0.1)

    assert not layer.groups.get(live.user_group(alice.pk))


async def test_a_killed_socket_stops_renewing_its_connection(
    alice: User, settings: Settings
) -> None:
    """daphne kills a consumer slow to shut down without calling its
    disconnect(); its heartbeat must die with it, or its user would look
    online for good."""
    settings.NOVA_PRESENCE_HEARTBEAT_SECONDS = 0.05
    tab = await open_tab(alice)
    await asyncio.sleep(0.2)
    assert await LiveConnection.objects.filter(user=alice).aexists()

    tab.future.cancel()
    await asyncio.sleep(0.1)
    await LiveConnection.objects.filter(user=alice).adelete()
    await asyncio.sleep(0.3)

    assert not await LiveConnection.objects.filter(user=alice).aexists()
