"""The friends page: search, friend requests, the friend list."""

from urllib.parse import urlencode

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
from social.access import access_outgoing_request
from social.actions import (
    SocialError,
    do_accept_friend_request,
    do_cancel_friend_request,
    do_decline_friend_request,
    do_send_friend_request,
)
from social.forms import FriendRequestForm

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
        "friendships": queries.friendships(user),
        "request_form": FriendRequestForm(),
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
