"""Every change to accounts data. Live events are sent after commit."""

import logging
from collections.abc import Iterable
from functools import partial

from django.contrib.auth import login, logout
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from accounts import live
from accounts.avatars import random_identicon
from accounts.models import User
from accounts.queries import session_keys
from accounts.signals import account_deleting

logger = logging.getLogger(__name__)


def do_register(
    request: HttpRequest, *, username: str, password: str, email: str, phone: str
) -> User:
    """Create an account with a fresh identicon and log it in (A1).

    The caller has validated the fields; the case-insensitive unique
    constraint on the username is the last word if two people race for it
    (the IntegrityError propagates and the form is shown again).
    """
    user = User(username=username, email=email, phone=phone)
    user.set_password(password)
    avatar = random_identicon()
    user.avatar.save(avatar.name, avatar, save=False)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # The file is written before the row; a lost race must not leave it.
        user.avatar.delete(save=False)
        raise
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    logger.info("account created user=%s", user.pk)
    return user


def do_log_in(request: HttpRequest, user: User) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    logger.info("logged in user=%s", user.pk)


def do_log_out(request: HttpRequest) -> None:
    """End this session and tell its other open tabs (A4)."""
    session_key = request.session.session_key
    user_id = request.user.pk
    logout(request)
    if session_key:
        transaction.on_commit(partial(_announce_session_end, [session_key]))
    logger.info("logged out user=%s", user_id)


def do_delete_account(user: User, request: HttpRequest | None = None) -> None:
    """Delete ``user``'s account (A6; "Account deletion" in PRODUCT.md).

    The caller has confirmed the user's password, or is a moderator. In
    one transaction: the apps above end what the user took part in
    (``account_deleting``: friendships, requests, friend groups, private
    chats, group memberships, with groups they own handed on), every
    session of the user is deleted, and the user row goes; their sent
    messages stay, with no sender ("Deleted user"). After commit, every
    open tab of the user is logged out and the avatar file is removed.

    ``request`` is given only when the user deletes their own account: it
    leaves logged out. A moderator's request is not the user's.
    """
    with transaction.atomic():
        # The same row lock social actions take on both users of a pair,
        # so no request or friendship with this user lands half-way. A
        # second deletion (two tabs, a moderator at the same moment)
        # waits here and finds nothing left to do.
        if User.objects.select_for_update().filter(pk=user.pk).exists():
            _delete_locked_account(user)

    if request is not None:
        logout(request)


def _delete_locked_account(user: User) -> None:
    """The body of ``do_delete_account``; the caller holds the transaction
    and the user's row lock."""
    user_id = user.pk
    account_deleting.send(sender=User, user=user)
    ended = session_keys(user_id)
    Session.objects.filter(session_key__in=ended).delete()
    avatar = user.avatar
    user.delete()

    transaction.on_commit(partial(_announce_session_end, ended))
    if avatar:
        transaction.on_commit(partial(avatar.storage.delete, avatar.name))
    logger.info("account deleted user=%s sessions=%s", user_id, len(ended))


def _announce_session_end(session_keys: list[str]) -> None:
    live.end_sessions(session_keys, live.session_ended_html())


def bump_live_version(user_ids: Iterable[int]) -> None:
    """Record that what these users' pages show has changed (see
    ``User.live_version``). The caller holds the transaction."""
    User.objects.filter(pk__in=list(user_ids)).update(
        live_version=F("live_version") + 1
    )
