"""Every change to friendships, friend requests, friend groups, blocks and
presence.

Each action runs in one transaction and schedules its live events with
``transaction.on_commit``; ``social.events`` renders and sends them.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.actions import bump_live_version
from accounts.models import User
from social import events
from social.models import (
    Block,
    FriendGroup,
    FriendRequest,
    Friendship,
    LiveConnection,
    Presence,
)
from social.queries import presence_cutoff
from social.signals import friendship_ended, friendship_started

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


def do_send_friend_request(
    sender: User, receiver: User, note: str, via_chat_id: int | None = None
) -> RequestOutcome:
    """Ask ``receiver`` to be friends (S2).

    Refused for oneself, for an existing friend and while either blocked
    the other. A second request to the same person replaces the first (a
    fresh note, a fresh time). If the receiver has already asked the
    sender, the two become friends at once. ``via_chat_id`` names the
    group chat whose member list the request was sent from, if any; the
    caller has checked that the sender is in it.
    """
    if sender.pk == receiver.pk:
        raise SocialError("You cannot send a friend request to yourself.")

    with transaction.atomic():
        _lock_pair(sender, receiver)
        _refuse_if_blocked(sender, receiver)
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
            sender=sender, receiver=receiver, note=note, via_chat_id=via_chat_id
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


def do_delete_friend(user: User, friend: User) -> None:
    """End the friendship of two users (S6): both directions go, and in
    the same transaction ``chat`` deletes their private chat.

    Deleting a friend who is no longer one (a second tab, a race with the
    other side) is harmless and changes nothing.
    """
    with transaction.atomic():
        _lock_pair(user, friend)
        if not are_friends(user, friend):
            return
        _end_friendship(user, friend)
    logger.info("friend deleted user=%s friend=%s", user.pk, friend.pk)


def do_block_user(blocker: User, blocked: User) -> None:
    """Block a user (S7): their friendship ends as in S6, open requests
    between them close, and neither can ask the other again until the
    blocker unblocks. Blocking twice is harmless.
    """
    if blocker.pk == blocked.pk:
        raise SocialError("You cannot block yourself.")

    with transaction.atomic():
        _lock_pair(blocker, blocked)
        if Block.objects.filter(blocker=blocker, blocked=blocked).exists():
            return
        Block.objects.create(blocker=blocker, blocked=blocked)
        closed_ids = _close_requests_between(blocker, blocked)
        were_friends = are_friends(blocker, blocked)
        if were_friends:
            _end_friendship(blocker, blocked)
        bump_live_version([blocker.pk, blocked.pk])
        transaction.on_commit(
            partial(events.block_changed, blocker.pk, blocked.pk, closed_ids, True)
        )
    logger.info(
        "user blocked user=%s blocked=%s ended_friendship=%s",
        blocker.pk,
        blocked.pk,
        were_friends,
    )


def do_unblock_user(blocker: User, blocked: User) -> None:
    """Lift a block; the two may ask each other again. Harmless twice."""
    with transaction.atomic():
        deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
        if not deleted:
            return
        bump_live_version([blocker.pk])
        transaction.on_commit(
            partial(events.block_changed, blocker.pk, blocked.pk, [], False)
        )
    logger.info("user unblocked user=%s blocked=%s", blocker.pk, blocked.pk)


def do_create_friend_group(owner: User, name: str) -> FriendGroup:
    """Make a named friend group (S4). ``name`` is trimmed, 1-100 chars
    (``FriendGroupForm``); a name the owner already uses, ignoring case,
    is refused."""
    with transaction.atomic():
        _refuse_taken_name(owner, name)
        try:
            with transaction.atomic():
                group = FriendGroup.objects.create(owner=owner, name=name)
        except IntegrityError:  # The same name, created in another tab.
            raise SocialError(f"You already have a group named “{name}”.") from None
        _friend_list_changed(owner)
    logger.info("friend group created user=%s group=%s", owner.pk, group.pk)
    return group


def do_rename_friend_group(group: FriendGroup, name: str) -> None:
    """Rename a named friend group (S4); the default group keeps its name."""
    if group.name is None:
        raise SocialError("The default group cannot be renamed.")
    with transaction.atomic():
        _refuse_taken_name(group.owner, name, except_id=group.pk)
        try:
            with transaction.atomic():
                FriendGroup.objects.filter(pk=group.pk).update(name=name)
        except IntegrityError:
            raise SocialError(f"You already have a group named “{name}”.") from None
        _friend_list_changed(group.owner)
    logger.info("friend group renamed user=%s group=%s", group.owner_id, group.pk)


def do_delete_friend_group(group: FriendGroup) -> None:
    """Delete a named friend group (S4); its friends move to the default."""
    if group.name is None:
        raise SocialError("The default group cannot be deleted.")
    with transaction.atomic():
        default = default_friend_group(group.owner)
        Friendship.objects.filter(group=group).update(group=default)
        FriendGroup.objects.filter(pk=group.pk).delete()
        _friend_list_changed(group.owner)
    logger.info("friend group deleted user=%s group=%s", group.owner_id, group.pk)


def do_move_friend(friendship: Friendship, group: FriendGroup | None) -> None:
    """Put a friend in one of the user's groups, or the default for None.

    The caller checked that ``group`` belongs to ``friendship.user``.
    """
    with transaction.atomic():
        target = group or default_friend_group(friendship.user)
        Friendship.objects.filter(pk=friendship.pk).update(group=target)
        _friend_list_changed(friendship.user)
    logger.info(
        "friend moved user=%s friend=%s group=%s",
        friendship.user_id,
        friendship.friend_id,
        target.pk,
    )


def do_set_remark(friendship: Friendship, remark: str) -> None:
    """Set the user's remark for a friend (S5), or clear it with "".

    The remark replaces the friend's username everywhere this user sees
    them, so every open tab of theirs is told the new name.
    """
    with transaction.atomic():
        Friendship.objects.filter(pk=friendship.pk).update(remark=remark)
        bump_live_version([friendship.user_id])
        transaction.on_commit(
            partial(
                events.remark_changed,
                friendship.user_id,
                friendship.friend_id,
                remark or friendship.friend.username,
            )
        )
    logger.info(
        "remark %s user=%s friend=%s",
        "set" if remark else "cleared",
        friendship.user_id,
        friendship.friend_id,
    )


# Presence (M10). The consumer calls these as sockets open, close and
# stay open; see ``LiveConnection`` and ``Presence``.


def do_connect(user_id: int, channel_name: str) -> None:
    """Record a newly opened socket; if its user was offline, tell their
    friends at once."""
    with transaction.atomic():
        LiveConnection.objects.update_or_create(
            channel_name=channel_name,
            defaults={"user_id": user_id, "seen": timezone.now()},
        )
        _set_presence(user_id, online=True)


def do_disconnect(channel_name: str) -> bool:
    """Forget a closed socket; return whether its user has no other fresh
    connection left (the caller then settles their presence after the
    debounce)."""
    row = LiveConnection.objects.filter(channel_name=channel_name).first()
    if row is None:
        return False
    row.delete()
    fresh = LiveConnection.objects.filter(
        user_id=row.user_id, seen__gte=presence_cutoff()
    )
    return not fresh.exists()


def do_settle_presence(user_id: int) -> None:
    """Tell friends a user went offline, if no fresh connection is left.

    Called a debounce after the user's last socket closed: a reload or a
    connection that comes back within it finds a connection here, and
    friends are told nothing at all.
    """
    with transaction.atomic():
        online = LiveConnection.objects.filter(
            user_id=user_id, seen__gte=presence_cutoff()
        ).exists()
        _set_presence(user_id, online=online)


def do_presence_heartbeat(channel_name: str, user_id: int) -> None:
    """Renew a socket's connection row, and sweep away the stale rows of
    any process that died, telling the friends of whoever that left
    offline."""
    with transaction.atomic():
        renewed = LiveConnection.objects.filter(channel_name=channel_name).update(
            seen=timezone.now()
        )
        if not renewed:  # Swept while this process stalled; online again.
            LiveConnection.objects.create(
                channel_name=channel_name, user_id=user_id, seen=timezone.now()
            )
            _set_presence(user_id, online=True)
    stale = LiveConnection.objects.filter(seen__lt=presence_cutoff())
    stale_user_ids = set(stale.values_list("user_id", flat=True))
    if not stale_user_ids:
        return
    stale.delete()
    for stale_user_id in stale_user_ids:
        do_settle_presence(stale_user_id)


def _set_presence(user_id: int, online: bool) -> None:
    """Record what friends are told; tell them only of a change. The
    caller holds the transaction; the row lock orders a connect racing a
    settle, whichever commits first."""
    Presence.objects.get_or_create(user_id=user_id)
    presence = Presence.objects.select_for_update().get(user_id=user_id)
    if presence.online == online:
        return
    Presence.objects.filter(user_id=user_id).update(
        online=online, version=presence.version + 1
    )
    transaction.on_commit(partial(events.presence_changed, user_id))
    logger.info("presence user=%s online=%s", user_id, online)


def _refuse_if_blocked(sender: User, receiver: User) -> None:
    """Refuse a request between two users while either blocked the other.

    The blocker learns why; the blocked user gets the words anyone gets
    when a request cannot go through, naming no block (S7).
    """
    blocks = set(
        Block.objects.filter(
            Q(blocker=sender, blocked=receiver) | Q(blocker=receiver, blocked=sender)
        ).values_list("blocker_id", flat=True)
    )
    if sender.pk in blocks:
        raise SocialError(
            f"You blocked {receiver.username}. Unblock them to send a request."
        )
    if blocks:
        raise SocialError(f"{receiver.username} cannot receive your friend request.")


def _refuse_taken_name(owner: User, name: str, except_id: int | None = None) -> None:
    taken = FriendGroup.objects.filter(owner=owner, name__iexact=name)
    if except_id is not None:
        taken = taken.exclude(pk=except_id)
    if taken.exists() or name.casefold() == "friends":
        raise SocialError(f"You already have a group named “{name}”.")


def _friend_list_changed(user: User) -> None:
    """The caller changed the user's friend list; their tabs redraw it."""
    bump_live_version([user.pk])
    transaction.on_commit(partial(events.friend_lists_changed, [user.pk]))


def _close_requests_between(user: User, other: User) -> list[int]:
    """Delete open requests either way between two users; return their ids."""
    closed_ids = list(
        FriendRequest.objects.filter(
            sender__in=[user, other], receiver__in=[user, other]
        ).values_list("pk", flat=True)
    )
    FriendRequest.objects.filter(pk__in=closed_ids).delete()
    return closed_ids


def _end_friendship(user: User, other: User) -> None:
    """Delete both directions of a friendship and let ``chat`` end the
    private chat. The caller holds the transaction and the pair lock."""
    Friendship.objects.filter(
        Q(user=user, friend=other) | Q(user=other, friend=user)
    ).delete()
    bump_live_version([user.pk, other.pk])
    friendship_ended.send(sender=Friendship, users=(user, other))
    transaction.on_commit(partial(events.friend_lists_changed, [user.pk, other.pk]))


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
    closed_ids = _close_requests_between(user, other)
    bump_live_version([user.pk, other.pk])
    Friendship.objects.bulk_create(
        [
            Friendship(user=user, friend=other, group=default_friend_group(user)),
            Friendship(user=other, friend=user, group=default_friend_group(other)),
        ]
    )
    friendship_started.send(sender=Friendship, users=(user, other))
    transaction.on_commit(partial(events.friends_made, user.pk, other.pk, closed_ids))
