from django.contrib import admin

from chat.models import Chat, ChatAnnouncement, ChatInvitation, Membership, Message


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
    list_display = ("pk", "chat", "sender", "kind", "excerpt", "created")
    list_filter = ("kind", "created")
    search_fields = ("body", "sender__username", "chat__name")
    raw_id_fields = ("chat", "sender")
    list_select_related = ("chat", "sender")
    date_hierarchy = "created"

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
