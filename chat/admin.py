from django.contrib import admin, messages
from django.db.models import QuerySet
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


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)
    fields = (
        "user",
        "role",
        "nickname",
        "unread_count",
        "muted",
        "pinned",
        "joined",
    )
    readonly_fields = ("joined",)


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "created", "last_activity")
    list_filter = ("kind",)
    search_fields = ("name",)
    inlines = [MembershipInline]
    raw_id_fields = ("last_message",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "chat", "role", "unread_count", "joined")
    list_filter = ("role",)
    search_fields = ("user__username", "chat__name")
    raw_id_fields = ("user", "chat")
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
class ChatAnnouncementAdmin(admin.ModelAdmin):
    list_display = ("pk", "chat", "author", "created")
    search_fields = ("body", "chat__name", "author__username")
    raw_id_fields = ("chat", "author")
    list_select_related = ("chat", "author")


@admin.register(ChatInvitation)
class ChatInvitationAdmin(admin.ModelAdmin):
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
