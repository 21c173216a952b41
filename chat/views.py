"""The chat page: chat list, open chat, send form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from accounts.models import User
from chat import queries
from chat.access import access_membership, access_message, can_see_readers
from chat.actions import (
    MessageError,
    do_hide_message,
    do_mark_read,
    do_recall_message,
    do_remove_message,
    do_send_message,
)
from chat.forms import MessageForm
from chat.models import Membership, Message
from nova_site.http import AuthedRequest, visited_directly
from social.actions import SocialError, do_send_friend_request


def _page(
    request: AuthedRequest,
    user: User,
    membership: Membership | None = None,
    form: MessageForm | None = None,
    status: int = 200,
    reply_quote: queries.Quote | None = None,
) -> TemplateResponse:
    chat_rows = queries.chat_list(user)
    context: dict[str, object] = {"chat_rows": chat_rows}
    if membership is not None:
        messages, prev_id = queries.latest_messages(membership.chat_id)
        items = queries.message_items(user, messages, prev_id)
        context |= {
            "membership": membership,
            # The open chat is in the list; its row names it in the header.
            "open_chat_row": next(
                row for row in chat_rows if row.chat_id == membership.chat_id
            ),
            "items": items,
            "cursor": queries.cursor(items),
            "form": form or MessageForm(),
            "reply_quote": reply_quote,
        }
    return TemplateResponse(request, "chat/chat.html", context, status=status)


@require_GET
@login_required
def index(request: AuthedRequest) -> TemplateResponse:
    user = request.user
    return _page(request, user)


@require_GET
@login_required
def chat_detail(request: AuthedRequest, chat_id: int) -> TemplateResponse:
    user = request.user
    membership = access_membership(user, chat_id)

    # Opening a chat reads it (M7), with or without JavaScript; another
    # site making the browser fetch this page reads nothing.
    if visited_directly(request):
        do_mark_read(membership)

    reply_quote = queries.reply_quote(user, chat_id, _reply_to(request))
    return _page(request, user, membership, reply_quote=reply_quote)


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
def message_actions(
    request: AuthedRequest, chat_id: int, message_id: int
) -> TemplateResponse:
    """What the member may do with a message (M4): a page of links and
    forms without scripts, the message menu's items with htmx."""
    membership, message = access_message(request.user, chat_id, message_id)

    context = _message_context(membership, message)
    context["actions"] = queries.message_actions(membership, message)
    if request.htmx:
        return TemplateResponse(request, "chat/message.html#message_menu", context)
    return TemplateResponse(request, "chat/message.html", context)


@require_GET
@login_required
def message_readers(
    request: AuthedRequest, chat_id: int, message_id: int
) -> TemplateResponse:
    """Who has read one of the member's own messages in a group (M3)."""
    membership, message = access_message(request.user, chat_id, message_id)
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
    membership, message = access_message(request.user, chat_id, message_id)

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
    membership, message = access_message(request.user, chat_id, message_id)

    try:
        do_remove_message(membership, message)
    except MessageError as error:
        messages.error(request, str(error))

    return _message_changed(request, membership, message_id)


@require_POST
@login_required
def hide_message(request: AuthedRequest, chat_id: int, message_id: int) -> HttpResponse:
    membership, message = access_message(request.user, chat_id, message_id)

    do_hide_message(membership, message)

    return _message_changed(request, membership, message_id)


@require_POST
@login_required
def add_sender_as_friend(
    request: AuthedRequest, chat_id: int, message_id: int
) -> HttpResponse:
    """Ask a group member met in a chat to be friends (M4, S2)."""
    user = request.user
    membership, message = access_message(user, chat_id, message_id)
    sender = message.sender

    if sender is None or not queries.message_actions(membership, message).add_friend:
        messages.error(request, "You cannot send a friend request from this message.")
    else:
        try:
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
