from django.contrib import admin
from django.http import HttpRequest

from social.models import (
    Block,
    FriendGroup,
    FriendRequest,
    Friendship,
    LiveConnection,
    Presence,
)


@admin.register(FriendGroup)
class FriendGroupAdmin(admin.ModelAdmin):
    list_display = ("owner", "name", "created")
    search_fields = ("owner__username", "name")
    raw_id_fields = ("owner",)


@admin.register(Friendship)
class FriendshipAdmin(admin.ModelAdmin):
    list_display = ("user", "friend", "group", "remark", "created")
    search_fields = ("user__username", "friend__username", "remark")
    raw_id_fields = ("user", "friend", "group")
    list_select_related = ("user", "friend", "group")


@admin.register(FriendRequest)
class FriendRequestAdmin(admin.ModelAdmin):
    list_display = ("sender", "receiver", "via_chat_id", "created")
    search_fields = ("sender__username", "receiver__username")
    raw_id_fields = ("sender", "receiver")
    list_select_related = ("sender", "receiver")


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ("blocker", "blocked", "created")
    search_fields = ("blocker__username", "blocked__username")
    raw_id_fields = ("blocker", "blocked")
    list_select_related = ("blocker", "blocked")


@admin.register(Presence)
class PresenceAdmin(admin.ModelAdmin):
    """What friends were last told; kept by the sockets, not by hand."""

    list_display = ("user", "online", "version")
    list_filter = ("online",)
    search_fields = ("user__username",)
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Presence | None = None
    ) -> bool:
        return False


@admin.register(LiveConnection)
class LiveConnectionAdmin(admin.ModelAdmin):
    """Open sockets, per server process; kept by the sockets."""

    list_display = ("user", "channel_name", "seen")
    search_fields = ("user__username",)
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: LiveConnection | None = None
    ) -> bool:
        return False
