"""Every change to accounts data. Live events are sent after commit."""

import logging
from collections.abc import Iterable
from functools import partial

from django.contrib.auth import login, logout
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from accounts import live
from accounts.avatars import random_identicon
from accounts.models import User

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


def _announce_session_end(session_keys: list[str]) -> None:
    live.end_sessions(session_keys, live.session_ended_html())


def bump_live_version(user_ids: Iterable[int]) -> None:
    """Record that what these users' pages show has changed (see
    ``User.live_version``). The caller holds the transaction."""
    User.objects.filter(pk__in=list(user_ids)).update(
        live_version=F("live_version") + 1
    )
