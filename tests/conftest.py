"""Shared fixtures: users, friendships and chats made through the real actions."""

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection
from django.test import Client

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
