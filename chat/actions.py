"""Every change to chats, memberships and messages.

Each action runs in one transaction and schedules its live events with
``transaction.on_commit``; ``chat.events`` renders and sends them.
"""

import logging
import uuid
from collections.abc import Iterable
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.actions import bump_live_version
from accounts.models import User
from chat import events
from chat.access import (
    GroupAction,
    Refused,
    check_answer,
    check_cancel,
    check_decide,
    check_group_action,
    check_invitee,
    check_leave,
    check_target,
    is_expired,
    recall_refusal,
    removal_refusal,
)
from chat.models import (
    Chat,
    ChatAnnouncement,
    ChatInvitation,
    HiddenMessage,
    Membership,
    Message,
)
from chat.queries import DELETED_USER
from social.models import Friendship

logger = logging.getLogger(__name__)


class MessageError(Exception):
    """A refused message action. The text is shown to the user as is."""


def do_open_private_chat(user: User, other: User) -> Chat:
    """Open the private chat of two new friends, with its system line (S3).

    The caller holds the transaction that made the friendship. Should a
    private chat between the two already exist, it is returned as is.
    """
    key = Chat.private_key_for(user.pk, other.pk)
    chat = Chat.objects.filter(private_key=key).first()
    if chat is not None:
        return chat

    now = timezone.now()
    chat = Chat.objects.create(
        kind=Chat.Kind.PRIVATE, private_key=key, last_activity=now
    )
    Membership.objects.bulk_create(
        [Membership(chat=chat, user=user), Membership(chat=chat, user=other)]
    )
    line = Message.objects.create(
        chat=chat,
        kind=Message.Kind.SYSTEM,
        body=f"{user.username} and {other.username} are now friends",
    )
    Chat.objects.filter(pk=chat.pk).update(last_message=line)
    bump_live_version([user.pk, other.pk])
    transaction.on_commit(partial(events.chat_opened, chat.pk))
    logger.info("private chat opened chat=%s users=%s,%s", chat.pk, user.pk, other.pk)
    return chat


def do_end_private_chat(user: User, other: User) -> None:
    """Delete the private chat of two former friends, with its messages
    and memberships (S6). The caller holds the transaction that ended the
    friendship. Both members' tabs drop its row; a tab that has it open
    shows that it ended."""
    key = Chat.private_key_for(user.pk, other.pk)
    chat = Chat.objects.filter(private_key=key).first()
    if chat is None:
        return

    chat_id = chat.pk
    # Unhook the last message first: deleting the chat deletes its
    # messages, and the chat row must not point at one meanwhile.
    Chat.objects.filter(pk=chat_id).update(last_message=None)
    chat.delete()
    bump_live_version([user.pk, other.pk])
    transaction.on_commit(partial(events.chat_ended, chat_id, [user.pk, other.pk]))
    logger.info("private chat ended chat=%s users=%s,%s", chat_id, user.pk, other.pk)


def do_send_message(
    membership: Membership,
    body: str,
    client_token: uuid.UUID,
    reply_to_id: int | None = None,
) -> tuple[Message, bool]:
    """Post ``body`` into the member's chat; return it and whether it is new.

    With ``reply_to_id`` it answers that message of the same chat (M5),
    which must still be shown; otherwise this raises MessageError.

    Idempotent on ``client_token`` (M2): a form posted twice, by a double
    click, a retry or the back button, finds the message of the first post
    and returns it with ``False``, and nobody is told twice. The unique
    constraint on (chat, sender, client_token) settles two posts racing.

    The body must already be trimmed and within length (``MessageForm``).
    Raises Http404 if the chat was deleted since the membership was read.
    """
    sender = membership.user
    same_post = Message.objects.filter(
        chat_id=membership.chat_id, sender=sender, client_token=client_token
    )
    existing = same_post.first()
    if existing is not None:
        return existing, False

    try:
        with transaction.atomic():
            # Lock the chat before the message takes its id, so messages of
            # one chat commit in id order and each push names a predecessor
            # that is already visible (PostgreSQL; SQLite writes one at a
            # time anyway).
            chat = Chat.objects.select_for_update().filter(pk=membership.chat_id)
            if chat.first() is None:
                # The chat ended (S6) after the caller found the
                # membership: to the sender it is simply gone.
                raise Http404("No such chat.")
            if reply_to_id is not None:
                _check_reply_target(membership.chat_id, reply_to_id)
            message = Message.objects.create(
                chat_id=membership.chat_id,
                sender=sender,
                kind=Message.Kind.TEXT,
                body=body,
                client_token=client_token,
                reply_to_id=reply_to_id,
            )
            if reply_to_id is not None:
                Message.objects.filter(pk=reply_to_id).update(
                    reply_count=F("reply_count") + 1
                )
            Chat.objects.filter(pk=membership.chat_id).update(
                last_message=message, last_activity=message.created
            )
            # Everyone else has one more unread; the sender has read all.
            Membership.objects.filter(chat_id=membership.chat_id).exclude(
                user=sender
            ).update(unread_count=F("unread_count") + 1)
            Membership.objects.filter(pk=membership.pk).update(
                unread_count=0,
                last_read_message_id=message.pk,
            )
            bump_live_version(
                Membership.objects.filter(chat_id=membership.chat_id).values_list(
                    "user_id", flat=True
                )
            )
            # Answering reads what came before: their senders see it.
            read_from = (
                membership.last_read_message_id if membership.unread_count else None
            )
            transaction.on_commit(partial(events.message_sent, message.pk, read_from))
    except IntegrityError:
        return same_post.get(), False

    logger.info("message sent user=%s chat=%s", sender.pk, membership.chat_id)
    return message, True


def _check_reply_target(chat_id: int, reply_to_id: int) -> None:
    # The chat's lock is held, and recalls and removals take it too, so
    # the original cannot be withdrawn between this check and the reply.
    original = Message.objects.filter(pk=reply_to_id, chat_id=chat_id).first()
    if original is None or original.kind != Message.Kind.TEXT:
        raise MessageError("The message you are replying to is not in this chat.")
    if not original.is_shown:
        raise MessageError("The message you are replying to was recalled or removed.")


def do_recall_message(membership: Membership, message: Message) -> None:
    """The sender takes back their own message within the recall window
    (M6): everyone sees "<name> recalled a message" instead.

    Raises MessageError for someone else's message, a message already
    withdrawn, or one sent longer ago than ``NOVA_RECALL_SECONDS``.
    """
    with transaction.atomic():
        current = _lock_message(message)
        refusal = recall_refusal(membership, current, timezone.now())
        if refusal:
            raise MessageError(refusal)
        _withdraw(current, Message.Status.RECALLED, removed_by=None)
    logger.info(
        "message recalled user=%s chat=%s message=%s",
        membership.user_id,
        message.chat_id,
        message.pk,
    )


def do_remove_message(membership: Membership, message: Message) -> None:
    """A group's owner or admin removes a message in it (M6); everyone
    sees "removed by an admin" instead. Raises MessageError for anyone
    else, or for a message already withdrawn."""
    with transaction.atomic():
        current = _lock_message(message)
        refusal = removal_refusal(membership, current)
        if refusal:
            raise MessageError(refusal)
        _withdraw(current, Message.Status.REMOVED_BY_ADMIN, removed_by=membership.user)
    logger.info(
        "message removed user=%s chat=%s message=%s",
        membership.user_id,
        message.chat_id,
        message.pk,
    )


def do_moderate_message(message: Message, moderator: User) -> bool:
    """A moderator removes a message from the Django admin (D1); members
    see "removed by a moderator". Returns False for a message that was
    already withdrawn or is a system line, and leaves it."""
    with transaction.atomic():
        current = _lock_message(message)
        if current.kind != Message.Kind.TEXT or not current.is_shown:
            return False
        _withdraw(current, Message.Status.REMOVED_BY_MODERATOR, removed_by=moderator)
    logger.info(
        "message removed by moderator user=%s chat=%s message=%s",
        moderator.pk,
        message.chat_id,
        message.pk,
    )
    return True


def _lock_message(message: Message) -> Message:
    # The chat first, as sending does: a reply cannot quote a message
    # that is being withdrawn, and events leave in commit order.
    Chat.objects.select_for_update().filter(pk=message.chat_id).first()
    return Message.objects.select_for_update().get(pk=message.pk)


def _withdraw(message: Message, status: str, removed_by: User | None) -> None:
    """Replace a message for everyone. The caller holds the locks of
    ``_lock_message``; ``message`` is still shown.

    The body is blanked, not only hidden: the sender took it back, or a
    moderator took it down, so no page, push, search, export or backup
    should still hold it. Reports (D2) keep their own frozen copy.
    """
    Message.objects.filter(pk=message.pk).update(
        status=status, body="", removed_by=removed_by
    )
    if message.reply_to_id is not None:
        Message.objects.filter(pk=message.reply_to_id, reply_count__gt=0).update(
            reply_count=F("reply_count") - 1
        )
    # The chat list's preview may be this message.
    bump_live_version(
        Membership.objects.filter(chat_id=message.chat_id).values_list(
            "user_id", flat=True
        )
    )
    transaction.on_commit(partial(events.message_withdrawn, message.pk))


def do_hide_message(membership: Membership, message: Message) -> None:
    """Delete a message for this member alone (M6). Hiding it twice is
    harmless. The caller has checked the member is in the message's chat
    (``access_message``)."""
    hidden = HiddenMessage.objects.filter(
        user_id=membership.user_id, message_id=message.pk
    )
    if hidden.exists():
        return
    with transaction.atomic():
        try:
            # A savepoint: two tabs hiding at once meet the unique
            # constraint, and the second leaves quietly.
            with transaction.atomic():
                HiddenMessage.objects.create(
                    user_id=membership.user_id, message_id=message.pk
                )
        except IntegrityError:
            return
        bump_live_version([membership.user_id])
        transaction.on_commit(
            partial(events.message_hidden, message.pk, membership.user_id)
        )
    logger.info(
        "message hidden user=%s chat=%s message=%s",
        membership.user_id,
        message.chat_id,
        message.pk,
    )


def do_mark_read(membership: Membership, up_to_id: int | None = None) -> None:
    """Mark the chat read for this member, up to a message id or to the end.

    The read mark only moves forward: a stale tab reporting an older id
    leaves it. The unread count is counted afresh each time, so a count
    that drifted (for instance, one a moderator edited) is set right by
    the next read. When anything changes, every tab of the member is told
    (M9).
    """
    with transaction.atomic():
        messages = Message.objects.filter(chat_id=membership.chat_id)
        if up_to_id is not None:
            messages = messages.filter(pk__lte=up_to_id)
        newest = messages.order_by("-pk").values_list("pk", flat=True).first() or 0
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        read_to = max(current.last_read_message_id, newest)
        # System lines never count as unread: they are news about the
        # chat, not messages to answer (do_open_private_chat adds none).
        unread = (
            Message.objects.filter(
                chat_id=membership.chat_id, pk__gt=read_to, kind=Message.Kind.TEXT
            )
            .exclude(sender_id=membership.user_id)
            .count()
        )
        if (read_to, unread) == (current.last_read_message_id, current.unread_count):
            return
        Membership.objects.filter(pk=membership.pk).update(
            last_read_message_id=read_to, unread_count=unread
        )
        bump_live_version([membership.user_id])
        transaction.on_commit(
            partial(
                events.chat_read,
                membership.chat_id,
                membership.user_id,
                current.last_read_message_id,
                read_to,
            )
        )


# Groups (C3-C8). Every change locks the chat row first, so changes of
# one group queue behind each other (PostgreSQL; SQLite writes one at a
# time anyway), re-checks the roles table on the rows it then reads, posts
# a system line and tells every member (and anyone it put out) on commit.


def _lock_group(chat_id: int) -> Chat:
    """Lock the group's row; raise ``Refused`` if it is gone meanwhile."""
    chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
    if chat is None:
        raise Refused("That group no longer exists.")
    return chat


def _fresh_membership(chat: Chat, user_id: int) -> Membership:
    """Re-read a membership inside the lock; a member who left meanwhile
    is refused as a non-member would be."""
    membership = (
        Membership.objects.select_related("user")
        .filter(chat=chat, user_id=user_id)
        .first()
    )
    if membership is None:
        raise Refused("You are no longer in this group.")
    membership.chat = chat
    return membership


def _system_line(chat: Chat, body: str) -> Message:
    """Post a system line into the group the caller holds locked, and make
    it the chat's last message. System lines are never unread."""
    line = Message.objects.create(chat=chat, kind=Message.Kind.SYSTEM, body=body)
    Chat.objects.filter(pk=chat.pk).update(
        last_message=line, last_activity=line.created
    )
    return line


def _group_changed(
    chat: Chat, line: Message | None, gone_user_ids: Iterable[int] = ()
) -> None:
    """Bump the live versions of everyone concerned and tell them on commit."""
    gone = list(gone_user_ids)
    member_ids = list(
        Membership.objects.filter(chat=chat).values_list("user_id", flat=True)
    )
    bump_live_version(member_ids + gone)
    transaction.on_commit(
        partial(events.group_changed, chat.pk, line.pk if line else None, gone)
    )


def do_create_group(owner: User, name: str, friends: list[User]) -> Chat:
    """Create a group named ``name`` with the owner and these friends (C3).

    ``name`` is trimmed and 1-60 characters (``GroupForm``); every one of
    ``friends`` must be the owner's friend, else ``Refused``.
    """
    if not friends:
        raise Refused("Pick at least one friend for the group.")
    friend_ids = set(
        Friendship.objects.filter(
            user=owner, friend__in=friends, friend__is_active=True
        ).values_list("friend_id", flat=True)
    )
    strangers = [f.username for f in friends if f.pk not in friend_ids]
    if strangers:
        raise Refused(f"Only friends can be added: {', '.join(strangers)}.")

    friends = list({friend.pk: friend for friend in friends}.values())
    with transaction.atomic():
        now = timezone.now()
        chat = Chat.objects.create(kind=Chat.Kind.GROUP, name=name, last_activity=now)
        Membership.objects.create(chat=chat, user=owner, role=Membership.Role.OWNER)
        Membership.objects.bulk_create(
            [Membership(chat=chat, user=friend) for friend in friends]
        )
        names = ", ".join(friend.username for friend in friends)
        line = _system_line(chat, f"{owner.username} created the group with {names}")
        _group_changed(chat, line)

    logger.info("group created user=%s chat=%s", owner.pk, chat.pk)
    return chat


def do_rename_group(membership: Membership, name: str) -> None:
    """Rename the group (owner only, C5); ``name`` is trimmed, 1-60."""
    with transaction.atomic():
        chat = _lock_group(membership.chat_id)
        actor = _fresh_membership(chat, membership.user_id)
        check_group_action(actor, GroupAction.RENAME)
        if chat.name == name:
            return
        Chat.objects.filter(pk=chat.pk).update(name=name)
        chat.name = name
        line = _system_line(
            chat, f"{actor.user.username} renamed the group to “{name}”"
        )
        _group_changed(chat, line)
    logger.info("group renamed user=%s chat=%s", membership.user_id, chat.pk)


def do_post_announcement(membership: Membership, body: str) -> ChatAnnouncement:
    """Post an announcement (owner and admins, C5); a system line says so."""
    with transaction.atomic():
        chat = _lock_group(membership.chat_id)
        actor = _fresh_membership(chat, membership.user_id)
        check_group_action(actor, GroupAction.ANNOUNCE)
        announcement = ChatAnnouncement.objects.create(
            chat=chat, author=actor.user, body=body
        )
        line = _system_line(chat, f"{actor.user.username} posted an announcement")
        _group_changed(chat, line)
    logger.info("announcement posted user=%s chat=%s", membership.user_id, chat.pk)
    return announcement


def do_change_member(
    membership: Membership, action: GroupAction, target_user_id: int
) -> None:
    """Appoint or dismiss an admin, hand ownership over, or remove a member
    (C5), as ``check_target`` allows on the rows read under the lock.

    Handing over makes the old owner an admin. A removed member's tabs are
    told they are out (C7).
    """
    with transaction.atomic():
        chat = _lock_group(membership.chat_id)
        actor = _fresh_membership(chat, membership.user_id)
        target = (
            Membership.objects.select_related("user")
            .filter(chat=chat, user_id=target_user_id)
            .first()
        )
        if target is None:
            raise Refused("That person is not in this group.")
        check_target(actor, action, target)

        who, whom = actor.user.username, target.user.username
        gone: list[int] = []
        if action == GroupAction.APPOINT_ADMIN:
            _set_role(target, Membership.Role.ADMIN)
            text = f"{who} made {whom} an admin"
        elif action == GroupAction.DISMISS_ADMIN:
            _set_role(target, Membership.Role.MEMBER)
            text = f"{who} dismissed {whom} as admin"
        elif action == GroupAction.TRANSFER:
            _set_role(actor, Membership.Role.ADMIN)
            _set_role(target, Membership.Role.OWNER)
            text = f"{who} handed the group over to {whom}"
        else:
            target.delete()
            gone.append(target.user_id)
            text = f"{who} removed {whom}"
        line = _system_line(chat, text)
        _group_changed(chat, line, gone)
    logger.info(
        "group member changed user=%s chat=%s action=%s target=%s",
        membership.user_id,
        chat.pk,
        action,
        target_user_id,
    )


def _set_role(membership: Membership, role: str) -> None:
    Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.role = role


def do_leave_group(membership: Membership, successor_user_id: int | None) -> bool:
    """Leave the group (C7); return whether the group was deleted.

    Plain members and admins leave freely. The owner names a successor
    (another member, who becomes owner) unless they are the last member,
    in which case the group goes (as ``do_disband_group`` would).
    Invitations the leaver sent stay valid but now need approval (see
    ``ChatInvitation``).
    """
    with transaction.atomic():
        chat = _lock_group(membership.chat_id)
        actor = _fresh_membership(chat, membership.user_id)
        successor = None
        if successor_user_id is not None:
            successor = (
                Membership.objects.select_related("user")
                .filter(chat=chat, user_id=successor_user_id)
                .first()
            )
            if successor is None:
                raise Refused("The new owner must be a member of the group.")
        check_leave(actor, successor)

        if not Membership.objects.filter(chat=chat).exclude(pk=actor.pk).exists():
            _delete_group(chat, [actor.user_id])
            deleted = True
        else:
            actor.delete()
            text = f"{actor.user.username} left the group"
            if actor.role == Membership.Role.OWNER and successor is not None:
                _set_role(successor, Membership.Role.OWNER)
                text += f"; {successor.user.username} is now the owner"
            line = _system_line(chat, text)
            _group_changed(chat, line, [actor.user_id])
            deleted = False
    logger.info("group left user=%s chat=%s", membership.user_id, chat.pk)
    return deleted


def do_disband_group(membership: Membership) -> None:
    """Disband the group (owner only, C5): it goes with its history, and
    its open invitations end as ``disbanded``."""
    with transaction.atomic():
        chat = _lock_group(membership.chat_id)
        actor = _fresh_membership(chat, membership.user_id)
        check_group_action(actor, GroupAction.DISBAND)
        member_ids = list(
            Membership.objects.filter(chat=chat).values_list("user_id", flat=True)
        )
        _delete_group(chat, member_ids)
    logger.info("group disbanded user=%s chat=%s", membership.user_id, chat.pk)


def _delete_group(chat: Chat, member_ids: list[int]) -> None:
    """Delete a locked group; its open invitations end as ``disbanded``
    and keep its name, so their box says which group went."""
    invitations = ChatInvitation.objects.filter(chat=chat)
    concerned = set(member_ids)
    for invitee_id, inviter_id in invitations.values_list("invitee_id", "inviter_id"):
        concerned |= {invitee_id} | ({inviter_id} if inviter_id else set())
    invitations.filter(state__in=ChatInvitation.OPEN_STATES).update(
        state=ChatInvitation.State.DISBANDED, updated=timezone.now()
    )
    invitations.update(group_name=chat.name)
    chat_id = chat.pk
    # The chat's last message points back at the chat; drop it first.
    Chat.objects.filter(pk=chat_id).update(last_message=None)
    chat.delete()
    bump_live_version(concerned)
    transaction.on_commit(
        partial(events.group_deleted, chat_id, member_ids, sorted(concerned))
    )


def do_invite(membership: Membership, invitee: User) -> ChatInvitation:
    """Invite a friend into the group (C6); ``Refused`` as ``check_invitee``
    says. An expired invitation of the same person is closed first."""
    with transaction.atomic():
        chat = _lock_group(membership.chat_id)
        inviter = _fresh_membership(chat, membership.user_id)
        check_invitee(inviter, invitee)
        now = timezone.now()
        ChatInvitation.objects.filter(
            chat=chat, invitee=invitee, state__in=ChatInvitation.OPEN_STATES
        ).update(state=ChatInvitation.State.EXPIRED, updated=now)
        invitation = ChatInvitation.objects.create(
            chat=chat, group_name=chat.name, inviter=inviter.user, invitee=invitee
        )
        _invitation_changed(invitation)
    logger.info(
        "invitation sent user=%s chat=%s invitee=%s",
        inviter.user_id,
        chat.pk,
        invitee.pk,
    )
    return invitation


def _invitation_changed(
    invitation: ChatInvitation, line: Message | None = None
) -> None:
    """Tell the invitee, the inviter and every member (the approval queue
    and the open invitations are in the group panel) on commit."""
    assert invitation.chat_id is not None
    concerned = {invitation.invitee_id}
    if invitation.inviter_id:
        concerned.add(invitation.inviter_id)
    member_ids = set(
        Membership.objects.filter(chat_id=invitation.chat_id).values_list(
            "user_id", flat=True
        )
    )
    bump_live_version(concerned | member_ids)
    transaction.on_commit(
        partial(
            events.invitation_changed,
            invitation.chat_id,
            line.pk if line else None,
            sorted(concerned),
        )
    )


def _locked_invitation(invitation_id: int) -> tuple[Chat, ChatInvitation]:
    invitation = (
        ChatInvitation.objects.select_related("inviter", "invitee")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or invitation.chat_id is None:
        raise Refused("That group no longer exists.")
    chat = _lock_group(invitation.chat_id)
    invitation = ChatInvitation.objects.select_related("inviter", "invitee").get(
        pk=invitation_id
    )
    invitation.chat = chat
    return chat, invitation


def do_answer_invitation(
    user: User, invitation_id: int, accept: bool
) -> ChatInvitation:
    """The invitee accepts or declines (C6).

    After an accept, an inviter who is now the group's owner or an admin
    lets the invitee in at once; otherwise the invitation waits for an
    owner or admin. An invitation nobody answered in time expires.
    """
    with transaction.atomic():
        chat, invitation = _locked_invitation(invitation_id)
        expired = invitation.invitee_id == user.pk and is_expired(invitation)
        if expired:
            # The expiry is recorded (and shown) before the refusal below.
            invitation.state = ChatInvitation.State.EXPIRED
            invitation.save(update_fields=["state", "updated"])
            _invitation_changed(invitation)
        else:
            check_answer(user, invitation)
            line = None
            if not accept:
                invitation.state = ChatInvitation.State.DECLINED
            elif _inviter_decides(chat, invitation):
                line = _join(chat, invitation, approver=None)
            else:
                invitation.state = ChatInvitation.State.AWAITING_APPROVAL
            invitation.save(update_fields=["state", "updated"])
            _invitation_changed(invitation, line)
    if expired:
        raise Refused("That invitation has expired.")
    logger.info(
        "invitation answered user=%s chat=%s state=%s",
        user.pk,
        chat.pk,
        invitation.state,
    )
    return invitation


def _inviter_decides(chat: Chat, invitation: ChatInvitation) -> bool:
    """Whether the inviter is, now, the group's owner or an admin."""
    if invitation.inviter_id is None:
        return False
    return Membership.objects.filter(
        chat=chat,
        user_id=invitation.inviter_id,
        role__in=[Membership.Role.OWNER, Membership.Role.ADMIN],
    ).exists()


def _join(chat: Chat, invitation: ChatInvitation, approver: User | None) -> Message:
    """Add the invitee to the locked group; return the system line."""
    # One open invitation per invitee and a member cannot be invited, so
    # the invitee is not in the group; get_or_create only makes sure.
    Membership.objects.get_or_create(chat=chat, user=invitation.invitee)
    invitation.state = ChatInvitation.State.JOINED
    invitation.decided_by = approver
    invitee = invitation.invitee.username
    inviter = invitation.inviter.username if invitation.inviter else DELETED_USER
    text = f"{invitee} joined, invited by {inviter}"
    if approver is not None:
        text += f" and approved by {approver.username}"
    return _system_line(chat, text)


def do_decide_invitation(
    user: User, invitation_id: int, approve: bool
) -> ChatInvitation:
    """An owner or admin approves (the invitee joins) or refuses (it ends)
    an accepted invitation from a plain member (C6).

    Two deciders at once queue on the group's lock: the second finds it
    decided and returns it as is, so the invitee joins once and nobody
    sees an error.
    """
    with transaction.atomic():
        chat, invitation = _locked_invitation(invitation_id)
        if (
            invitation.state
            in (
                ChatInvitation.State.JOINED,
                ChatInvitation.State.REFUSED,
            )
            and Membership.objects.filter(
                chat=chat,
                user=user,
                role__in=[Membership.Role.OWNER, Membership.Role.ADMIN],
            ).exists()
        ):
            return invitation
        decider = Membership.objects.filter(chat=chat, user=user).first()
        if decider is not None:
            decider.chat = chat
        check_decide(decider, invitation)
        line = None
        if approve:
            line = _join(chat, invitation, approver=user)
        else:
            invitation.state = ChatInvitation.State.REFUSED
            invitation.decided_by = user
        invitation.save(update_fields=["state", "decided_by", "updated"])
        _invitation_changed(invitation, line)
    logger.info(
        "invitation decided user=%s chat=%s state=%s",
        user.pk,
        chat.pk,
        invitation.state,
    )
    return invitation


def do_cancel_invitation(user: User, invitation_id: int) -> None:
    """The inviter withdraws an open invitation (C6)."""
    with transaction.atomic():
        chat, invitation = _locked_invitation(invitation_id)
        check_cancel(user, invitation)
        invitation.state = ChatInvitation.State.CANCELLED
        invitation.save(update_fields=["state", "updated"])
        _invitation_changed(invitation)
    logger.info("invitation cancelled user=%s chat=%s", user.pk, chat.pk)


def do_end_invitations_between(user: User, other: User) -> None:
    """End the open invitations one of two people sent the other, once
    they are no longer friends (S6, S7): an invitee must be the inviter's
    friend. The caller holds the transaction that ended the friendship
    (``chat.receivers.end_invitations``).
    """
    invitations = list(
        ChatInvitation.objects.filter(
            inviter__in=[user, other],
            invitee__in=[user, other],
            state__in=ChatInvitation.OPEN_STATES,
        ).exclude(chat=None)
    )
    for invitation in invitations:
        assert invitation.chat_id is not None
        _lock_group(invitation.chat_id)
        invitation.state = ChatInvitation.State.CANCELLED
        invitation.save(update_fields=["state", "updated"])
        _invitation_changed(invitation)
    if invitations:
        logger.info(
            "invitations ended users=%s,%s count=%s",
            user.pk,
            other.pk,
            len(invitations),
        )


def do_remove_deleted_account(user: User) -> None:
    """Take an account being deleted out of every chat and invitation (A6).

    Its private chats are deleted with their messages, and the partner's
    tabs drop them. It leaves each group as ``do_leave_group`` would, with
    a system line; a group it owns passes to the longest-standing admin,
    else the longest-standing member (``joined``, then id), and is deleted
    only when nobody else is in it. Its messages in groups stay; deleting
    the user row leaves their sender NULL ("Deleted user").

    Invitations to it go with the user row; the members' approval queues
    and the inviters' boxes are told. Invitations it sent stay open with
    the inviter NULL, so after an accept they wait for an owner or admin
    (``_inviter_decides``), as when an inviter leaves.

    Runs inside ``accounts.actions.do_delete_account`` (through the
    ``account_deleting`` signal), which holds the transaction and deletes
    the user row afterwards.
    """
    memberships = list(
        Membership.objects.filter(user=user).select_related("chat", "user")
    )
    invitations = ChatInvitation.objects.filter(
        Q(invitee=user) | Q(inviter=user, state__in=ChatInvitation.OPEN_STATES)
    ).exclude(chat=None)
    # Lock every chat concerned in id order, as each group action locks
    # its one: a message or a change meanwhile comes before ours.
    chat_ids = {m.chat_id for m in memberships}
    chat_ids |= set(invitations.values_list("chat_id", flat=True))
    chats = Chat.objects.select_for_update().filter(pk__in=chat_ids).order_by("pk")
    locked = {chat.pk: chat for chat in chats}

    private = [m for m in memberships if m.chat.kind == Chat.Kind.PRIVATE]
    partners = list(
        Membership.objects.filter(chat_id__in=[m.chat_id for m in private])
        .exclude(user=user)
        .values_list("chat_id", "user_id")
    )
    Chat.objects.filter(pk__in=[m.chat_id for m in private]).delete()
    bump_live_version(user_id for _, user_id in partners)
    for chat_id, partner_id in partners:
        transaction.on_commit(partial(events.chat_ended, chat_id, [partner_id]))

    groups = [m for m in memberships if m.chat.kind == Chat.Kind.GROUP]
    for membership in sorted(groups, key=lambda m: m.chat_id):
        membership.chat = locked[membership.chat_id]
        _leave_group_for_good(membership)

    # After the groups: one it was alone in has ended its invitations.
    _tell_invitations_of_deleted(user, invitations)

    logger.info(
        "chats left by a deleted account user=%s private=%s groups=%s",
        user.pk,
        len(private),
        len(groups),
    )


def _leave_group_for_good(membership: Membership) -> None:
    """Take a deleted account's membership out of its locked group; an
    owner's group passes on first, or goes when nobody else is left."""
    chat, username = membership.chat, membership.user.username
    others = Membership.objects.filter(chat=chat).exclude(pk=membership.pk)
    text = f"{username} left the group"
    if membership.role == Membership.Role.OWNER:
        longest_standing = others.select_related("user").order_by("joined", "pk")
        successor = (
            longest_standing.filter(role=Membership.Role.ADMIN).first()
            or longest_standing.first()
        )
        if successor is None:
            logger.info("group deleted with its last member chat=%s", chat.pk)
            _delete_group(chat, [membership.user_id])
            return
        _set_role(successor, Membership.Role.OWNER)
        text += f"; {successor.user.username} is now the owner"
        logger.info("group passed on chat=%s owner=%s", chat.pk, successor.user_id)

    membership.delete()
    line = _system_line(chat, text)
    _group_changed(chat, line, [membership.user_id])


def _tell_invitations_of_deleted(
    user: User, invitations: QuerySet[ChatInvitation]
) -> None:
    """Tell each group's members (approval queue) and the other party of
    each invitation (their box) that the deleted account's invitations
    changed. The caller holds the groups' locks."""
    concerned_by_chat: dict[int, set[int]] = {}
    for chat_id, inviter_id, invitee_id in invitations.values_list(
        "chat_id", "inviter_id", "invitee_id"
    ):
        other = invitee_id if inviter_id == user.pk else inviter_id
        concerned = concerned_by_chat.setdefault(chat_id, set())
        if other is not None:
            concerned.add(other)
    for chat_id, concerned in sorted(concerned_by_chat.items()):
        member_ids = Membership.objects.filter(chat_id=chat_id).values_list(
            "user_id", flat=True
        )
        bump_live_version(concerned | set(member_ids))
        transaction.on_commit(
            partial(events.invitation_changed, chat_id, None, sorted(concerned))
        )


def do_update_member_settings(
    membership: Membership, *, muted: bool, pinned: bool, nickname: str
) -> None:
    """Save a member's own settings of a chat (C8).

    Mute and pin concern only this member's tabs; a group nickname is
    shown to every member, so it is news for all of them. Private chats
    have no nicknames.
    """
    is_group = membership.chat.kind == Chat.Kind.GROUP
    if not is_group:
        nickname = ""
    with transaction.atomic():
        # The chat first, as every group change locks it, then the row.
        chat = _lock_group(membership.chat_id) if is_group else None
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        if (current.muted, current.pinned, current.nickname) == (
            muted,
            pinned,
            nickname,
        ):
            return
        Membership.objects.filter(pk=membership.pk).update(
            muted=muted, pinned=pinned, nickname=nickname
        )
        bump_live_version([membership.user_id])
        transaction.on_commit(
            partial(events.settings_saved, membership.chat_id, membership.user_id)
        )
        if chat is not None and nickname != current.nickname:
            _group_changed(chat, None)
    logger.info(
        "member settings saved user=%s chat=%s",
        membership.user_id,
        membership.chat_id,
    )


def do_clear_history(membership: Membership) -> None:
    """Hide every message up to now from this member alone (C8); what they
    have not read is read. Every tab of theirs shows the empty history."""
    with transaction.atomic():
        newest = (
            Message.objects.filter(chat_id=membership.chat_id)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
            or 0
        )
        Membership.objects.filter(pk=membership.pk).update(
            cleared_before_id=newest,
            last_read_message_id=newest,
            unread_count=0,
        )
        bump_live_version([membership.user_id])
        transaction.on_commit(
            partial(events.history_cleared, membership.chat_id, membership.user_id)
        )
    logger.info(
        "history cleared user=%s chat=%s", membership.user_id, membership.chat_id
    )
