"""The friends page: search, friend requests, the friend list with its
groups and remarks, blocks."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap

from accounts.access import access_active_user
from accounts.models import User
from nova_site.http import AuthedRequest
from social import queries
from social.access import (
    access_friend_group,
    access_friendship,
    access_outgoing_request,
)
from social.actions import (
    SocialError,
    do_accept_friend_request,
    do_block_user,
    do_cancel_friend_request,
    do_create_friend_group,
    do_decline_friend_request,
    do_delete_friend,
    do_delete_friend_group,
    do_move_friend,
    do_rename_friend_group,
    do_send_friend_request,
    do_set_remark,
    do_unblock_user,
)
from social.forms import FriendGroupForm, FriendRequestForm, MoveFriendForm, RemarkForm

SEARCH_PAGE_SIZE = 20


def _friends_url(request: AuthedRequest) -> str:
    """The friends page, keeping the search the user was looking at."""
    url = reverse("social:friends")
    query = request.POST.get("q")
    return f"{url}?{urlencode({'q': query})}" if query else url


def _search_context(request: AuthedRequest, user: User) -> dict[str, object]:
    # NUL cannot be stored or searched for in PostgreSQL; nobody has one.
    query = request.GET.get("q", "")[:64].replace("\x00", "")
    paginator = Paginator(queries.search_users(user, query), SEARCH_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "query": query,
        "page": page,
        "results": queries.with_relations(user, list(page.object_list)),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def friends(request: AuthedRequest) -> TemplateResponse:
    user = request.user
    context = _search_context(request, user)
    if request.htmx and not request.htmx.history_restore_request:
        # The search box asks for its results alone; Back and Forward ask
        # for the whole page.
        return TemplateResponse(request, "social/friends.html#search_results", context)
    context |= {
        "incoming_requests": queries.incoming_requests(user),
        "outgoing_requests": queries.outgoing_requests(user),
        "request_form": FriendRequestForm(),
        "blocks": queries.blocks(user),
        **queries.friend_list_context(user),
    }
    return TemplateResponse(request, "social/friends.html", context)


@require_POST
@login_required
def send_request(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = FriendRequestForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        if request.htmx:
            # A redirect would be followed and its whole result list
            # swapped into this one row; keep the row, show the messages.
            return reswap(HttpResponse(), "none")
        return redirect(_friends_url(request))
    receiver = access_active_user(form.cleaned_data["receiver"])

    try:
        outcome = do_send_friend_request(user, receiver, form.cleaned_data["note"])
    except SocialError as error:
        messages.error(request, str(error))
    else:
        if outcome.became_friends:
            messages.success(request, f"You and {receiver.username} are now friends.")
        else:
            messages.success(request, f"Friend request sent to {receiver.username}.")

    if request.htmx:
        [result] = queries.with_relations(user, [receiver])
        return TemplateResponse(
            request, "social/friends.html#search_result", {"result": result}
        )
    return redirect(_friends_url(request))


@require_POST
@login_required
def accept_request(request: AuthedRequest, sender_id: int) -> HttpResponse:
    user = request.user
    sender = access_active_user(sender_id)

    try:
        do_accept_friend_request(user, sender)
    except SocialError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You and {sender.username} are now friends.")

    if request.htmx:
        # The form swaps its request row away; the live event adds the
        # friend and the chat in every tab, this one included.
        return HttpResponse()
    return redirect(_friends_url(request))


@require_POST
@login_required
def decline_request(request: AuthedRequest, sender_id: int) -> HttpResponse:
    user = request.user
    sender = access_active_user(sender_id)

    do_decline_friend_request(user, sender)

    if request.htmx:
        return HttpResponse()
    return redirect(_friends_url(request))


@require_POST
@login_required
def cancel_request(request: AuthedRequest, request_id: int) -> HttpResponse:
    user = request.user
    friend_request = access_outgoing_request(user, request_id)

    do_cancel_friend_request(friend_request)
    messages.info(request, "Friend request withdrawn.")

    if request.htmx:
        return HttpResponse()
    return redirect(_friends_url(request))


def _form_errors(request: AuthedRequest, form: forms.Form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def _friend_list_answer(request: AuthedRequest) -> HttpResponse:
    """After a change to the friend list: htmx gets the list as it now is
    (the same partial every other tab is pushed); a plain post goes back
    to the friends page."""
    if request.htmx:
        context = queries.friend_list_context(request.user)
        return TemplateResponse(request, "social/friends.html#friend_list", context)
    return redirect(_friends_url(request))


@require_POST
@login_required
def create_group(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = FriendGroupForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _friend_list_answer(request)

    try:
        group = do_create_friend_group(user, form.cleaned_data["name"])
    except SocialError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Group “{group.name}” created.")

    return _friend_list_answer(request)


@require_POST
@login_required
def rename_group(request: AuthedRequest, group_id: int) -> HttpResponse:
    user = request.user
    group = access_friend_group(user, group_id)
    form = FriendGroupForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _friend_list_answer(request)

    try:
        do_rename_friend_group(group, form.cleaned_data["name"])
    except SocialError as error:
        messages.error(request, str(error))

    return _friend_list_answer(request)


@require_POST
@login_required
def delete_group(request: AuthedRequest, group_id: int) -> HttpResponse:
    user = request.user
    group = access_friend_group(user, group_id)

    try:
        do_delete_friend_group(group)
    except SocialError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"Group “{group.name}” deleted; its friends moved.")

    return _friend_list_answer(request)


@require_POST
@login_required
def move_friend(request: AuthedRequest, friend_id: int) -> HttpResponse:
    user = request.user
    friendship = access_friendship(user, friend_id)
    form = MoveFriendForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _friend_list_answer(request)
    group_id = form.cleaned_data["group"]
    group = access_friend_group(user, group_id) if group_id else None

    do_move_friend(friendship, group)

    return _friend_list_answer(request)


@require_POST
@login_required
def set_remark(request: AuthedRequest, friend_id: int) -> HttpResponse:
    user = request.user
    friendship = access_friendship(user, friend_id)
    form = RemarkForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _friend_list_answer(request)

    do_set_remark(friendship, form.cleaned_data["remark"])

    return _friend_list_answer(request)


@require_POST
@login_required
def delete_friend(request: AuthedRequest, friend_id: int) -> HttpResponse:
    user = request.user
    friendship = access_friendship(user, friend_id)

    do_delete_friend(user, friendship.friend)
    messages.info(request, f"{friendship.friend.username} is no longer your friend.")

    return _friend_list_answer(request)


@require_POST
@login_required
def block_user(request: AuthedRequest, user_id: int) -> HttpResponse:
    user = request.user
    other = access_active_user(user_id)

    try:
        do_block_user(user, other)
    except SocialError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"You blocked {other.username}.")

    if request.htmx:
        # The live event redraws every place that changed, this tab's too.
        return HttpResponse()
    return redirect(_friends_url(request))


@require_POST
@login_required
def unblock_user(request: AuthedRequest, user_id: int) -> HttpResponse:
    user = request.user
    other = access_active_user(user_id)

    do_unblock_user(user, other)
    messages.info(request, f"You unblocked {other.username}.")

    if request.htmx:
        return HttpResponse()
    return redirect(_friends_url(request))


@require_GET
@login_required
def user_card(request: AuthedRequest, user_id: int) -> TemplateResponse:
    """Someone's card (A5): avatar, name, how they stand to you and the next
    step. Email and phone only on your own."""
    viewer = request.user
    person = access_active_user(user_id)
    [result] = queries.with_relations(viewer, [person])
    context = {"result": result, "is_self": person.pk == viewer.pk}
    return TemplateResponse(request, "social/card.html", context)
