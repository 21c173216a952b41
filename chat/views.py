"""The chat page: chat list, open chat, send form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts.models import User
from chat import queries
from chat.access import (
    access_membership,
    access_message,
    access_private_chat_with,
    allowed_message_actions,
    can_see_readers,
)
from chat.actions import (
    MessageError,
    do_hide_message,
    do_mark_read,
    do_recall_message,
    do_remove_message,
    do_send_message,
)
from chat.forms import HistoryForm, MessageForm, SearchForm
from chat.models import Membership, Message
from nova_site.http import AuthedRequest, visited_directly
from social.actions import SocialError, do_send_friend_request


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
    reply_quote: queries.Quote | None = None,
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
            "reply_quote": reply_quote,
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
    if request.htmx and (before is not None or after is not None):
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
        reply_quote=queries.reply_quote(user, chat_id, _reply_to(request)),
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


def _reply_to(request: AuthedRequest) -> int | None:
    """The message a reply answers, from ``?reply_to=`` (M5); anything
    that is not an id is no reply."""
    form = MessageForm({"reply_to": request.GET.get("reply_to", "")})
    form.is_valid()
    return (
        form.cleaned_data.get("reply_to") if "reply_to" in form.cleaned_data else None
    )


@require_http_methods(["GET", "POST"])
@login_required
def send_message(request: AuthedRequest, chat_id: int) -> HttpResponse:
    user = request.user
    membership = access_membership(user, chat_id)
    if request.method == "GET":
        reply_quote = queries.reply_quote(user, chat_id, _reply_to(request))
        if request.htmx:
            # The menu's "Reply" and the form's "Cancel reply": a fresh
            # form, quoting the message answered or not (M5).
            context = {
                "form": MessageForm(),
                "membership": membership,
                "reply_quote": reply_quote,
            }
            return TemplateResponse(request, "chat/chat.html#send_form", context)
        # A form shown with errors after a plain post has this address;
        # reloading or sharing it leads back to the chat.
        url = reverse("chat:detail", args=[chat_id])
        if reply_quote is not None:
            url += f"?reply_to={reply_quote.message_id}"
        return redirect(url)
    form = MessageForm(request.POST)
    message = None
    if form.is_valid():
        try:
            message, _ = do_send_message(
                membership,
                form.cleaned_data["body"],
                form.cleaned_data["client_token"],
                reply_to_id=form.cleaned_data["reply_to"],
            )
        except MessageError as error:
            form.add_error(None, str(error))
    if message is None:
        # The text comes back in the form, so nothing typed is lost.
        reply_quote = queries.reply_quote(
            user, chat_id, form.cleaned_data.get("reply_to")
        )
        if request.htmx:
            # 422: htmx swaps the form in (see nova.js) and the tab knows
            # the message was refused.
            context = {
                "form": form,
                "membership": membership,
                "reply_quote": reply_quote,
            }
            return TemplateResponse(
                request, "chat/chat.html#send_form", context, status=422
            )
        return _page(
            request, user, membership, form=form, status=400, reply_quote=reply_quote
        )

    if request.htmx:
        prev_id = queries.previous_message_id(chat_id, message.pk)
        [item] = queries.message_items(user, [message], prev_id)
        context = {"form": MessageForm(), "membership": membership, "item": item}
        return TemplateResponse(request, "chat/chat.html#message_sent", context)
    return redirect(reverse("chat:detail", args=[chat_id]) + f"#message-{message.pk}")


@require_GET
@login_required
def chat_with_user(request: AuthedRequest, user_id: int) -> HttpResponse:
    """The private chat with a friend, from their card or a search result."""
    user = request.user
    membership = access_private_chat_with(user, user_id)
    return redirect("chat:detail", chat_id=membership.chat_id)


def message_actions(
    request: AuthedRequest, chat_id: int, message_id: int
) -> TemplateResponse:
    """What the member may do with a message (M4): a page of links and
    forms without scripts, the message menu's items with htmx."""
    membership = access_membership(request.user, chat_id)
    message = access_message(membership, message_id)

    context = _message_context(membership, message)
    context["actions"] = allowed_message_actions(membership, message)
    if request.htmx:
        return TemplateResponse(request, "chat/message.html#message_menu", context)
    return TemplateResponse(request, "chat/message.html", context)


@require_GET
@login_required
def message_readers(
    request: AuthedRequest, chat_id: int, message_id: int
) -> TemplateResponse:
    """Who has read one of the member's own messages in a group (M3)."""
    membership = access_membership(request.user, chat_id)
    message = access_message(membership, message_id)
    if not can_see_readers(membership, message):
        raise Http404("No such message.")

    context = _message_context(membership, message)
    context["readers"] = queries.readers(request.user, message)
    if request.htmx:
        return TemplateResponse(request, "chat/message.html#readers", context)
    return TemplateResponse(request, "chat/message.html", context)


@require_POST
@login_required
def recall_message(
    request: AuthedRequest, chat_id: int, message_id: int
) -> HttpResponse:
    membership = access_membership(request.user, chat_id)
    message = access_message(membership, message_id)

    try:
        do_recall_message(membership, message)
    except MessageError as error:
        messages.error(request, str(error))

    return _message_changed(request, membership, message_id)


@require_POST
@login_required
def remove_message(
    request: AuthedRequest, chat_id: int, message_id: int
) -> HttpResponse:
    membership = access_membership(request.user, chat_id)
    message = access_message(membership, message_id)

    try:
        do_remove_message(membership, message)
    except MessageError as error:
        messages.error(request, str(error))

    return _message_changed(request, membership, message_id)


@require_POST
@login_required
def hide_message(request: AuthedRequest, chat_id: int, message_id: int) -> HttpResponse:
    membership = access_membership(request.user, chat_id)
    message = access_message(membership, message_id)

    do_hide_message(membership, message)

    return _message_changed(request, membership, message_id)


@require_POST
@login_required
def add_sender_as_friend(
    request: AuthedRequest, chat_id: int, message_id: int
) -> HttpResponse:
    """Ask a group member met in a chat to be friends (M4, S2)."""
    user = request.user
    membership = access_membership(user, chat_id)
    message = access_message(membership, message_id)
    sender = message.sender

    if sender is None or not allowed_message_actions(membership, message).add_friend:
        messages.error(request, "You cannot send a friend request from this message.")
    else:
        try:
            # TODO(#4): record the group (FriendRequest.via_chat_id) once
            # social's request has that field.
            outcome = do_send_friend_request(user, sender, "")
        except SocialError as error:
            messages.error(request, str(error))
        else:
            if outcome.became_friends:
                messages.success(request, f"You and {sender.username} are now friends.")
            else:
                messages.success(request, f"Friend request sent to {sender.username}.")

    if request.htmx:
        # The menu asked with hx-swap="none"; the flash tells the outcome.
        return HttpResponse()
    return redirect(_message_url(chat_id, message_id))


def _message_context(membership: Membership, message: Message) -> dict[str, object]:
    prev_id = queries.previous_message_id(message.chat_id, message.pk)
    [item] = queries.message_items(membership.user, [message], prev_id)
    return {"membership": membership, "message": message, "item": item}


def _message_changed(
    request: AuthedRequest, membership: Membership, message_id: int
) -> HttpResponse:
    """Answer an action on a message: htmx gets the message as the member
    now sees it, the same partial every tab is pushed; a plain post goes
    back to the chat, at the message."""
    if request.htmx:
        message = Message.objects.select_related("sender").get(pk=message_id)
        context = _message_context(membership, message)
        return TemplateResponse(request, "chat/chat.html#message", context)
    return redirect(_message_url(membership.chat_id, message_id))


def _message_url(chat_id: int, message_id: int) -> str:
    return reverse("chat:detail", args=[chat_id]) + f"#message-{message_id}"
