"""Every change to accounts data. Live events are sent after commit."""

import logging
from collections.abc import Iterable
from functools import partial

from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from accounts import events, live
from accounts.avatars import random_identicon
from accounts.models import User, UserSession
from accounts.signals import account_deleting

logger = logging.getLogger(__name__)


def do_register(
    request: HttpRequest, *, username: str, password: str, email: str, phone: str
) -> User:
    """Create an account with a fresh identicon and log it in (A1).

    The caller has validated the fields; the case-insensitive unique
    constraints on username and email are the last word if two people
    race for one (the IntegrityError propagates and the form is shown
    again).
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


def do_end_sessions(user: User, *, keep: str | None = None) -> int:
    """End every session of ``user`` but the one whose key is ``keep``.

    Each ended session's open tabs are told, and their sockets closed,
    after commit (A4). Runs in its own transaction or the caller's.
    Returns how many sessions ended.
    """
    with transaction.atomic():
        sessions = UserSession.objects.filter(user=user)
        if keep is not None:
            sessions = sessions.exclude(session_key=keep)
        keys = list(sessions.values_list("session_key", flat=True))
        UserSession.objects.filter(session_key__in=keys).delete()
        if keys:
            transaction.on_commit(partial(_announce_session_end, keys))
    return len(keys)


def do_log_out_everywhere(request: HttpRequest, user: User) -> None:
    """End every session of the user, this one included (A4)."""
    with transaction.atomic():
        # This session is one of them, so its other tabs are told too;
        # then Django forgets it in this request.
        count = do_end_sessions(user)
        logout(request)
    logger.info("logged out everywhere user=%s sessions=%s", user.pk, count)


def do_change_password(request: HttpRequest, user: User, password: str) -> None:
    """Set a new password; keep this session and end every other (A4).

    The caller has checked the current password. This session gets a new
    key (Django rotates it, so a copied cookie is worth nothing) and the
    new password's hash, so it stays logged in.
    """
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        # Saved now, not at the end of the response: its row must exist,
        # with its user, before the other rows are counted.
        request.session.save()
        count = do_end_sessions(user, keep=request.session.session_key)
    logger.info("password changed user=%s other_sessions=%s", user.pk, count)


def do_change_username(user: User, username: str) -> None:
    """Rename the user (A3). The form checked the rules; the unique
    constraint settles a race (IntegrityError propagates)."""
    old = user.username
    user.username = username
    try:
        with transaction.atomic():
            user.save(update_fields=["username"])
    except IntegrityError:
        user.username = old
        raise
    logger.info("username changed user=%s", user.pk)


def do_change_contact(user: User, *, email: str, phone: str) -> None:
    """Set the user's email and phone (A3); the form checked the current
    password. The unique email constraint settles a race."""
    old = (user.email, user.phone)
    user.email, user.phone = email, phone
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "phone"])
    except IntegrityError:
        user.email, user.phone = old
        raise
    logger.info("contact details changed user=%s", user.pk)


def do_set_avatar(user: User, avatar: ContentFile) -> None:
    """Make ``avatar`` (a checked, re-encoded image with a fresh name) the
    user's avatar, and show it in every open tab that shows the user (A3).

    The old file is deleted once the new one is committed: until then a
    page may still show it, and a rolled-back change must keep it.
    """
    old_name = user.avatar.name
    user.avatar.save(avatar.name, avatar, save=False)
    try:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(avatar=user.avatar.name)
            transaction.on_commit(
                partial(_delete_avatar_file, user.avatar.storage, old_name)
            )
            transaction.on_commit(partial(events.avatar_changed, user.pk))
    except BaseException:
        user.avatar.delete(save=False)
        user.avatar.name = old_name
        raise
    logger.info("avatar changed user=%s", user.pk)


def do_regenerate_avatar(user: User) -> None:
    """Give the user a new identicon from a fresh random seed (A3)."""
    do_set_avatar(user, random_identicon())


def do_deactivate_user(user: User) -> None:
    """Stop the user from logging in and end every session, live (D1)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        count = do_end_sessions(user)
    logger.info("user deactivated user=%s sessions=%s", user.pk, count)


def do_reactivate_user(user: User) -> None:
    """Let a deactivated user log in again (D1)."""
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    logger.info("user reactivated user=%s", user.pk)


def do_delete_account(user: User, request: HttpRequest | None = None) -> None:
    """Delete ``user``'s account (A6; "Account deletion" in PRODUCT.md).

    The caller has confirmed the user's password, or is a moderator. In
    one transaction: the apps above end what the user took part in
    (``account_deleting``: friendships, requests, friend groups, private
    chats, group memberships and invitations, the groups they own handed
    on), every session of the user ends, and the user row goes; their
    sent messages stay, with no sender ("Deleted user"). After commit,
    every open tab of the user is logged out and the avatar file removed.

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
    sessions = do_end_sessions(user)
    avatar = user.avatar
    user.delete()

    transaction.on_commit(partial(_delete_avatar_file, avatar.storage, avatar.name))
    logger.info("account deleted user=%s sessions=%s", user_id, sessions)


def _delete_avatar_file(storage: Storage, name: str) -> None:
    # Accounts made outside sign-up (createsuperuser) had no file.
    if name:
        storage.delete(name)


def _announce_session_end(session_keys: list[str]) -> None:
    live.end_sessions(session_keys, live.session_ended_html())


def bump_live_version(user_ids: Iterable[int]) -> None:
    """Record that what these users' pages show has changed (see
    ``User.live_version``). The caller holds the transaction."""
    User.objects.filter(pk__in=list(user_ids)).update(
        live_version=F("live_version") + 1
    )
