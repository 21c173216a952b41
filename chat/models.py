"""Chats, memberships and messages."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Chat(models.Model):
    """A private chat between two friends, or a group chat.

    ``private_key`` ("<smaller id>:<larger id>") makes a second private
    chat between the same two people impossible, whatever the race.
    ``last_message`` and ``last_activity`` are kept by the actions that post
    into the chat, so the chat list needs no aggregate.
    """

    class Kind(models.TextChoices):
        PRIVATE = "private", "Private"
        GROUP = "group", "Group"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=60, blank=True)
    private_key = models.CharField(max_length=41, null=True, blank=True, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_activity = models.DateTimeField(db_index=True)
    last_message = models.ForeignKey(
        "Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="group") | Q(private_key__isnull=False),
                name="chat_chat_private_has_key",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} chat {self.pk}"

    @staticmethod
    def private_key_for(user_id: int, other_id: int) -> str:
        low, high = sorted([user_id, other_id])
        return f"{low}:{high}"


class Membership(models.Model):
    """A user's place in a chat, with everything per user about it.

    ``role`` matters in groups only (C5); a private chat's two members are
    both plain members and no rule reads it.

    ``unread_count`` is the server's own count (M9): it rises as others
    post and drops to zero when the user reads, so every tab and device
    shows the same number.
    """

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined = models.DateTimeField(auto_now_add=True)
    unread_count = models.PositiveIntegerField(default=0)
    last_read_message_id = models.BigIntegerField(default=0)
    muted = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False)
    # The name this member goes by in this group, for every member (C8).
    nickname = models.CharField(max_length=32, blank=True)
    # "Clear history" (C8): messages up to this id are hidden from this
    # member alone, in the history, the chat-list preview and catch-ups.
    cleared_before_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "user"], name="chat_membership_unique_member"
            ),
        ]
        indexes = [models.Index(fields=["user", "chat"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.chat}"


class Message(models.Model):
    """One line in a chat: text from a member, or a system line.

    Messages are ordered by id, never by timestamp (clocks of several
    servers may disagree). A recalled or removed message keeps its row,
    so the chat's order and every reply's link stay whole, but its body
    is blanked (M6): what its sender took back, or a moderator took down,
    is then in no page, push, preview, search result or backup.

    ``client_token`` is made by the send form; a second post of the same
    form finds the first message instead of making another (M2). A sender
    who deletes their account leaves ``sender`` NULL on a text message,
    which shows as "Deleted user".
    """

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        SYSTEM = "system", "System"

    class Status(models.TextChoices):
        """Whether the text is shown. Every other status blanks ``body``."""

        SHOWN = "shown", "Shown"
        RECALLED = "recalled", "Recalled by its sender"
        REMOVED_BY_ADMIN = "removed_by_admin", "Removed by a group admin"
        REMOVED_BY_MODERATOR = "removed_by_moderator", "Removed by a moderator"

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField()
    client_token = models.UUIDField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # The message this one answers (M5). Messages are never deleted one
    # by one (recall and removal blank them), but a whole chat is, and
    # SET_NULL keeps a reply whole should its original ever go.
    reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
    )
    # Replies that are still shown; kept by the actions, so a page needs
    # no aggregate and a live update no count.
    reply_count = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.SHOWN
    )
    # Who removed it: a group's owner or admin, or a moderator. Kept for
    # the moderators' record; members are only told "an admin".
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "sender", "client_token"],
                condition=Q(client_token__isnull=False),
                name="chat_message_unique_client_token",
            ),
        ]
        indexes = [models.Index(fields=["chat", "id"])]

    def __str__(self) -> str:
        return f"Message {self.pk} in chat {self.chat_id}"

    @property
    def is_shown(self) -> bool:
        """Whether its text is shown: not recalled, not removed."""
        return self.status == self.Status.SHOWN

    @property
    def accepts_replies(self) -> bool:
        """A member's message that is still shown can be answered (M5)."""
        return self.kind == self.Kind.TEXT and self.is_shown


class ChatAnnouncement(models.Model):
    """An announcement posted by a group's owner or an admin (C4, C5).

    Kept apart from messages so the group panel can list every one of
    them, newest first, however far back the history goes.
    """

    chat = models.ForeignKey(
        Chat, on_delete=models.CASCADE, related_name="announcements"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["chat", "-id"])]

    def __str__(self) -> str:
        return f"Announcement {self.pk} in chat {self.chat_id}"


class ChatInvitation(models.Model):
    """A member's invitation of a friend into a group (C6).

    The invitee answers first. After an accept, an inviter who is the
    group's owner or an admin *at that moment* lets the invitee in at
    once; otherwise the invitation waits for an owner or admin to approve
    or refuse it. An inviter who has left or lost their role since counts
    as a plain member: the invitation stays valid and needs approval.

    At most one open invitation per (group, invitee), whatever the race.
    A disbanded group leaves its invitations as ``disbanded`` (``chat`` is
    then NULL and ``group_name`` names it).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        AWAITING_APPROVAL = "awaiting_approval", "Waiting for approval"
        JOINED = "joined", "Joined"
        DECLINED = "declined", "Declined"
        REFUSED = "refused", "Refused"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"
        DISBANDED = "disbanded", "Group disbanded"

    OPEN_STATES = (State.PENDING, State.AWAITING_APPROVAL)

    chat = models.ForeignKey(
        Chat,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    group_name = models.CharField(max_length=60)
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.PENDING
    )
    # Who approved or refused it (an owner or admin), if anyone did.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["chat", "invitee"],
                condition=Q(state__in=["pending", "awaiting_approval"]),
                name="chat_invitation_one_open_per_invitee",
            ),
        ]
        indexes = [models.Index(fields=["invitee", "state"])]

    def __str__(self) -> str:
        return f"Invitation {self.pk} of {self.invitee_id} to {self.group_name}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class HiddenMessage(models.Model):
    """A message one member deleted for themself (M6): it is hidden from
    them alone, everywhere they would see it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="hidden_for"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "message"], name="chat_hiddenmessage_unique_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.message_id} hidden for user {self.user_id}"
