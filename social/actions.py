"""Every change to friendships and friend requests.

Each action runs in one transaction and schedules its live events with
``transaction.on_commit``; ``social.events`` renders and sends them.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.actions import bump_live_version
from accounts.models import User
from social import events
from social.models import FriendGroup, FriendRequest, Friendship
from social.signals import friendship_started

logger = logging.getLogger(__name__)


class SocialError(Exception):
    """A refused social action. The message is shown to the user as is."""


@dataclass(frozen=True)
class RequestOutcome:
    """What sending a friend request did: opened a request, or, because the
    receiver had already asked the sender, made them friends."""

    friend_request: FriendRequest | None
    became_friends: bool


def are_friends(user: User, other: User) -> bool:
    return Friendship.objects.filter(user=user, friend=other).exists()


def default_friend_group(user: User) -> FriendGroup:
    """Return the user's default friend group, making it on first need.

    The caller must hold a transaction. The partial unique constraint on
    ``(owner) WHERE name IS NULL`` settles a race between two first uses.
    """
    group = FriendGroup.objects.filter(owner=user, name__isnull=True).first()
    if group is not None:
        return group
    try:
        with transaction.atomic():
            return FriendGroup.objects.create(owner=user, name=None)
    except IntegrityError:
        return FriendGroup.objects.get(owner=user, name__isnull=True)


def do_send_friend_request(sender: User, receiver: User, note: str) -> RequestOutcome:
    """Ask ``receiver`` to be friends (S2).

    Refused for oneself and for an existing friend. A second request to the
    same person replaces the first (a fresh note, a fresh time). If the
    receiver has already asked the sender, the two become friends at once.
    """
    if sender.pk == receiver.pk:
        raise SocialError("You cannot send a friend request to yourself.")

    with transaction.atomic():
        _lock_pair(sender, receiver)
        if are_friends(sender, receiver):
            raise SocialError(f"You and {receiver.username} are already friends.")

        crossed = FriendRequest.objects.filter(sender=receiver, receiver=sender)
        if crossed.exists():
            _make_friends(receiver, sender)
            return RequestOutcome(friend_request=None, became_friends=True)

        replaced_ids = list(
            FriendRequest.objects.filter(sender=sender, receiver=receiver).values_list(
                "pk", flat=True
            )
        )
        FriendRequest.objects.filter(pk__in=replaced_ids).delete()
        friend_request = FriendRequest.objects.create(
            sender=sender, receiver=receiver, note=note
        )
        bump_live_version([receiver.pk])
        transaction.on_commit(
            partial(events.friend_request_sent, friend_request.pk, replaced_ids)
        )

    logger.info("friend request sent user=%s to=%s", sender.pk, receiver.pk)
    return RequestOutcome(friend_request=friend_request, became_friends=False)


def do_accept_friend_request(receiver: User, sender: User) -> None:
    """Accept the open request from ``sender`` (S3).

    Idempotent: when two tabs accept at the same moment, the first makes
    the friendship and the second finds the request gone and the two
    already friends, and returns quietly. The pair lock orders them, and
    the unique pair constraint on Friendship is the last word.

    Raises SocialError when there is no such request and no friendship.
    """
    with transaction.atomic():
        _lock_pair(receiver, sender)
        friend_request = FriendRequest.objects.filter(
            sender=sender, receiver=receiver
        ).first()
        if friend_request is None:
            if are_friends(receiver, sender):
                return
            raise SocialError("That friend request is no longer open.")
        _make_friends(sender, receiver)

    logger.info("friend request accepted user=%s from=%s", receiver.pk, sender.pk)


def do_decline_friend_request(receiver: User, sender: User) -> None:
    """Decline the open request from ``sender``; declining twice is harmless."""
    with transaction.atomic():
        ids = list(
            FriendRequest.objects.filter(sender=sender, receiver=receiver).values_list(
                "pk", flat=True
            )
        )
        if not ids:
            return
        FriendRequest.objects.filter(pk__in=ids).delete()
        bump_live_version([receiver.pk])
        transaction.on_commit(
            partial(events.friend_requests_closed, ids, sender.pk, receiver.pk)
        )
    logger.info("friend request declined user=%s from=%s", receiver.pk, sender.pk)


def do_cancel_friend_request(friend_request: FriendRequest) -> None:
    """Withdraw the sender's own open request."""
    with transaction.atomic():
        request_id = friend_request.pk
        FriendRequest.objects.filter(pk=request_id).delete()
        bump_live_version([friend_request.receiver_id])
        transaction.on_commit(
            partial(
                events.friend_requests_closed,
                [request_id],
                friend_request.sender_id,
                friend_request.receiver_id,
            )
        )
    logger.info(
        "friend request cancelled user=%s to=%s",
        friend_request.sender_id,
        friend_request.receiver_id,
    )


def do_remove_account_ties(user: User) -> None:
    """End everything social of an account being deleted (A6): its
    friendships both ways, its open requests both ways and its friend
    groups. Former friends and those it had open requests with see their
    lists and badges change live.

    Runs inside ``accounts.actions.do_delete_account`` (through the
    ``account_deleting`` signal), which holds the transaction and the
    user's row lock, and deletes the user row afterwards.
    """
    friend_ids = list(
        Friendship.objects.filter(user=user).values_list("friend_id", flat=True)
    )
    closed: dict[int, list[int]] = defaultdict(list)
    requests = FriendRequest.objects.filter(Q(sender=user) | Q(receiver=user))
    for request_id, sender_id, receiver_id in requests.values_list(
        "pk", "sender_id", "receiver_id"
    ):
        other_id = receiver_id if sender_id == user.pk else sender_id
        closed[other_id].append(request_id)

    Friendship.objects.filter(Q(user=user) | Q(friend=user)).delete()
    FriendRequest.objects.filter(Q(sender=user) | Q(receiver=user)).delete()
    FriendGroup.objects.filter(owner=user).delete()
    bump_live_version({*friend_ids, *closed})
    transaction.on_commit(
        partial(events.account_removed, user.pk, friend_ids, dict(closed))
    )
    logger.info(
        "social ties removed user=%s friends=%s requests=%s",
        user.pk,
        len(friend_ids),
        sum(len(ids) for ids in closed.values()),
    )


def _lock_pair(user: User, other: User) -> None:
    """Serialize every change between two users (PostgreSQL row locks).

    Locking both user rows, always in id order, makes crossed requests and
    double accepts queue behind each other instead of interleaving. SQLite
    needs no help: IMMEDIATE transactions already run one writer at a time.
    """
    ids = sorted([user.pk, other.pk])
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _make_friends(user: User, other: User) -> None:
    """Make ``user`` and ``other`` friends and close requests between them.

    The caller holds the transaction. ``user`` is the one who asked first;
    the system line names them first.
    """
    closed_ids = list(
        FriendRequest.objects.filter(
            sender__in=[user, other], receiver__in=[user, other]
        ).values_list("pk", flat=True)
    )
    FriendRequest.objects.filter(pk__in=closed_ids).delete()
    bump_live_version([user.pk, other.pk])
    Friendship.objects.bulk_create(
        [
            Friendship(user=user, friend=other, group=default_friend_group(user)),
            Friendship(user=other, friend=user, group=default_friend_group(other)),
        ]
    )
    friendship_started.send(sender=Friendship, users=(user, other))
    transaction.on_commit(partial(events.friends_made, user.pk, other.pk, closed_ids))
