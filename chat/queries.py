"""Read-only queries that build what chat pages and live events show.

Every function here reads in a fixed number of queries, whatever the
number of chats, members or messages it is given.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.live import LiveCount
from accounts.models import User, default_avatar_url
from chat.models import Chat, ChatAnnouncement, ChatInvitation, Membership, Message
from social.models import Friendship
from social.queries import incoming_request_counts, remarks_for

DELETED_USER = "Deleted user"


@dataclass(frozen=True)
class ChatRow:
    """One chat as one member sees it in their chat list (C1)."""

    chat_id: int
    kind: str
    title: str
    avatar_url: str
    preview: str
    last_activity_iso: str
    unread_count: int
    muted: bool
    pinned: bool
    version: int

    @property
    def sort_key(self) -> str:
        """Orders rows as the chat list does, compared as text, descending:
        pinned first, then by last activity, then the newer chat."""
        return f"{int(self.pinned)}|{self.last_activity_iso}|{self.chat_id:020d}"


@dataclass(frozen=True)
class MessageItem:
    """One message as one viewer sees it (M3).

    ``prev_id`` is the id of the chat's message just before this one (0 for
    the first). A tab that shows message ``prev_id`` and receives this one
    knows it missed nothing in between (L3).
    """

    message: Message
    is_own: bool
    sender_name: str
    sender_avatar_url: str
    prev_id: int


Remarks = dict[tuple[int, int], str]
Nicknames = dict[tuple[int, int], str]


def display_name(
    user: User | None,
    viewer_id: int,
    remarks: Remarks,
    nicknames: Nicknames | None = None,
    chat_id: int | None = None,
) -> str:
    """The name ``viewer_id`` sees for ``user`` (S5, C8): the viewer's own
    remark for a friend, else the user's nickname in this group, else
    their username.

    ``remarks`` maps (viewer, user) and ``nicknames`` (chat, user), as
    ``remarks_for`` and ``nicknames_for`` return them.
    """
    if user is None:
        return DELETED_USER
    remark = remarks.get((viewer_id, user.pk))
    if remark:
        return remark
    if nicknames and chat_id is not None:
        nickname = nicknames.get((chat_id, user.pk))
        if nickname:
            return nickname
    return user.username


def nicknames_for(chat_ids: Iterable[int], user_ids: Iterable[int]) -> Nicknames:
    """Map ``(chat_id, user_id)`` to the user's nickname in that group, for
    those who set one; one query (none when there is nothing to ask)."""
    chat_ids, user_ids = list(chat_ids), list(user_ids)
    if not chat_ids or not user_ids:
        return {}
    rows = (
        Membership.objects.filter(chat_id__in=chat_ids, user_id__in=user_ids)
        .exclude(nickname="")
        .values_list("chat_id", "user_id", "nickname")
    )
    return {(chat_id, user_id): nickname for chat_id, user_id, nickname in rows}


def membership_rows(memberships: list[Membership]) -> list[ChatRow]:
    """Build chat-list rows for these memberships, in two queries.

    The memberships must come with ``chat__last_message__sender`` selected
    (see ``memberships_for_rows``). They may belong to one viewer (their
    chat list) or to every member of one chat (a live event).
    """
    private_chat_ids = [
        m.chat_id for m in memberships if m.chat.kind == Chat.Kind.PRIVATE
    ]
    members_by_chat: dict[int, list[User]] = defaultdict(list)
    for other in Membership.objects.filter(chat_id__in=private_chat_ids).select_related(
        "user"
    ):
        members_by_chat[other.chat_id].append(other.user)

    viewer_ids = {m.user_id for m in memberships}
    named_ids = {user.pk for users in members_by_chat.values() for user in users}
    named_ids |= {
        m.chat.last_message.sender_id
        for m in memberships
        if m.chat.last_message and m.chat.last_message.sender_id
    }
    remarks = remarks_for(list(viewer_ids), list(named_ids))
    # Names in group previews may be group nicknames.
    group_senders = {
        (m.chat_id, m.chat.last_message.sender_id)
        for m in memberships
        if m.chat.kind == Chat.Kind.GROUP
        and m.chat.last_message
        and m.chat.last_message.sender_id
    }
    # A live event brings every member of the chat, so the nicknames are
    # in hand; a chat list asks for those of the senders of its previews.
    nicknames = {(m.chat_id, m.user_id): m.nickname for m in memberships if m.nickname}
    known = {(m.chat_id, m.user_id) for m in memberships}
    missing = group_senders - known
    nicknames |= nicknames_for(
        {chat_id for chat_id, _ in missing}, {sender_id for _, sender_id in missing}
    )

    rows = []
    for membership in memberships:
        chat, viewer_id = membership.chat, membership.user_id
        if chat.kind == Chat.Kind.PRIVATE:
            partner = next(
                (u for u in members_by_chat[chat.pk] if u.pk != viewer_id), None
            )
            title = display_name(partner, viewer_id, remarks)
            avatar_url = partner.avatar_url if partner else default_avatar_url()
        else:
            title = chat.name
            avatar_url = default_avatar_url()
        rows.append(
            ChatRow(
                chat_id=chat.pk,
                kind=chat.kind,
                title=title,
                avatar_url=avatar_url,
                preview=_preview(membership, remarks, nicknames),
                # Microseconds always, so the text sorts as the time does.
                last_activity_iso=chat.last_activity.isoformat(timespec="microseconds"),
                unread_count=membership.unread_count,
                muted=membership.muted,
                pinned=membership.pinned,
                version=membership.user.live_version,
            )
        )
    return rows


def _preview(membership: Membership, remarks: Remarks, nicknames: Nicknames) -> str:
    chat, viewer_id = membership.chat, membership.user_id
    message = chat.last_message
    # A member who cleared the history sees no preview of what they cleared.
    if message is None or message.pk <= membership.cleared_before_id:
        return ""
    text = " ".join(message.body.split())[:100]
    if message.kind == Message.Kind.SYSTEM:
        return text
    if message.sender_id == viewer_id:
        return f"You: {text}"
    if chat.kind == Chat.Kind.GROUP:
        name = display_name(message.sender, viewer_id, remarks, nicknames, chat.pk)
        return f"{name}: {text}"
    return text


def memberships_for_rows() -> QuerySet[Membership]:
    # The member's live_version comes in the same query as the row's data,
    # so the version a row carries never claims more than the row shows.
    return Membership.objects.select_related("chat__last_message__sender", "user")


def chat_list(user: User) -> list[ChatRow]:
    """The user's chat list: pinned first, then by last activity (C1)."""
    memberships = list(
        memberships_for_rows()
        .filter(user=user)
        .order_by("-pinned", "-chat__last_activity", "-chat_id")
    )
    return membership_rows(memberships)


def unread_totals(user_ids: Iterable[int]) -> dict[int, LiveCount]:
    """Each user's unread total (C1, M9), in one query."""
    rows = (
        User.objects.filter(pk__in=list(user_ids))
        .annotate(
            count=Sum("memberships__unread_count", filter=Q(memberships__muted=False))
        )
        .values_list("pk", "count", "live_version")
    )
    return {user_id: LiveCount(count or 0, version) for user_id, count, version in rows}


def message_items(
    viewer: User, messages: Iterable[Message], prev_id: int = 0
) -> list[MessageItem]:
    """Pair messages with how ``viewer`` sees them, in one query for remarks.

    The messages must be consecutive in their chat, oldest first, with
    ``sender`` selected; ``prev_id`` is the id of the message before the
    first of them.
    """
    messages = list(messages)
    sender_ids = list({m.sender_id for m in messages if m.sender_id})
    remarks = remarks_for([viewer.pk], sender_ids)
    chat_ids = {m.chat_id for m in messages}
    nicknames = nicknames_for(chat_ids, sender_ids)
    items = []
    for message in messages:
        items.append(message_item(message, viewer.pk, remarks, prev_id, nicknames))
        prev_id = message.pk
    return items


def message_item(
    message: Message,
    viewer_id: int,
    remarks: Remarks,
    prev_id: int,
    nicknames: Nicknames | None = None,
) -> MessageItem:
    sender = message.sender
    return MessageItem(
        message=message,
        is_own=sender is not None and sender.pk == viewer_id,
        sender_name=display_name(
            sender, viewer_id, remarks, nicknames, message.chat_id
        ),
        sender_avatar_url=sender.avatar_url if sender else default_avatar_url(),
        prev_id=prev_id,
    )


def cursor(items: list[MessageItem]) -> int:
    """The cursor of a list showing ``items``, a run of consecutive messages
    that reaches the newest: its last message's id (0 for none)."""
    return items[-1].message.pk if items else 0


def previous_message_id(chat_id: int, message_id: int) -> int:
    """The id of the chat's last message before ``message_id``, or 0."""
    earlier = Message.objects.filter(chat_id=chat_id, pk__lt=message_id)
    return earlier.order_by("-pk").values_list("pk", flat=True).first() or 0


def latest_messages(
    chat_id: int, cleared_before_id: int = 0
) -> tuple[list[Message], int]:
    """The newest page of a chat's history, oldest first (M7), and the id of
    the message before it (0 if the page starts the chat).

    Messages up to ``cleared_before_id`` (the member's cleared history, C8)
    are left out; the first one after them names that id as predecessor,
    which is exact: clearing records the newest message id of its moment.
    """
    page = settings.NOVA_HISTORY_PAGE_SIZE
    newest = Message.objects.filter(
        chat_id=chat_id, pk__gt=cleared_before_id
    ).select_related("sender")
    # One more than a page: the extra one only names the page's predecessor.
    found = list(newest.order_by("-pk")[: page + 1])
    prev_id = found[page].pk if len(found) > page else cleared_before_id
    return list(reversed(found[:page])), prev_id


@dataclass(frozen=True)
class CatchUp:
    """What a tab may have missed; see ``catch_up``."""

    chat_rows: list[ChatRow]
    chat_id: int | None
    items: list[MessageItem]
    # True when the tab missed more than a page: ``items`` is then the
    # newest page, to replace what the tab shows rather than extend it.
    reset: bool
    unread_total: LiveCount
    incoming_count: LiveCount
    invitation_box: "InvitationBox"
    # The open chat's group panel, if it is a group (C4).
    panel: "GroupPanel | None"


def catch_up(user: User, membership: Membership | None, after_id: int) -> CatchUp:
    """What a tab needs after its socket (re)opens or it sees a gap (L3).

    ``after_id`` is the tab's cursor in the open chat (the membership's):
    the newest message up to which it has missed nothing. The messages
    after it come oldest first; past ``NOVA_CATCH_UP_LIMIT`` of them, the
    newest page comes instead, to replace the tab's list.
    """
    items: list[MessageItem] = []
    reset = False
    if membership is not None:
        limit = settings.NOVA_CATCH_UP_LIMIT
        after_id = max(after_id, membership.cleared_before_id)
        missed = list(
            Message.objects.filter(chat_id=membership.chat_id, pk__gt=after_id)
            .select_related("sender")
            .order_by("pk")[: limit + 1]
        )
        if len(missed) > limit:
            reset = True
            items = message_items(
                user,
                *latest_messages(membership.chat_id, membership.cleared_before_id),
            )
        elif missed:
            prev_id = previous_message_id(membership.chat_id, missed[0].pk)
            items = message_items(user, missed, prev_id)
    return CatchUp(
        chat_rows=chat_list(user),
        chat_id=membership.chat_id if membership else None,
        items=items,
        reset=reset,
        unread_total=unread_totals([user.pk])[user.pk],
        incoming_count=incoming_request_counts([user.pk])[user.pk],
        invitation_box=invitation_boxes([user.pk])[user.pk],
        panel=group_panels(membership.chat_id, [user.pk]).get(user.pk)
        if membership is not None and membership.chat.kind == Chat.Kind.GROUP
        else None,
    )


# Groups (C3-C8).

_ROLE_ORDER = {
    Membership.Role.OWNER: 0,
    Membership.Role.ADMIN: 1,
    Membership.Role.MEMBER: 2,
}


@dataclass(frozen=True)
class MemberEntry:
    """One member of a group as one viewer sees them in the group panel."""

    user_id: int
    username: str
    name: str
    nickname: str
    avatar_url: str
    role: str
    is_viewer: bool

    @property
    def role_label(self) -> str:
        return Membership.Role(self.role).label


@dataclass(frozen=True)
class AnnouncementItem:
    announcement_id: int
    author_name: str
    body: str
    created_iso: str


@dataclass(frozen=True)
class InvitationItem:
    """A group invitation as the viewer sees it, with what they may do."""

    invitation_id: int
    chat_id: int | None
    group_name: str
    invitee_name: str
    inviter_name: str
    decided_by_name: str
    state: str
    state_label: str
    is_open: bool
    viewer_is_invitee: bool
    can_answer: bool
    can_decide: bool
    can_cancel: bool


@dataclass(frozen=True)
class GroupPanel:
    """The group info panel (C4) as one member sees it: what every member
    sees, and the controls their role allows (C5)."""

    chat_id: int
    name: str
    viewer_id: int
    viewer_role: str
    members: tuple[MemberEntry, ...]
    announcements: tuple[AnnouncementItem, ...]
    invitations: tuple[InvitationItem, ...]
    awaiting_count: int
    # The viewer's friends who are not in the group: whom they may invite.
    invitable: tuple[tuple[int, str], ...]
    version: int

    @property
    def is_owner(self) -> bool:
        return self.viewer_role == Membership.Role.OWNER

    @property
    def is_manager(self) -> bool:
        return self.viewer_role in (Membership.Role.OWNER, Membership.Role.ADMIN)

    @property
    def others(self) -> tuple[MemberEntry, ...]:
        return tuple(m for m in self.members if not m.is_viewer)


def group_panels(
    chat_id: int, viewer_ids: Iterable[int] | None = None
) -> dict[int, GroupPanel]:
    """The group panel of each viewer (every member when ``viewer_ids`` is
    None), in six queries whatever the number of members or viewers."""
    memberships = list(
        Membership.objects.filter(chat_id=chat_id).select_related("chat", "user")
    )
    if not memberships:
        return {}
    chat = memberships[0].chat
    memberships.sort(key=lambda m: (_ROLE_ORDER[Membership.Role(m.role)], m.joined))
    member_ids = [m.user_id for m in memberships]
    wanted = set(member_ids if viewer_ids is None else viewer_ids) & set(member_ids)
    announcements = list(
        ChatAnnouncement.objects.filter(chat_id=chat_id)
        .select_related("author")
        .order_by("-pk")
    )
    invitations = list(
        ChatInvitation.objects.filter(
            chat_id=chat_id, state__in=ChatInvitation.OPEN_STATES
        )
        .exclude(state=ChatInvitation.State.PENDING, created__lt=_expired_before())
        .select_related("inviter", "invitee", "decided_by")
        .order_by("pk")
    )
    named_ids = set(member_ids)
    named_ids |= {a.author_id for a in announcements if a.author_id}
    for invitation in invitations:
        named_ids |= {invitation.invitee_id}
        if invitation.inviter_id:
            named_ids.add(invitation.inviter_id)
    remarks = remarks_for(list(wanted), list(named_ids))
    nicknames = {(chat_id, m.user_id): m.nickname for m in memberships if m.nickname}
    invitable: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for friendship in (
        Friendship.objects.filter(user_id__in=wanted, friend__is_active=True)
        .exclude(friend_id__in=member_ids)
        .select_related("friend")
        .order_by(Lower("friend__username"))
    ):
        invitable[friendship.user_id].append(
            (friendship.friend_id, friendship.remark or friendship.friend.username)
        )

    panels = {}
    for viewer in memberships:
        if viewer.user_id not in wanted:
            continue
        viewer_id = viewer.user_id

        def name(user: User | None, viewer_id: int = viewer_id) -> str:
            return display_name(user, viewer_id, remarks, nicknames, chat_id)

        manager = viewer.role in (Membership.Role.OWNER, Membership.Role.ADMIN)
        panels[viewer_id] = GroupPanel(
            chat_id=chat_id,
            name=chat.name,
            viewer_id=viewer_id,
            viewer_role=viewer.role,
            members=tuple(
                MemberEntry(
                    user_id=m.user_id,
                    username=m.user.username,
                    name=name(m.user),
                    nickname=m.nickname,
                    avatar_url=m.user.avatar_url,
                    role=m.role,
                    is_viewer=m.user_id == viewer_id,
                )
                for m in memberships
            ),
            announcements=tuple(
                AnnouncementItem(
                    announcement_id=a.pk,
                    author_name=name(a.author),
                    body=a.body,
                    created_iso=a.created.isoformat(),
                )
                for a in announcements
            ),
            invitations=tuple(
                _invitation_item(i, viewer_id, name, manager) for i in invitations
            ),
            awaiting_count=sum(
                i.state == ChatInvitation.State.AWAITING_APPROVAL for i in invitations
            )
            if manager
            else 0,
            invitable=tuple(invitable[viewer_id]),
            version=viewer.user.live_version,
        )
    return panels


def _invitation_item(
    invitation: ChatInvitation,
    viewer_id: int,
    name: Callable[[User | None], str],
    manager: bool,
) -> InvitationItem:
    state = ChatInvitation.State(invitation.state)
    is_open = invitation.is_open
    return InvitationItem(
        invitation_id=invitation.pk,
        chat_id=invitation.chat_id,
        group_name=invitation.chat.name if invitation.chat else invitation.group_name,
        invitee_name=name(invitation.invitee),
        inviter_name=name(invitation.inviter),
        decided_by_name=name(invitation.decided_by) if invitation.decided_by else "",
        state=state,
        state_label=state.label,
        is_open=is_open,
        viewer_is_invitee=invitation.invitee_id == viewer_id,
        can_answer=state == ChatInvitation.State.PENDING
        and invitation.invitee_id == viewer_id,
        can_decide=state == ChatInvitation.State.AWAITING_APPROVAL and manager,
        can_cancel=is_open and invitation.inviter_id == viewer_id,
    )


@dataclass(frozen=True)
class InvitationBox:
    """A user's invitations to groups and from them (C6): open ones and
    those closed in the last ``NOVA_INVITATION_RECENT_DAYS``."""

    received: tuple[InvitationItem, ...]
    sent: tuple[InvitationItem, ...]
    version: int


def invitation_boxes(user_ids: Iterable[int]) -> dict[int, InvitationBox]:
    """The invitation box of each user, in three queries."""
    user_ids = list(user_ids)
    since = timezone.now() - timedelta(days=settings.NOVA_INVITATION_RECENT_DAYS)
    invitations = list(
        ChatInvitation.objects.filter(
            Q(invitee_id__in=user_ids) | Q(inviter_id__in=user_ids)
        )
        .filter(
            Q(state__in=ChatInvitation.OPEN_STATES) | Q(updated__gte=since),
        )
        .exclude(state=ChatInvitation.State.PENDING, created__lt=_expired_before())
        .select_related("chat", "inviter", "invitee", "decided_by")
        .order_by("-updated", "-pk")
    )
    named_ids = {i.invitee_id for i in invitations}
    named_ids |= {i.inviter_id for i in invitations if i.inviter_id}
    named_ids |= {i.decided_by_id for i in invitations if i.decided_by_id}
    remarks = remarks_for(user_ids, list(named_ids))
    versions = dict(
        User.objects.filter(pk__in=user_ids).values_list("pk", "live_version")
    )
    boxes = {}
    for user_id in user_ids:

        def name(user: User | None, viewer_id: int = user_id) -> str:
            return display_name(user, viewer_id, remarks)

        received = [i for i in invitations if i.invitee_id == user_id]
        sent = [i for i in invitations if i.inviter_id == user_id]
        boxes[user_id] = InvitationBox(
            received=tuple(_invitation_item(i, user_id, name, False) for i in received),
            sent=tuple(_invitation_item(i, user_id, name, False) for i in sent),
            version=versions.get(user_id, 0),
        )
    return boxes


def _expired_before() -> datetime:
    # An unanswered invitation older than this has expired (chat.access).
    return timezone.now() - timedelta(days=settings.NOVA_INVITATION_DAYS)
