"""The chat page: chat list, open chat, send form."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from chat import queries
from chat.access import access_membership, access_message
from chat.actions import do_mark_read, do_send_message
from chat.forms import HistoryForm, MessageForm, SearchForm
from chat.models import Membership
from nova_site.http import AuthedRequest, visited_directly


def _page(
    request: AuthedRequest,
    user: User,
    membership: Membership | None = None,
    *,
    page: queries.HistoryPage | None = None,
    form: MessageForm | None = None,
    first_unread_id: int | None = None,
    history_errors: list[str] | None = None,
    status: int = 200,
) -> TemplateResponse:
    chat_rows = queries.chat_list(user)
    context: dict[str, object] = {"chat_rows": chat_rows}
    if membership is not None:
        if page is None:
            page = queries.history_page(user, membership)
        context |= {
            "membership": membership,
            # The open chat is in the list; its row names it in the header.
            "open_chat_row": next(
                row for row in chat_rows if row.chat_id == membership.chat_id
            ),
            "page": page,
            "cursor": page.last_id,
            "first_unread_id": first_unread_id,
            "first_unread_shown": any(
                item.message.pk == first_unread_id for item in page.items
            ),
            "history_errors": history_errors or [],
            "form": form or MessageForm(),
        }
    response = TemplateResponse(request, "chat/chat.html", context, status=status)
    # The same address answers htmx with a part of the page.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _open(
    request: AuthedRequest, membership: Membership, page: queries.HistoryPage
) -> None:
    """Read what opening the chat shows (M7): all of it at the newest
    page; up to the last shown message when opened further back, so newer
    unread messages stay unread (M9). Another site making the browser fetch
    the page reads nothing."""
    if visited_directly(request):
        do_mark_read(membership, None if page.at_newest else page.last_id)


@require_GET
@login_required
def index(request: AuthedRequest) -> TemplateResponse:
    user = request.user
    return _page(request, user)


@require_GET
@login_required
def chat_detail(request: AuthedRequest, chat_id: int) -> TemplateResponse:
    """The chat at its newest page, before or after a message, or at the
    first message of a day; htmx asking for older or newer history gets
    just those messages."""
    user = request.user
    membership = access_membership(user, chat_id)
    where = HistoryForm(request.GET)
    if not where.is_valid():
        refused = [str(e) for errors in where.errors.values() for e in errors]
        return _page(request, user, membership, history_errors=refused, status=400)
    before, after = where.cleaned_data["before"], where.cleaned_data["after"]

    around = None
    notes = []
    day_start = where.day_start()
    if day_start is not None:
        around = queries.first_message_on_or_after(membership, day_start)
        if around is None:
            notes = ["No messages on or after that date; here are the newest."]
    page = queries.history_page(
        user, membership, before=before, after=after, around=around
    )
    if request.htmx and (before or after):
        return _history_part(request, membership, page, older=before is not None)

    first_unread = queries.first_unread_id(membership) if page.at_newest else None
    _open(request, membership, page)
    return _page(
        request,
        user,
        membership,
        page=page,
        first_unread_id=first_unread,
        history_errors=notes,
    )


def _history_part(
    request: AuthedRequest,
    membership: Membership,
    page: queries.HistoryPage,
    *,
    older: bool,
) -> TemplateResponse:
    context = {"chat_id": membership.chat_id, "page": page}
    partial = "history_older" if older else "history_newer"
    response = TemplateResponse(request, f"chat/chat.html#{partial}", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
def message_detail(
    request: AuthedRequest, chat_id: int, message_id: int
) -> TemplateResponse:
    """A message's permalink: the chat opened at that message (M5, M8)."""
    user = request.user
    membership = access_membership(user, chat_id)
    message = access_message(membership, message_id)

    page = queries.history_page(user, membership, around=message.pk)
    _open(request, membership, page)

    return _page(request, user, membership, page=page)


@require_GET
@login_required
def search(request: AuthedRequest, chat_id: int) -> TemplateResponse:
    """Filter the chat's history by words, senders and days (M8)."""
    user = request.user
    membership = access_membership(user, chat_id)
    form = SearchForm(request.GET or None, senders=queries.sender_choices(membership))

    results = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound and form.has_filter():
        since, until = form.time_range()
        results = queries.search_history(
            user,
            membership,
            words=form.words,
            sender_ids=form.cleaned_data["sender"],
            since=since,
            until=until,
            before=form.cleaned_data["before"],
        )

    context = {
        "membership": membership,
        "chat_title": queries.chat_title(membership),
        "form": form,
        "results": results,
    }
    template = "chat/search.html#results" if request.htmx else "chat/search.html"
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@login_required
def send_message(request: AuthedRequest, chat_id: int) -> HttpResponse:
    user = request.user
    membership = access_membership(user, chat_id)
    if request.method == "GET":
        # A form shown with errors after a plain post has this address;
        # reloading or sharing it leads back to the chat.
        return redirect("chat:detail", chat_id=chat_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        # The text comes back in the form, so nothing typed is lost.
        if request.htmx:
            # 422: htmx swaps the form in (see nova.js) and the tab knows
            # the message was refused.
            context = {"form": form, "membership": membership}
            return TemplateResponse(
                request, "chat/chat.html#send_form", context, status=422
            )
        return _page(request, user, membership, form=form, status=400)

    message, _ = do_send_message(
        membership, form.cleaned_data["body"], form.cleaned_data["client_token"]
    )

    if request.htmx:
        prev_id = queries.previous_message_id(chat_id, message.pk)
        [item] = queries.message_items(user, [message], prev_id)
        context = {"form": MessageForm(), "membership": membership, "item": item}
        return TemplateResponse(request, "chat/chat.html#message_sent", context)
    return redirect(reverse("chat:detail", args=[chat_id]) + f"#message-{message.pk}")
