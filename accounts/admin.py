from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import get_deleted_objects
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.actions import (
    do_deactivate_user,
    do_delete_account,
    do_end_sessions,
    do_reactivate_user,
)
from accounts.models import User, UserSession


@admin.register(User)
class NovaUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Profile", {"fields": ("phone", "avatar")}),
    )
    list_display = ("username", "email", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "date_joined")
    search_fields = ("username", "email")
    actions = ("deactivate", "reactivate")
    # Both say what deleting an account does beyond the rows listed.
    delete_confirmation_template = "admin/accounts/user/delete_confirmation.html"
    delete_selected_confirmation_template = (
        "admin/accounts/user/delete_selected_confirmation.html"
    )

    @admin.action(description="Deactivate (log out every session)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.filter(is_active=True))
        for user in users:
            do_deactivate_user(user)
        self.message_user(
            request, f"Deactivated {len(users)} user(s).", messages.SUCCESS
        )

    @admin.action(description="Reactivate")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.filter(is_active=False))
        for user in users:
            do_reactivate_user(user)
        self.message_user(
            request, f"Reactivated {len(users)} user(s).", messages.SUCCESS
        )

    def save_model(
        self, request: HttpRequest, obj: User, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        # Unticking "active" on the form deactivates as the action does.
        if change and "is_active" in form.changed_data and not obj.is_active:
            do_end_sessions(obj)

    # Deleting a user here is account deletion (A6), exactly as the user
    # would do it: never a bare cascade, which would leave private chats
    # with one member and groups without an owner.

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        do_delete_account(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            do_delete_account(user)

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """The rows the deletion removes, as Django lists them.

        Neither per-model delete permissions nor protected rows stand in
        the way: ``do_delete_account`` removes them in its own order
        (friendships before friend groups), not the admin.
        """
        deleted, counts, _, _ = get_deleted_objects(objs, request, self.admin_site)
        return deleted, counts, set(), []


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Who is logged in, read only: "deactivate" ends a user's sessions."""

    list_display = ("user", "expire_date")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    fields = ("user", "expire_date")
    readonly_fields = ("user", "expire_date")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: UserSession | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: UserSession | None = None
    ) -> bool:
        return False
