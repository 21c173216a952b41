"""Read-only queries that build what social pages show."""

import enum
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower

from accounts.live import LiveCount
from accounts.models import User
from social.models import FriendRequest, Friendship


class Relation(enum.StrEnum):
    """How another user stands to the viewer (S1)."""

    FRIEND = "friend"
    REQUEST_SENT = "request_sent"
    REQUEST_RECEIVED = "request_received"
    NONE = "none"


@dataclass(frozen=True)
class UserWithRelation:
    user: User
    relation: Relation
    request_id: int | None = None


def search_users(viewer: User, query: str) -> QuerySet[User]:
    """Active users whose name contains ``query``, ignoring case (S1).

    The viewer never appears. An empty query finds nobody rather than
    listing every account on the server.
    """
    query = query.strip()
    if not query:
        return User.objects.none()
    return (
        User.objects.filter(username__icontains=query, is_active=True)
        .exclude(pk=viewer.pk)
        .order_by(Lower("username"), "pk")
    )


def with_relations(viewer: User, users: list[User]) -> list[UserWithRelation]:
    """Pair each user with their relation to the viewer, in two queries."""
    ids = [user.pk for user in users]
    friend_ids = set(
        Friendship.objects.filter(user=viewer, friend_id__in=ids).values_list(
            "friend_id", flat=True
        )
    )
    sent: dict[int, int] = {}
    received: dict[int, int] = {}
    requests = FriendRequest.objects.filter(
        Q(sender=viewer, receiver_id__in=ids) | Q(receiver=viewer, sender_id__in=ids)
    ).values_list("pk", "sender_id", "receiver_id")
    for request_id, sender_id, receiver_id in requests:
        if sender_id == viewer.pk:
            sent[receiver_id] = request_id
        else:
            received[sender_id] = request_id

    result = []
    for user in users:
        if user.pk in friend_ids:
            result.append(UserWithRelation(user, Relation.FRIEND))
        elif user.pk in received:
            result.append(
                UserWithRelation(user, Relation.REQUEST_RECEIVED, received[user.pk])
            )
        elif user.pk in sent:
            result.append(UserWithRelation(user, Relation.REQUEST_SENT, sent[user.pk]))
        else:
            result.append(UserWithRelation(user, Relation.NONE))
    return result


def incoming_requests(viewer: User) -> QuerySet[FriendRequest]:
    """Open requests to the viewer from active users, newest first.

    A deactivated user's request is kept (a moderator may reactivate
    them) but hidden: its buttons would only find a 404, and the badge
    would count it for ever.
    """
    return FriendRequest.objects.filter(
        receiver=viewer, sender__is_active=True
    ).select_related("sender")


def outgoing_requests(viewer: User) -> QuerySet[FriendRequest]:
    """Open requests from the viewer to active users (see above)."""
    return FriendRequest.objects.filter(
        sender=viewer, receiver__is_active=True
    ).select_related("receiver")


def friendships(viewer: User) -> QuerySet[Friendship]:
    return (
        Friendship.objects.filter(user=viewer)
        .select_related("friend", "group")
        .order_by(Lower("friend__username"))
    )


def remarks_for(
    viewer_ids: list[int], user_ids: list[int]
) -> dict[tuple[int, int], str]:
    """Map ``(viewer_id, user_id)`` to the viewer's remark for that user.

    Only pairs with a remark appear; everyone else is shown by username.
    One query, whatever the number of viewers.
    """
    rows = (
        Friendship.objects.filter(user_id__in=viewer_ids, friend_id__in=user_ids)
        .exclude(remark="")
        .values_list("user_id", "friend_id", "remark")
    )
    return {(viewer_id, user_id): remark for viewer_id, user_id, remark in rows}


def incoming_request_counts(user_ids: list[int]) -> dict[int, LiveCount]:
    """The badge of each user: their requests as ``incoming_requests``
    lists them, with their live version, in one query."""
    open_requests = (
        FriendRequest.objects.filter(receiver=OuterRef("pk"), sender__is_active=True)
        .values("receiver")
        .annotate(total=Count("pk"))
        .values("total")
    )
    rows = (
        User.objects.filter(pk__in=user_ids)
        .annotate(count=Coalesce(Subquery(open_requests), 0))
        .values_list("pk", "count", "live_version")
    )
    return {user_id: LiveCount(count, version) for user_id, count, version in rows}
