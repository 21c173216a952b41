"""The chat page: chat list, open chat, send form, and group management."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)
from django_htmx.http import HttpResponseClientRedirect, reswap

from accounts.access import access_active_user
from accounts.models import User
from chat import fragments, queries
from chat.access import (
    GroupAction,
    Refused,
    access_group_action,
    access_group_target,
    access_invitation,
    access_membership,
    access_message,
    access_private_chat_with,
    allowed_message_actions,
    can_see_readers,
)
from chat.actions import (
    MessageError,
    do_answer_invitation,
    do_cancel_invitation,
    do_change_member,
    do_clear_history,
    do_create_group,
    do_decide_invitation,
    do_disband_group,
    do_hide_message,
    do_invite,
    do_leave_group,
    do_mark_read,
    do_post_announcement,
    do_recall_message,
    do_remove_message,
    do_rename_group,
    do_send_message,
    do_update_member_settings,
)
from chat.forms import (
    AnnouncementForm,
    GroupForm,
    HistoryForm,
    InviteForm,
    LeaveForm,
    MemberSettingsForm,
    MessageForm,
    RenameForm,
    SearchForm,
)
from chat.models import Chat, ChatInvitation, Membership, Message
from nova_site.http import AuthedRequest, visited_directly
from social.actions import SocialError, do_send_friend_request

View = Callable[..., HttpResponse]


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
    context: dict[str, object] = {
        "chat_rows": chat_rows,
        "invitation_box": queries.invitation_boxes([user.pk])[user.pk],
    }
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
            # An emptied history still knows where it stands (C8).
            "cursor": page.last_id or membership.cleared_before_id,
            "first_unread_id": first_unread_id,
            "first_unread_shown": any(
                item.message.pk == first_unread_id for item in page.items
            ),
            "history_errors": history_errors or [],
            "form": form or MessageForm(),
            "reply_quote": reply_quote,
        }
        if membership.chat.kind == Chat.Kind.GROUP:
            panels = queries.group_panels(membership.chat_id, [user.pk])
            context["panel"] = panels[user.pk]
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


# Groups (C3-C8). Each view parses, asks chat.access, calls one action and
# answers: htmx gets the same fragments the live push brings (so the tab
# is right even with its socket down), a plain post a redirect (P1). A
# refusal is shown as a message, wherever it was raised.


def refusals_as_messages(view: View) -> View:
    """Show a ``Refused`` raised by ``view`` as an error message and answer
    as the view would after doing nothing."""

    @wraps(view)
    def wrapped(request: AuthedRequest, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, **kwargs)
        except Refused as refusal:
            messages.error(request, str(refusal))
            return _after_group_change(request, kwargs.get("chat_id"))

    return wrapped


def _after_group_change(request: AuthedRequest, chat_id: int | None) -> HttpResponse:
    """Answer a group form: the user's panel of the group (and invitation
    box) for htmx, a redirect to the group or, if they are out, the list."""
    user = request.user
    is_member = (
        chat_id is not None
        and Membership.objects.filter(chat_id=chat_id, user=user).exists()
    )
    if not request.htmx:
        if is_member:
            return redirect("chat:detail", chat_id=chat_id)
        return redirect("chat:index")
    if chat_id is not None and not is_member:
        return HttpResponseClientRedirect(reverse("chat:index"))
    return _box_and_panel(user, chat_id)


def _box_and_panel(user: User, chat_id: int | None) -> HttpResponse:
    """The user's invitation box and, if they are in the group, its panel:
    the fragments the live push brings, all out of band, so the posted
    form itself stays as it is."""
    html = fragments.invitation_box(queries.invitation_boxes([user.pk])[user.pk])
    if chat_id is not None:
        panel = queries.group_panels(chat_id, [user.pk]).get(user.pk)
        if panel is not None:
            html += fragments.group_panel(panel)
    return reswap(HttpResponse(html), "none")


def _form_errors(request: AuthedRequest, form: forms.Form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


@require_http_methods(["GET", "POST"])
@login_required
def new_group(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = GroupForm(user, request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        status = 400 if form.is_bound else 200
        return TemplateResponse(
            request, "chat/new_group.html", {"form": form}, status=status
        )

    try:
        chat = do_create_group(
            user, form.cleaned_data["name"], list(form.cleaned_data["friends"])
        )
    except Refused as refusal:
        form.add_error(None, str(refusal))
        return TemplateResponse(
            request, "chat/new_group.html", {"form": form}, status=400
        )

    return redirect("chat:detail", chat_id=chat.pk)


@require_POST
@login_required
@refusals_as_messages
def rename_group(request: AuthedRequest, chat_id: int) -> HttpResponse:
    membership = access_group_action(request.user, chat_id, GroupAction.RENAME)
    form = RenameForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _after_group_change(request, chat_id)

    do_rename_group(membership, form.cleaned_data["name"])

    return _after_group_change(request, chat_id)


@require_POST
@login_required
@refusals_as_messages
def post_announcement(request: AuthedRequest, chat_id: int) -> HttpResponse:
    membership = access_group_action(request.user, chat_id, GroupAction.ANNOUNCE)
    form = AnnouncementForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _after_group_change(request, chat_id)

    do_post_announcement(membership, form.cleaned_data["body"])

    return _after_group_change(request, chat_id)


# The member actions of the roles table, by the word in their URL.
_MEMBER_ACTIONS = {
    "appoint": GroupAction.APPOINT_ADMIN,
    "dismiss": GroupAction.DISMISS_ADMIN,
    "transfer": GroupAction.TRANSFER,
    "remove": GroupAction.REMOVE,
}


@require_POST
@login_required
@refusals_as_messages
def change_member(
    request: AuthedRequest, chat_id: int, user_id: int, change: str
) -> HttpResponse:
    action = _MEMBER_ACTIONS.get(change)
    if action is None:
        raise Http404("No such change.")
    actor, target = access_group_target(request.user, chat_id, action, user_id)

    do_change_member(actor, action, target.user_id)

    return _after_group_change(request, chat_id)


@require_POST
@login_required
@refusals_as_messages
def leave_group(request: AuthedRequest, chat_id: int) -> HttpResponse:
    membership = access_group_action(request.user, chat_id, GroupAction.LEAVE)
    form = LeaveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _after_group_change(request, chat_id)

    do_leave_group(membership, form.cleaned_data["successor"])
    messages.info(request, f"You left {membership.chat.name}.")

    return _after_group_change(request, chat_id)


@require_POST
@login_required
@refusals_as_messages
def disband_group(request: AuthedRequest, chat_id: int) -> HttpResponse:
    membership = access_group_action(request.user, chat_id, GroupAction.DISBAND)

    do_disband_group(membership)
    messages.info(request, f"You disbanded {membership.chat.name}.")

    return _after_group_change(request, chat_id)


@require_POST
@login_required
@refusals_as_messages
def invite(request: AuthedRequest, chat_id: int) -> HttpResponse:
    membership = access_group_action(request.user, chat_id, GroupAction.INVITE)
    form = InviteForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _after_group_change(request, chat_id)
    invitee = access_active_user(form.cleaned_data["invitee"])

    do_invite(membership, invitee)
    messages.success(request, f"You invited {invitee.username}.")

    return _after_group_change(request, chat_id)


# What each invitation button does, by the word in its URL.
_INVITATION_STEPS = {"accept", "decline", "approve", "refuse", "cancel"}


@require_POST
@login_required
def invitation_step(
    request: AuthedRequest, invitation_id: int, step: str
) -> HttpResponse:
    user = request.user
    if step not in _INVITATION_STEPS:
        raise Http404("No such step.")
    invitation = access_invitation(user, invitation_id)
    chat_id = invitation.chat_id

    try:
        if step in ("accept", "decline"):
            invitation = do_answer_invitation(
                user, invitation_id, accept=step == "accept"
            )
        elif step in ("approve", "refuse"):
            invitation = do_decide_invitation(
                user, invitation_id, approve=step == "approve"
            )
        else:
            do_cancel_invitation(user, invitation_id)
            invitation.state = ChatInvitation.State.CANCELLED
    except Refused as refusal:
        messages.error(request, str(refusal))
    else:
        state = ChatInvitation.State(invitation.state)
        messages.success(request, f"Invitation: {state.label.lower()}.")

    # A plain post goes to the group if the user is in it (an invitee who
    # just joined included), else to the chat list and its invitation box.
    is_member = (
        chat_id is not None
        and Membership.objects.filter(chat_id=chat_id, user=user).exists()
    )
    if not request.htmx:
        if is_member:
            return redirect("chat:detail", chat_id=chat_id)
        return redirect("chat:index")
    return _box_and_panel(user, chat_id if is_member else None)


@require_POST
@login_required
def member_settings(request: AuthedRequest, chat_id: int) -> HttpResponse:
    user = request.user
    membership = access_membership(user, chat_id)
    form = MemberSettingsForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        do_update_member_settings(membership, **form.cleaned_data)
        messages.success(request, "Settings saved.")

    if not request.htmx:
        return redirect("chat:detail", chat_id=chat_id)
    return reswap(HttpResponse(_settings_html(request, chat_id)), "none")


@require_POST
@login_required
def clear_history(request: AuthedRequest, chat_id: int) -> HttpResponse:
    user = request.user
    membership = access_membership(user, chat_id)

    do_clear_history(membership)
    messages.info(request, "History cleared for you.")

    if not request.htmx:
        return redirect("chat:detail", chat_id=chat_id)
    membership.refresh_from_db()
    html = fragments.empty_history(chat_id, membership.cleared_before_id)
    return reswap(HttpResponse(html + _settings_html(request, chat_id)), "none")


def _settings_html(request: AuthedRequest, chat_id: int) -> str:
    """The member's row, settings form and panel, as the live push has them."""
    user = request.user
    membership = access_membership(user, chat_id)
    [row] = queries.membership_rows(
        [queries.memberships_for_rows().get(pk=membership.pk)]
    )
    html = fragments.chat_row(row) + render_to_string(
        "chat/chat.html#member_settings",
        {"membership": membership, "oob": True},
        request=request,
    )
    panel = queries.group_panels(chat_id, [user.pk]).get(user.pk)
    if panel is not None:
        html += fragments.group_panel(panel)
    return html


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
