"""Friend groups, friendships and friend requests."""

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
