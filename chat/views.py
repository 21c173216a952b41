"""The chat page: chat list, open chat, send form."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from chat import queries
from chat.access import access_membership, access_private_chat_with
from chat.actions import do_mark_read, do_send_message
from chat.forms import MessageForm
from chat.models import Membership
from nova_site.http import AuthedRequest, visited_directly


def _page(
    request: AuthedRequest,
    user: User,
    membership: Membership | None = None,
    form: MessageForm | None = None,
    status: int = 200,
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

    return _page(request, user, membership)


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


@require_GET
@login_required
def chat_with_user(request: AuthedRequest, user_id: int) -> HttpResponse:
    """The private chat with a friend, from their card or a search result."""
    user = request.user
    membership = access_private_chat_with(user, user_id)
    return redirect("chat:detail", chat_id=membership.chat_id)
