from django.contrib import admin

from social.models import FriendGroup, FriendRequest, Friendship


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
    list_display = ("sender", "receiver", "created")
    search_fields = ("sender__username", "receiver__username")
    raw_id_fields = ("sender", "receiver")
    list_select_related = ("sender", "receiver")
