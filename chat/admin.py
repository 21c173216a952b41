"""Chats, memberships and messages for moderators (D1).

Chats, memberships, announcements and invitations are shown, never
edited here: a row deleted or changed behind the actions' back breaks
what they keep whole (a private chat has its two friends, a group has
one owner, an invitation moves through its states) and tells no open
tab. Messages are removed with the "remove" action, never deleted.
Changes to them go through the actions, as users make them; deleting a
user in the admin runs account deletion, which hands their groups on.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from accounts.models import User
from chat.actions import do_moderate_message
from chat.models import (
    Chat,
    ChatAnnouncement,
    ChatInvitation,
    HiddenMessage,
    Membership,
    Message,
)


class ViewOnly:
    """Admin pages that show rows and change none."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(ViewOnly, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "nickname", "joined", "unread_count", "muted", "pinned")
    readonly_fields = fields
    ordering = ("joined", "pk")


@admin.register(Chat)
class ChatAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ("__str__", "kind", "member_count", "created", "last_activity")
    list_filter = ("kind",)
    search_fields = ("name",)
    inlines = [MembershipInline]
    fields = ("kind", "name", "created", "last_activity", "last_message")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Chat]:
        chats: QuerySet[Chat] = super().get_queryset(request)
        return chats.annotate(member_count=Count("memberships"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, chat: Chat) -> int:
        return chat.member_count  # type: ignore[attr-defined, no-any-return]


@admin.register(Membership)
class MembershipAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ("user", "chat", "role", "unread_count", "joined")
    list_filter = ("role",)
    search_fields = ("user__username", "chat__name")
    list_select_related = ("user", "chat")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Moderators find messages by text, chat, sender and date (D1), and
    remove them with the "remove" action, never by editing or deleting:
    the members then see "removed by a moderator" where it was."""

    list_display = ("pk", "chat", "sender", "kind", "status", "excerpt", "created")
    list_filter = ("kind", "status", "created")
    # "=chat__id" finds a chat's messages by its number, for private chats
    # that have no name.
    search_fields = ("body", "chat__name", "=chat__id", "sender__username")
    raw_id_fields = ("chat", "sender", "reply_to", "removed_by")
    list_select_related = ("chat", "sender")
    date_hierarchy = "created"
    actions = ["remove"]
    readonly_fields = ("status", "removed_by", "reply_count")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting would leave holes in the members' histories and tell no
        # tab; "remove" withdraws a message for everyone instead.
        return False

    @admin.action(description="Remove selected messages for everyone")
    def remove(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        assert isinstance(request.user, User)
        removed = sum(
            do_moderate_message(message, request.user) for message in queryset
        )
        skipped = queryset.count() - removed
        self.message_user(
            request, f"Removed {removed} message(s).", level=messages.SUCCESS
        )
        if skipped:
            self.message_user(
                request,
                f"Left {skipped} message(s) that were system lines or already "
                "recalled or removed.",
                level=messages.WARNING,
            )

    @admin.display(description="text")
    def excerpt(self, message: Message) -> str:
        return message.body if len(message.body) <= 80 else message.body[:79] + "…"


@admin.register(ChatAnnouncement)
class ChatAnnouncementAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ("pk", "chat", "author", "created")
    search_fields = ("body", "chat__name", "author__username")
    raw_id_fields = ("chat", "author")
    list_select_related = ("chat", "author")


@admin.register(ChatInvitation)
class ChatInvitationAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ("pk", "group_name", "invitee", "inviter", "state", "updated")
    list_filter = ("state",)
    search_fields = ("group_name", "invitee__username", "inviter__username")
    raw_id_fields = ("chat", "inviter", "invitee", "decided_by")
    list_select_related = ("invitee", "inviter")


@admin.register(HiddenMessage)
class HiddenMessageAdmin(admin.ModelAdmin):
    """Messages members deleted for themselves (M6), for the record."""

    list_display = ("message", "user", "created")
    raw_id_fields = ("message", "user")
    list_select_related = ("message", "user")
    search_fields = ("user__username",)
