"""Fetch-or-refuse helpers for chats, shared by views and the consumer.

A chat the user is not in is reported as missing, never as forbidden, so
a stranger cannot learn which chat ids exist. A member who may not do a
thing in their group is refused with ``Refused``, whose message says why
and is shown as is.

The roles table of PRODUCT.md C5 lives here and nowhere else: views ask
``access_group_action`` (and ``check_target`` for an action on another
member) before acting, and the actions ask the same functions again on
the rows they have locked, so a role that changed in between is seen.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from chat import queries
from chat.models import Chat, ChatInvitation, Membership, Message
from social.actions import are_friends
from social.queries import Relation, with_relations


class Refused(Exception):
    """A member may not do this. The message is shown to the user as is."""


class GroupAction(enum.StrEnum):
    """Everything a member can do to a group (C5, C6, C7), and the
    removal of another member's message (M6)."""

    RENAME = "rename"
    ANNOUNCE = "announce"
    APPOINT_ADMIN = "appoint_admin"
    DISMISS_ADMIN = "dismiss_admin"
    TRANSFER = "transfer"
    REMOVE = "remove"
    REMOVE_MESSAGE = "remove_message"
    DISBAND = "disband"
    DECIDE_INVITATION = "decide_invitation"
    INVITE = "invite"
    LEAVE = "leave"


_OWNER = Membership.Role.OWNER
_ADMIN = Membership.Role.ADMIN
_MEMBER = Membership.Role.MEMBER

# Who may do what: the roles table of PRODUCT.md C5.
ALLOWED_ROLES: dict[GroupAction, frozenset[str]] = {
    GroupAction.RENAME: frozenset({_OWNER}),
    GroupAction.ANNOUNCE: frozenset({_OWNER, _ADMIN}),
    GroupAction.APPOINT_ADMIN: frozenset({_OWNER}),
    GroupAction.DISMISS_ADMIN: frozenset({_OWNER}),
    GroupAction.TRANSFER: frozenset({_OWNER}),
    GroupAction.REMOVE: frozenset({_OWNER, _ADMIN}),
    GroupAction.REMOVE_MESSAGE: frozenset({_OWNER, _ADMIN}),
    GroupAction.DISBAND: frozenset({_OWNER}),
    GroupAction.DECIDE_INVITATION: frozenset({_OWNER, _ADMIN}),
    GroupAction.INVITE: frozenset({_OWNER, _ADMIN, _MEMBER}),
    GroupAction.LEAVE: frozenset({_OWNER, _ADMIN, _MEMBER}),
}

_REFUSALS: dict[GroupAction, str] = {
    GroupAction.RENAME: "Only the group's owner can rename it.",
    GroupAction.ANNOUNCE: "Only the owner and admins can post announcements.",
    GroupAction.APPOINT_ADMIN: "Only the group's owner can appoint admins.",
    GroupAction.DISMISS_ADMIN: "Only the group's owner can dismiss admins.",
    GroupAction.TRANSFER: "Only the group's owner can hand the group over.",
    GroupAction.REMOVE: "Only the owner and admins can remove members.",
    GroupAction.REMOVE_MESSAGE: (
        "Only the group's owner and admins can remove messages."
    ),
    GroupAction.DISBAND: "Only the group's owner can disband it.",
    GroupAction.DECIDE_INVITATION: (
        "Only the owner and admins can approve or refuse invitations."
    ),
    GroupAction.INVITE: "Only members can invite people.",
    GroupAction.LEAVE: "Only members can leave a group.",
}


def access_membership(user: User, chat_id: int) -> Membership:
    """Return the user's membership of the chat, or raise Http404."""
    try:
        return Membership.objects.select_related("chat", "user").get(
            chat_id=chat_id, user=user
        )
    except Membership.DoesNotExist:
        raise Http404("No such chat.") from None


def check_group_action(membership: Membership, action: GroupAction) -> None:
    """Raise ``Refused`` unless this member's role allows ``action`` (C5).

    A private chat allows none of them (C2): it has no roles, takes no
    invitations and cannot be left, only ended by deleting the friend.
    """
    if membership.chat.kind != Chat.Kind.GROUP:
        raise Refused(
            "A private chat has no roles or invitations and cannot be left; "
            "removing the friend ends it."
        )
    if membership.role not in ALLOWED_ROLES[action]:
        raise Refused(_REFUSALS[action])


def access_group_action(user: User, chat_id: int, action: GroupAction) -> Membership:
    """Return the user's membership of a group they may do ``action`` in.

    Raises Http404 for a chat they are not in and ``Refused`` when their
    role does not allow it.
    """
    membership = access_membership(user, chat_id)
    check_group_action(membership, action)
    return membership


def check_target(actor: Membership, action: GroupAction, target: Membership) -> None:
    """Raise ``Refused`` unless ``actor`` may do ``action`` to ``target``,
    another member of the same group (C5).

    The owner removes anyone but themself, admins remove plain members
    only; admins are appointed from plain members and dismissed back;
    ownership goes to another member.
    """
    check_group_action(actor, action)
    name = target.user.username
    if target.user_id == actor.user_id:
        raise Refused(_SELF_REFUSALS.get(action, "You cannot do that to yourself."))
    if action == GroupAction.REMOVE:
        if actor.role == _ADMIN and target.role != _MEMBER:
            raise Refused("Admins can remove plain members only.")
    elif action == GroupAction.APPOINT_ADMIN:
        if target.role != _MEMBER:
            raise Refused(f"{name} is already an admin or the owner.")
    elif action == GroupAction.DISMISS_ADMIN:
        if target.role != _ADMIN:
            raise Refused(f"{name} is not an admin.")
    elif action != GroupAction.TRANSFER:
        raise ValueError(f"{action} is not done to another member")


_SELF_REFUSALS = {
    GroupAction.REMOVE: "You cannot remove yourself; leave the group instead.",
    GroupAction.TRANSFER: "You already own this group.",
}


def access_group_target(
    user: User, chat_id: int, action: GroupAction, target_user_id: int
) -> tuple[Membership, Membership]:
    """Return the actor's and the target's memberships for ``action``.

    Raises Http404 when the user is not in the chat, ``Refused`` when the
    target is not a member or the roles table forbids it.
    """
    actor = access_group_action(user, chat_id, action)
    target = (
        Membership.objects.select_related("user")
        .filter(chat_id=chat_id, user_id=target_user_id)
        .first()
    )
    if target is None:
        raise Refused("That person is not in this group.")
    check_target(actor, action, target)
    return actor, target


def check_leave(membership: Membership, successor: Membership | None) -> None:
    """Raise ``Refused`` unless this member may leave as asked (C7).

    Plain members and admins leave freely. The owner names a successor,
    another member, unless they are the last member (the group then goes).
    The caller passes ``successor`` only when one was named.
    """
    check_group_action(membership, GroupAction.LEAVE)
    if membership.role != _OWNER:
        return
    if successor is None:
        others = Membership.objects.filter(chat_id=membership.chat_id).exclude(
            pk=membership.pk
        )
        if others.exists():
            raise Refused("Name a new owner before you leave.")
    elif successor.user_id == membership.user_id:
        raise Refused("Name someone else as the new owner.")


def check_invitee(inviter: Membership, invitee: User) -> None:
    """Raise ``Refused`` unless ``inviter`` may invite ``invitee`` now (C6):
    a friend, not yet a member, without an open invitation to the group.
    """
    check_group_action(inviter, GroupAction.INVITE)
    name = invitee.username
    if invitee.pk == inviter.user_id:
        raise Refused("You are already in this group.")
    if not invitee.is_active:
        raise Refused(f"{name} cannot be invited.")
    if Membership.objects.filter(chat_id=inviter.chat_id, user=invitee).exists():
        raise Refused(f"{name} is already in this group.")
    # A block ends the friendship (S7), so a blocked person is refused
    # here too. TODO(#4): refuse with the block's own words once social
    # has blocks.
    if not are_friends(inviter.user, invitee):
        raise Refused(f"You can invite only your friends, and {name} is not one.")
    open_invitation = ChatInvitation.objects.filter(
        chat_id=inviter.chat_id,
        invitee=invitee,
        state__in=ChatInvitation.OPEN_STATES,
    ).first()
    if open_invitation is not None and not is_expired(open_invitation):
        raise Refused(f"{name} already has an open invitation to this group.")


def access_invitation(user: User, invitation_id: int) -> ChatInvitation:
    """An invitation the user is the invitee or the inviter of, or one to a
    group they are in (its members see it in the group panel); anyone
    else gets Http404."""
    invitation = (
        ChatInvitation.objects.select_related("chat", "inviter", "invitee")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    if user.pk in (invitation.invitee_id, invitation.inviter_id):
        return invitation
    if (
        invitation.chat_id is not None
        and Membership.objects.filter(chat_id=invitation.chat_id, user=user).exists()
    ):
        return invitation
    raise Http404("No such invitation.")


def check_answer(user: User, invitation: ChatInvitation) -> None:
    """Raise ``Refused`` unless ``user`` may accept or decline now (C6)."""
    if invitation.invitee_id != user.pk:
        raise Refused("Only the person invited can answer an invitation.")
    if invitation.state != ChatInvitation.State.PENDING:
        raise Refused(_closed_text(invitation))
    if is_expired(invitation):
        raise Refused("That invitation has expired.")


def check_decide(decider: Membership | None, invitation: ChatInvitation) -> None:
    """Raise ``Refused`` unless ``decider`` may approve or refuse now (C6).

    ``decider`` is the user's membership of the invitation's group, if any.
    """
    if decider is None:
        raise Refused(_REFUSALS[GroupAction.DECIDE_INVITATION])
    check_group_action(decider, GroupAction.DECIDE_INVITATION)
    if invitation.state != ChatInvitation.State.AWAITING_APPROVAL:
        raise Refused(_closed_text(invitation))


def check_cancel(user: User, invitation: ChatInvitation) -> None:
    """Raise ``Refused`` unless ``user`` may withdraw the invitation: its
    inviter may, while it is open."""
    if invitation.inviter_id != user.pk:
        raise Refused("Only the person who invited can withdraw an invitation.")
    if not invitation.is_open:
        raise Refused(_closed_text(invitation))


def is_expired(invitation: ChatInvitation) -> bool:
    """An invitation nobody answered in ``NOVA_INVITATION_DAYS`` expires."""
    age = timezone.now() - invitation.created
    return invitation.state == ChatInvitation.State.PENDING and age > timedelta(
        days=settings.NOVA_INVITATION_DAYS
    )


def _closed_text(invitation: ChatInvitation) -> str:
    state = ChatInvitation.State(invitation.state)
    if state == ChatInvitation.State.PENDING:
        return "That invitation is still waiting for an answer."
    if state == ChatInvitation.State.AWAITING_APPROVAL:
        return "That invitation is already waiting for approval."
    return f"That invitation is closed ({state.label.lower()})."


def access_private_chat_with(user: User, other_id: int) -> Membership:
    """Return the user's membership of their private chat with the user
    ``other_id``, or raise Http404 (they are not friends)."""
    key = Chat.private_key_for(user.pk, other_id)
    try:
        return Membership.objects.select_related("chat", "user").get(
            chat__private_key=key, user=user
        )
    except Membership.DoesNotExist:
        raise Http404("No such chat.") from None


def access_message(membership: Membership, message_id: int) -> Message:
    """Return a message of the member's chat that the member may see, or
    raise Http404 (a message of another chat is as missing as none)."""
    message = queries.history(membership).filter(pk=message_id).first()
    if message is None:
        raise Http404("No such message.")
    return message


# What a member may do with a message (M4, M6). The message menu shows
# what these allow, and the actions check them again under a lock.


def recall_refusal(membership: Membership, message: Message, now: datetime) -> str:
    """Why the member may not recall the message now, or "" if they may."""
    if message.kind != Message.Kind.TEXT or message.sender_id != membership.user_id:
        return "You can recall only your own messages."
    if not message.is_shown:
        return "That message was already recalled or removed."
    window = settings.NOVA_RECALL_SECONDS
    if now - message.created > timedelta(seconds=window):
        return (
            f"A message can be recalled only within {_duration(window)} of sending it."
        )
    return ""


def removal_refusal(membership: Membership, message: Message) -> str:
    """Why the member may not remove the message, or "" if they may: a
    group's owner and admins may remove any message in it."""
    action = GroupAction.REMOVE_MESSAGE
    if (
        membership.chat.kind != Chat.Kind.GROUP
        or membership.role not in ALLOWED_ROLES[action]
    ):
        return _REFUSALS[action]
    if message.kind != Message.Kind.TEXT:
        return "System lines cannot be removed."
    if not message.is_shown:
        return "That message was already recalled or removed."
    return ""


def can_see_readers(membership: Membership, message: Message) -> bool:
    """Who read a message is shown to its sender, in a group (M3)."""
    return (
        membership.chat.kind == Chat.Kind.GROUP
        and message.kind == Message.Kind.TEXT
        and message.is_shown
        and message.sender_id == membership.user_id
    )


def _duration(seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"


@dataclass(frozen=True)
class MessageActions:
    """What the message menu offers one member for one message (M4)."""

    reply: bool
    recall: bool
    hide: bool
    remove: bool
    readers: bool
    add_friend: bool


def allowed_message_actions(membership: Membership, message: Message) -> MessageActions:
    """Decide the message menu for this member, by the same rules the
    actions check. "Add friend" is for a fellow member of a group (S2):
    someone who left it is no longer met there."""
    user = membership.user
    add_friend = False
    if (
        membership.chat.kind == Chat.Kind.GROUP
        and message.kind == Message.Kind.TEXT
        and message.sender is not None
        and message.sender.is_active
        and message.sender_id != user.pk
        and Membership.objects.filter(
            chat_id=message.chat_id, user_id=message.sender.pk
        ).exists()
    ):
        [relation] = with_relations(user, [message.sender])
        add_friend = relation.relation == Relation.NONE
    return MessageActions(
        reply=message.accepts_replies,
        recall=not recall_refusal(membership, message, timezone.now()),
        hide=True,
        remove=not removal_refusal(membership, message),
        readers=can_see_readers(membership, message),
        add_friend=add_friend,
    )
