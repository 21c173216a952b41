"""Every change to chats, memberships and messages.

Each action runs in one transaction and schedules its live events with
``transaction.on_commit``; ``chat.events`` renders and sends them.
"""

import logging
import uuid
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.actions import bump_live_version
from accounts.models import User
from chat import events
from chat.access import recall_refusal, removal_refusal
from chat.models import Chat, HiddenMessage, Membership, Message

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
            Chat.objects.select_for_update().filter(pk=membership.chat_id).first()
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
            transaction.on_commit(partial(events.message_sent, message.pk))
            if membership.unread_count:
                # Answering reads what came before: their senders see it.
                transaction.on_commit(
                    partial(
                        events.read_states_changed,
                        membership.chat_id,
                        sender.pk,
                        membership.last_read_message_id,
                        message.pk,
                    )
                )
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


def do_remove_deleted_account(user: User) -> None:
    """Take an account being deleted out of every chat (A6).

    Its private chats are deleted with their messages, and the partner's
    tabs drop them. A group it owns passes to the longest-standing admin,
    else the longest-standing member (by ``joined``, then id), and is
    deleted only when nobody else is in it. Every other group it was in
    gets a system line saying it left. Its messages in groups stay;
    deleting the user row leaves their sender NULL ("Deleted user").

    Runs inside ``accounts.actions.do_delete_account`` (through the
    ``account_deleting`` signal), which holds the transaction and deletes
    the user row afterwards.
    """
    memberships = list(
        Membership.objects.filter(user=user).select_related("chat").order_by("chat_id")
    )
    # Lock the chats in id order, as do_send_message locks one: a message
    # posted meanwhile comes before the system line, never after it.
    chat_ids = [m.chat_id for m in memberships]
    list(Chat.objects.select_for_update().filter(pk__in=chat_ids).order_by("pk"))

    private = [m for m in memberships if m.chat.kind == Chat.Kind.PRIVATE]
    partners = list(
        Membership.objects.filter(chat_id__in=[m.chat_id for m in private])
        .exclude(user=user)
        .values_list("chat_id", "user_id")
    )
    Chat.objects.filter(pk__in=[m.chat_id for m in private]).delete()
    bump_live_version(user_id for _, user_id in partners)
    for chat_id, partner_id in partners:
        transaction.on_commit(partial(events.chat_removed, chat_id, [partner_id]))

    for membership in memberships:
        if membership.chat.kind == Chat.Kind.GROUP:
            _leave_group_for_good(membership)

    logger.info(
        "chats left by a deleted account user=%s private=%s groups=%s",
        user.pk,
        len(private),
        len(memberships) - len(private),
    )


def _leave_group_for_good(membership: Membership) -> None:
    """Take a deleted account's membership out of its group; an owner's
    group passes on first, or goes when nobody else is left. The caller
    holds the transaction and the chat's row lock."""
    chat, user = membership.chat, membership.user
    others = Membership.objects.filter(chat=chat).exclude(pk=membership.pk)
    body = f"{user.username} left the group"
    if membership.role == Membership.Role.OWNER:
        longest_standing = others.select_related("user").order_by("joined", "pk")
        successor = (
            longest_standing.filter(role=Membership.Role.ADMIN).first()
            or longest_standing.first()
        )
        if successor is None:
            logger.info("group deleted with its last member chat=%s", chat.pk)
            chat.delete()
            return
        Membership.objects.filter(pk=successor.pk).update(role=Membership.Role.OWNER)
        body += f"; {successor.user.username} is now the owner"
        logger.info("group passed on chat=%s owner=%s", chat.pk, successor.user_id)

    membership.delete()
    line = Message.objects.create(chat=chat, kind=Message.Kind.SYSTEM, body=body)
    Chat.objects.filter(pk=chat.pk).update(
        last_message=line, last_activity=line.created
    )
    bump_live_version(others.values_list("user_id", flat=True))
    transaction.on_commit(partial(events.message_sent, line.pk))
