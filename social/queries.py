"""Read-only queries that build what social pages show."""

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone

from accounts.live import LiveCount
from accounts.models import User
from social.models import (
    Block,
    FriendGroup,
    FriendRequest,
    Friendship,
    LiveConnection,
    Presence,
)


class Relation(enum.StrEnum):
    """How another user stands to the viewer (S1)."""

    FRIEND = "friend"
    REQUEST_SENT = "request_sent"
    REQUEST_RECEIVED = "request_received"
    NONE = "none"
    # The viewer blocked them. The other way round never shows: a user
    # who blocked the viewer is not in the viewer's results at all.
    BLOCKED = "blocked"


@dataclass(frozen=True)
class UserWithRelation:
    user: User
    relation: Relation
    request_id: int | None = None


def search_users(viewer: User, query: str) -> QuerySet[User]:
    """Active users whose name contains ``query``, ignoring case (S1).

    The viewer never appears, nor does anyone who blocked the viewer
    (S7). An empty query finds nobody rather than listing every account
    on the server.
    """
    query = query.strip()
    if not query:
        return User.objects.none()
    blockers = Block.objects.filter(blocked=viewer).values("blocker_id")
    return (
        User.objects.filter(username__icontains=query, is_active=True)
        .exclude(pk=viewer.pk)
        .exclude(pk__in=blockers)
        .order_by(Lower("username"), "pk")
    )


def with_relations(viewer: User, users: list[User]) -> list[UserWithRelation]:
    """Pair each user with their relation to the viewer, in three queries."""
    ids = [user.pk for user in users]
    blocked_ids = set(
        Block.objects.filter(blocker=viewer, blocked_id__in=ids).values_list(
            "blocked_id", flat=True
        )
    )
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
        if user.pk in blocked_ids:
            result.append(UserWithRelation(user, Relation.BLOCKED))
        elif user.pk in friend_ids:
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


def blocked_either_way(user_id: int, other_id: int) -> bool:
    """Whether either of two users blocked the other (S7), in one query.

    Anything one user offers the other (a friend request, a group chat
    invitation) is refused while this holds.
    """
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id)
        | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


def blocks(viewer: User) -> QuerySet[Block]:
    """The users the viewer blocked, by name, to unblock them."""
    return (
        Block.objects.filter(blocker=viewer)
        .select_related("blocked")
        .order_by(Lower("blocked__username"))
    )


def presence_cutoff() -> datetime:
    """Connections last seen before this no longer count as online."""
    return timezone.now() - timedelta(seconds=settings.NOVA_PRESENCE_TTL_SECONDS)


def friendships(viewer: User) -> QuerySet[Friendship]:
    """The viewer's friendships, by the name the viewer sees, each with
    the friend's presence: ``online`` (a fresh connection exists) and the
    ``presence_version`` of that state."""
    fresh = LiveConnection.objects.filter(
        user_id=OuterRef("friend_id"), seen__gte=presence_cutoff()
    )
    version = Presence.objects.filter(user_id=OuterRef("friend_id")).values("version")
    return (
        Friendship.objects.filter(user=viewer)
        .select_related("friend")
        .annotate(
            online=Exists(fresh),
            presence_version=Coalesce(Subquery(version), 0),
        )
        .order_by(
            Lower(Coalesce(NullIf("remark", Value("")), "friend__username")), "pk"
        )
    )


@dataclass
class FriendGroupView:
    """One friend group as the friend list shows it (S5).

    ``group`` is None for the default group before it exists in the
    database (it is made on first need).
    """

    group: FriendGroup | None
    friendships: list[Friendship] = field(default_factory=list)

    @property
    def is_default(self) -> bool:
        return self.group is None or self.group.name is None

    @property
    def name(self) -> str:
        return str(self.group) if self.group else "Friends"

    @property
    def key(self) -> str:
        """What names the group in element ids."""
        if self.group is None or self.group.name is None:
            return "default"
        return str(self.group.pk)


def friend_groups(viewer: User) -> list[FriendGroupView]:
    """The viewer's friend list, grouped (S5), in two queries however many
    friends and groups: the default group first, then the others by name,
    each friend in exactly one.
    """
    groups = list(
        FriendGroup.objects.filter(owner=viewer).order_by(
            Lower("name").asc(nulls_first=True), "pk"
        )
    )
    views = {group.pk: FriendGroupView(group) for group in groups}
    if not any(group.name is None for group in groups):
        default = FriendGroupView(None)
        ordered = [default, *views.values()]
    else:
        ordered = list(views.values())
    for friendship in friendships(viewer):
        views[friendship.group_id].friendships.append(friendship)
    return ordered


def remarks_for(
    viewer_ids: list[int], user_ids: list[int]
) -> dict[tuple[int, int], str]:
    """Map ``(viewer_id, user_id)`` to the viewer's remark for that user.

    Only pairs with a remark appear; everyone else is shown by username.
    One query, whatever the number of viewers; none when there is nothing
    to ask.
    """
    if not viewer_ids or not user_ids:
        return {}
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


def friend_list_context(viewer: User) -> dict[str, object]:
    """What the friend list partial shows, in three queries: the viewer's
    ``live_version`` (read first, so the list never claims more than it
    shows), the groups, and the friendships with presence."""
    version = User.objects.filter(pk=viewer.pk).values_list("live_version", flat=True)[
        0
    ]
    groups = friend_groups(viewer)
    return {
        "friend_groups": groups,
        "friend_list_version": version,
        "named_groups": [view.group for view in groups if not view.is_default],
    }
