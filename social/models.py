"""Friend groups, friendships, friend requests, blocks and presence."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class FriendGroup(models.Model):
    """A user's folder of friends (S4).

    Every user has exactly one default group, whose name is NULL and which
    the interface shows as "Friends". It is made on first need.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # NULL, not "", marks the default group: the unique (owner, name)
    # constraint then leaves it alone and a partial constraint counts it.
    name = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], name="social_friendgroup_unique_name"
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(name__isnull=True),
                name="social_friendgroup_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name or "Friends"


class Friendship(models.Model):
    """One direction of a friendship: ``user`` counts ``friend`` as a friend.

    A friendship is always two rows, one per direction, made and removed
    together, so each side keeps its own group and remark.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    friend = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        FriendGroup, on_delete=models.PROTECT, related_name="friendships"
    )
    remark = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "friend"], name="social_friendship_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(user=F("friend")), name="social_friendship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.friend}"


class FriendRequest(models.Model):
    """An open request from ``sender`` to ``receiver`` (S2).

    At most one per direction: sending again replaces the note. Accepting or
    declining deletes the row, so an open request is simply one that exists.
    """

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    # The group chat from whose member list the request was sent, if any
    # (S2). A plain id, not a foreign key: ``social`` may not know
    # ``chat``. It names no chat once that group is gone; whoever shows
    # it looks the chat up and shows nothing when there is none.
    via_chat_id = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "receiver"], name="social_friendrequest_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(sender=F("receiver")),
                name="social_friendrequest_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender} asks {self.receiver}"


class Block(models.Model):
    """``blocker`` blocked ``blocked`` (S7).

    While it exists the two cannot be friends, neither can ask the other,
    and ``blocked`` never finds ``blocker`` in search. Only the blocker
    knows: every refusal the blocked user meets is worded generically.
    """

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["blocker", "blocked"], name="social_block_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(blocker=F("blocked")), name="social_block_not_self"
            ),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"])]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


class Presence(models.Model):
    """Whether a user's friends were last told they are online (M10).

    ``online`` is what friends were told, not the truth of this instant:
    a tab that closes and reopens within the debounce never flips it.
    ``version`` grows with every change, so a tab never lets an older dot
    replace a newer one.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    online = models.BooleanField(default=False)
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id} {'online' if self.online else 'offline'}"


class LiveConnection(models.Model):
    """One open websocket of a user, on whichever server process holds it.

    A user is online while any of their connections is fresh: its process
    renews ``seen`` every ``NOVA_PRESENCE_HEARTBEAT_SECONDS``. A process
    that dies leaves its rows behind; they stop counting once older than
    ``NOVA_PRESENCE_TTL_SECONDS``, and the next heartbeat of any process
    sweeps them away and tells the friends.
    """

    channel_name = models.CharField(max_length=200, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    seen = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "seen"])]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.channel_name}"
