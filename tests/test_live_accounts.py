"""Account changes reach open tabs: ended sessions, new avatars (A3, A4, D1)."""

from collections.abc import Callable, Iterable

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import events, live
from accounts.actions import (
    do_deactivate_user,
    do_regenerate_avatar,
    do_set_avatar,
)
from accounts.avatars import random_identicon
from accounts.models import User
from chat.models import Chat, Membership
from nova_site.asgi import application
from social.actions import do_send_friend_request
from tests.conftest import PASSWORD, befriend
from tests.test_live import listening

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = "http://127.0.0.1"
NEW_PASSWORD = "a brand new secret 9041"
LOGGED_OUT = "You have been logged out."


def tab_of(client: Client, query: str = "") -> WebsocketCommunicator:
    """A tab's socket, with the cookies of the browser ``client`` is."""
    key = client.cookies["sessionid"].value
    return WebsocketCommunicator(
        application,
        f"/ws/{query}",
        headers=[
            (b"origin", ORIGIN.encode()),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={key}".encode()),
        ],
    )


async def browser_of(user: User) -> Client:
    client = Client()
    await sync_to_async(client.force_login)(user)
    return client


async def open_tab(client: Client) -> WebsocketCommunicator:
    tab = tab_of(client)
    connected, _ = await tab.connect()
    assert connected
    return tab


async def assert_logged_out(tab: WebsocketCommunicator) -> None:
    """The tab is told, then its socket closes (and the page goes to log in)."""
    assert LOGGED_OUT in await tab.receive_from(timeout=2)
    assert (await tab.receive_output(timeout=2))["code"] == 4001
    # The browser's side of the close: the consumer stops receiving, so
    # no listener outlives this test's event loop.
    await tab.disconnect()


async def test_password_change_logs_out_every_other_sessions_tabs_at_once(
    alice: User, bob: User
) -> None:
    here, elsewhere, bobs = (
        await browser_of(alice),
        await browser_of(alice),
        await browser_of(bob),
    )
    other_tabs = [await open_tab(elsewhere), await open_tab(elsewhere)]
    bob_tab = await open_tab(bobs)

    response = await sync_to_async(here.post)(
        reverse("accounts:change_password"),
        {
            "current_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    for tab in other_tabs:
        await assert_logged_out(tab)
    assert await bob_tab.receive_nothing(timeout=0.2)
    await bob_tab.disconnect()


async def test_tab_of_the_session_that_changed_the_password_opens_again(
    alice: User,
) -> None:
    """The page reloads after the change; its new socket is welcome."""
    here = await browser_of(alice)

    await sync_to_async(here.post)(
        reverse("accounts:change_password"),
        {
            "current_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    tab = await open_tab(here)

    assert await tab.receive_nothing(timeout=0.2)
    await tab.disconnect()


async def test_log_out_everywhere_closes_every_tab_of_every_session(
    alice: User,
) -> None:
    here, elsewhere = await browser_of(alice), await browser_of(alice)
    tabs = [await open_tab(here), await open_tab(elsewhere)]

    await sync_to_async(here.post)(reverse("accounts:logout_everywhere"))

    for tab in tabs:
        await assert_logged_out(tab)


async def test_deactivation_closes_every_tab_of_the_user(alice: User) -> None:
    tabs = [await open_tab(await browser_of(alice)) for _ in range(2)]

    await sync_to_async(do_deactivate_user)(alice)

    for tab in tabs:
        await assert_logged_out(tab)


async def test_socket_opened_before_log_in_never_acts_as_the_later_user(
    alice: User,
) -> None:
    """A tab of the log-in page opens a socket with an anonymous session;
    it is closed at once and joins no group, so the log-in that follows
    in that browser gives it nothing."""
    browser = Client()
    await sync_to_async(lambda: browser.session)()  # an anonymous session
    early = tab_of(browser)
    await early.connect()
    assert (await early.receive_output(timeout=2))["code"] == 4401

    await sync_to_async(browser.post)(
        reverse("accounts:login"), {"username": "alice", "password": PASSWORD}
    )
    await sync_to_async(do_regenerate_avatar)(alice)

    assert await early.receive_nothing(timeout=0.3)
    await early.disconnect()
    assert await sync_to_async(lambda: browser.session.get("_auth_user_id"))() == str(
        alice.pk
    )


async def test_avatar_change_reaches_friends_chat_partners_and_requesters_once(
    make_user: Callable[..., User],
) -> None:
    def arrange() -> dict[str, User]:
        people = {
            name: make_user(name)
            for name in ["alice", "friend", "partner", "asker", "stranger"]
        }
        befriend(people["alice"], people["friend"])
        group = Chat.objects.create(
            kind=Chat.Kind.GROUP, name="team", last_activity=timezone.now()
        )
        Membership.objects.create(chat=group, user=people["alice"])
        Membership.objects.create(chat=group, user=people["partner"])
        do_send_friend_request(people["asker"], people["alice"], "")
        return people

    people = await sync_to_async(arrange)()
    tabs = {name: await open_tab(await browser_of(u)) for name, u in people.items()}
    alice = people["alice"]

    await sync_to_async(do_set_avatar)(alice, random_identicon())

    url = await sync_to_async(lambda: User.objects.get(pk=alice.pk).avatar_url)()
    for name in ["alice", "friend", "partner", "asker"]:
        html = await tabs[name].receive_from(timeout=2)
        assert f"img[data-avatar-of='{alice.pk}']" in html
        assert f'src="{url}"' in html
        assert await tabs[name].receive_nothing(timeout=0.1)
    assert await tabs["stranger"].receive_nothing(timeout=0.2)
    for tab in tabs.values():
        await tab.disconnect()


@pytest.mark.parametrize("friends", [1, 12])
async def test_avatar_event_renders_once_in_constant_queries(
    friends: int,
    make_user: Callable[..., User],
    django_assert_num_queries,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def arrange() -> tuple[User, list[User]]:
        alice = make_user("alice")
        others = [make_user(f"friend{index}") for index in range(friends)]
        for other in others:
            befriend(alice, other)
        return alice, others

    alice, others = await sync_to_async(arrange)()
    layer = get_channel_layer()
    channels = await listening([alice, *others])

    rendered: list[str] = []
    sent: list[tuple[int, str]] = []
    render, send_html = render_to_string, live.send_html

    def counting_render(*args: object, **kwargs: object) -> str:
        rendered.append(render(*args, **kwargs))  # type: ignore[arg-type]
        return rendered[-1]

    def recording_send(deliveries: Iterable[tuple[int, str]]) -> None:
        deliveries = list(deliveries)
        sent.extend(deliveries)
        send_html(deliveries)

    monkeypatch.setattr(events, "render_to_string", counting_render)
    monkeypatch.setattr(live, "send_html", recording_send)

    def push() -> None:
        # the user; social: friends, requests; chat: partners
        with django_assert_num_queries(4):
            events.avatar_changed(alice.pk)

    await sync_to_async(push)()

    assert len(rendered) == 1
    assert sorted(user_id for user_id, _ in sent) == sorted(
        user.pk for user in [alice, *others]
    )
    for user in [alice, *others]:
        assert (await layer.receive(channels[user.pk]))["html"] == rendered[0]
