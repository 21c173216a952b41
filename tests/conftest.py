"""Shared fixtures: users, friendships and chats made through the real actions."""

import asyncio
import copy
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import connection
from django.test import Client
from pytest_django import Settings

from accounts import live
from accounts.models import User
from chat.models import Chat, Membership
from social.actions import do_accept_friend_request, do_send_friend_request

PASSWORD = "correct horse battery staple"

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    # Collected, hashed static files are for production; tests use finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    # Argon2 is slow on purpose; the tests do not need that (test_accounts
    # shows that the real settings use it).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A closing socket waits out the presence debounce before it is done;
    # only the tests of presence need it to last.
    settings.NOVA_PRESENCE_DEBOUNCE_SECONDS = 0
    # django-axes keeps its failure counts in the database
    # (AXES_HANDLER), which every test gets fresh: no test's failed
    # log-ins can lock out another's.


@pytest.fixture
def make_user(db) -> Callable[..., User]:  # type: ignore[no-untyped-def]
    def make(username: str, **fields: object) -> User:
        return User.objects.create_user(username=username, password=PASSWORD, **fields)

    return make


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def carol(make_user: Callable[..., User]) -> User:
    return make_user("carol")


def befriend(user: User, other: User) -> Chat:
    """Make two users friends through the real actions; return their chat."""
    do_send_friend_request(user, other, "")
    do_accept_friend_request(other, user)
    return Chat.objects.get(private_key=Chat.private_key_for(user.pk, other.pk))


@pytest.fixture
def private_chat(alice: User, bob: User) -> Chat:
    return befriend(alice, bob)


def membership(user: User, chat: Chat) -> Membership:
    return Membership.objects.select_related("chat", "user").get(user=user, chat=chat)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test database, which on PostgreSQL is dropped only
    once no other session holds it. Async tests run their synchronous
    parts in a thread of asgiref's that outlives them, with its own
    connection; PostgreSQL then refused the drop and every run left its
    database on the server. Those sessions are ended first."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                )


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def run_at_once(*calls: Callable[[], T]) -> tuple[list[T], list[BaseException]]:
    """Run each call in its own thread, all released at one moment; return
    what they returned and what they raised. Each thread has, and closes,
    its own database connection."""
    start = threading.Barrier(len(calls))
    results: list[T] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], T]) -> None:
        try:
            start.wait(timeout=10)
            results.append(call())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


class TabLoop:
    """One event loop, in a thread of its own, for the test's stand-in tabs.

    A channel of channels-redis's pub/sub layer lives in the event loop
    that made it, and each ``async_to_sync`` call runs a loop of its own:
    the tabs' channels are made, joined and read here, in one loop.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


class Inbox:
    """A stand-in for one open tab of a user: what reaches their group."""

    def __init__(self, layer: BaseChannelLayer, user: User, tabs: TabLoop) -> None:
        self.layer = layer
        self.tabs = tabs
        self.group = live.user_group(user.pk)
        self.channel = tabs.run(layer.new_channel())
        self.read = False
        tabs.run(layer.group_add(self.group, self.channel))

    def events(self) -> list[str]:
        """Every fragment pushed to this tab so far, oldest first. Read a
        tab once: whatever comes later is another test's business."""
        assert not self.read, "open another inbox to read again"
        self.read = True
        return self.tabs.run(self._drain())

    async def _drain(self) -> list[str]:
        received = []
        while True:
            try:
                event = await asyncio.wait_for(self.layer.receive(self.channel), 0.2)
            except TimeoutError:
                return received
            assert event["type"] == "live.html"
            received.append(event["html"])

    def close(self) -> None:
        self.tabs.run(self.layer.group_discard(self.group, self.channel))


@pytest.fixture
def inbox(settings: Settings) -> Iterator[Callable[[User], Inbox]]:
    # A fresh layer for each test: no channel of an earlier test hears
    # this one, and on Redis a per-test prefix keeps other runs out.
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    config = layers["default"].get("CONFIG", {})
    if "prefix" in config:
        config["prefix"] = f"nova-test-{uuid.uuid4().hex[:12]}"
    settings.CHANNEL_LAYERS = layers
    layer = get_channel_layer()
    tabs = TabLoop()
    opened: list[Inbox] = []

    def open_inbox(user: User) -> Inbox:
        opened.append(Inbox(layer, user, tabs))
        return opened[-1]

    yield open_inbox

    for box in opened:
        box.close()
    flush = getattr(layer, "flush", None)
    if flush is not None:
        # The pub/sub layer's connection of the tabs' loop goes with it.
        tabs.run(flush())
    tabs.close()
