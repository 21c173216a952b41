from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import get_deleted_objects
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.actions import do_delete_account
from accounts.models import User


@admin.register(User)
class NovaUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Profile", {"fields": ("phone", "avatar")}),
    )
    list_display = ("username", "email", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "date_joined")
    search_fields = ("username", "email")
    # Both say what deleting an account does beyond the rows listed.
    delete_confirmation_template = "admin/accounts/user/delete_confirmation.html"
    delete_selected_confirmation_template = (
        "admin/accounts/user/delete_selected_confirmation.html"
    )

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
