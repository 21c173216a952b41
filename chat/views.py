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
)
from chat.actions import (
    do_answer_invitation,
    do_cancel_invitation,
    do_change_member,
    do_clear_history,
    do_create_group,
    do_decide_invitation,
    do_disband_group,
    do_invite,
    do_leave_group,
    do_mark_read,
    do_post_announcement,
    do_rename_group,
    do_send_message,
    do_update_member_settings,
)
from chat.forms import (
    AnnouncementForm,
    GroupForm,
    InviteForm,
    LeaveForm,
    MemberSettingsForm,
    MessageForm,
    RenameForm,
)
from chat.models import Chat, ChatInvitation, Membership
from nova_site.http import AuthedRequest, visited_directly

View = Callable[..., HttpResponse]


def _page(
    request: AuthedRequest,
    user: User,
    membership: Membership | None = None,
    form: MessageForm | None = None,
    status: int = 200,
) -> TemplateResponse:
    chat_rows = queries.chat_list(user)
    context: dict[str, object] = {
        "chat_rows": chat_rows,
        "invitation_box": queries.invitation_boxes([user.pk])[user.pk],
    }
    if membership is not None:
        history, prev_id = queries.latest_messages(
            membership.chat_id, membership.cleared_before_id
        )
        items = queries.message_items(user, history, prev_id)
        context |= {
            "membership": membership,
            # The open chat is in the list; its row names it in the header.
            "open_chat_row": next(
                row for row in chat_rows if row.chat_id == membership.chat_id
            ),
            "items": items,
            # An emptied history still knows where it stands (C8).
            "cursor": queries.cursor(items) or membership.cleared_before_id,
            "form": form or MessageForm(),
        }
        if membership.chat.kind == Chat.Kind.GROUP:
            panels = queries.group_panels(membership.chat_id, [user.pk])
            context["panel"] = panels[user.pk]
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
