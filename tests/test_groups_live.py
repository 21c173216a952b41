"""Group changes reach every open tab of everyone concerned (C3-C8, L2)."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from chat import fragments
from chat.access import GroupAction
from chat.actions import (
    do_answer_invitation,
    do_change_member,
    do_clear_history,
    do_create_group,
    do_decide_invitation,
    do_invite,
    do_leave_group,
    do_rename_group,
)
from chat.models import Chat, ChatInvitation
from chat.queries import GroupPanel
from tests.conftest import befriend, membership
from tests.test_live import open_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def call(function: Callable[..., Any], *args: object, **kwargs: object) -> Any:
    return await sync_to_async(function)(*args, **kwargs)


def make_group(owner: User, *members: User) -> Chat:
    for member in members:
        befriend(owner, member)
    return do_create_group(owner, "Hikers", list(members))


async def drain(*sockets: WebsocketCommunicator) -> None:
    """Read whatever the sockets were sent while the world was made."""
    for socket in sockets:
        while not await socket.receive_nothing(timeout=0.2):
            await socket.receive_from()


async def one_frame(socket: WebsocketCommunicator) -> str:
    """The one frame this socket gets for a change, and no second one."""
    html = await socket.receive_from(timeout=3)
    assert await socket.receive_nothing(timeout=0.2)
    return html


async def test_new_group_appears_in_every_members_list(
    alice: User, bob: User, carol: User
) -> None:
    await call(befriend, alice, bob)
    await call(befriend, alice, carol)
    sockets = [await open_socket(user) for user in (alice, bob, carol)]
    await drain(*sockets)

    chat = await call(do_create_group, alice, "Hikers", [bob, carol])

    for socket in sockets:
        html = await one_frame(socket)
        assert f'id="chat-row-{chat.pk}"' in html
        assert "alice created the group with bob, carol" in html
        assert f'id="group-panel-{chat.pk}"' in html
        await socket.disconnect()


async def test_removed_member_is_told_and_others_see_the_new_member_list(
    alice: User, bob: User, carol: User
) -> None:
    chat = await call(make_group, alice, bob, carol)
    sockets = {user.username: await open_socket(user) for user in (alice, bob, carol)}
    await drain(*sockets.values())

    owner = await call(membership, alice, chat)
    await call(do_change_member, owner, GroupAction.REMOVE, carol.pk)

    gone = await one_frame(sockets["carol"])
    assert f'hx-swap-oob="delete:#chat-row-{chat.pk}"' in gone
    assert f'id="composer-{chat.pk}"' in gone
    assert "You are no longer in this group." in gone
    assert "data-chat-ended" in gone
    for name in ("alice", "bob"):
        html = await one_frame(sockets[name])
        assert "alice removed carol" in html
        panel = re.search(r'id="group-panel-\d+".*?</ul>', html, re.S)
        assert panel is not None
        assert f'data-user-id="{carol.pk}"' not in panel.group(0)
    for socket in sockets.values():
        await socket.disconnect()


async def test_rename_changes_the_header_and_row_in_every_tab(
    alice: User, bob: User
) -> None:
    chat = await call(make_group, alice, bob)
    bob_socket = await open_socket(bob)
    await drain(bob_socket)

    await call(do_rename_group, await call(membership, alice, chat), "Climbers")

    html = await one_frame(bob_socket)
    assert f'<h1 id="chat-title-{chat.pk}"' in html
    assert ">Climbers</h1>" in html
    assert '<span class="chat-row-title" dir="auto">Climbers</span>' in html
    await bob_socket.disconnect()


async def test_each_step_of_an_invitation_reaches_those_it_concerns(
    alice: User, bob: User, carol: User, make_user: Callable[..., User]
) -> None:
    """A member invites, the invitee accepts, an admin approves: the invitee,
    the inviter and the owner and admins each see their part live (C6)."""
    dave = await call(make_user, "dave")
    chat = await call(make_group, alice, bob, carol)
    await call(
        do_change_member,
        await call(membership, alice, chat),
        GroupAction.APPOINT_ADMIN,
        carol.pk,
    )
    await call(befriend, bob, dave)
    sockets = {u.username: await open_socket(u) for u in (alice, bob, carol, dave)}
    await drain(*sockets.values())

    invitation = await call(do_invite, await call(membership, bob, chat), dave)

    asked = await one_frame(sockets["dave"])
    assert 'bob</span> invites you to <strong dir="auto">Hikers</strong>' in asked
    assert f"/chats/invitations/{invitation.pk}/accept/" in asked
    sent = await one_frame(sockets["bob"])
    assert "Waiting for an answer" in sent
    for name in ("alice", "carol"):
        assert "Waiting for an answer" in await one_frame(sockets[name])

    await call(do_answer_invitation, dave, invitation.pk, accept=True)

    assert "Waiting for approval" in await one_frame(sockets["dave"])
    assert "Waiting for approval" in await one_frame(sockets["bob"])
    for name in ("alice", "carol"):
        html = await one_frame(sockets[name])
        assert f"/chats/invitations/{invitation.pk}/approve/" in html
        assert '1<span class="visually-hidden"> waiting for approval' in html

    await call(do_decide_invitation, carol, invitation.pk, approve=True)

    joined = await one_frame(sockets["dave"])
    assert f'id="chat-row-{chat.pk}"' in joined
    assert "dave joined, invited by bob and approved by carol" in joined
    for name in ("alice", "bob", "carol"):
        html = await one_frame(sockets[name])
        assert "dave joined" in html
    for socket in sockets.values():
        await socket.disconnect()


async def test_disbanding_tells_members_and_the_invitee(
    alice: User, bob: User, carol: User
) -> None:
    from chat.actions import do_disband_group

    chat = await call(make_group, alice, bob)
    await call(befriend, alice, carol)
    await call(do_invite, await call(membership, alice, chat), carol)
    sockets = {u.username: await open_socket(u) for u in (alice, bob, carol)}
    await drain(*sockets.values())

    await call(do_disband_group, await call(membership, alice, chat))

    assert "This group no longer exists." in await one_frame(sockets["bob"])
    carol_html = await one_frame(sockets["carol"])
    assert "Group disbanded" in carol_html
    assert "invites you" not in carol_html
    for socket in sockets.values():
        await socket.disconnect()


async def test_owner_leaving_hands_over_in_every_tab(
    alice: User, bob: User, carol: User
) -> None:
    chat = await call(make_group, alice, bob, carol)
    sockets = {u.username: await open_socket(u) for u in (alice, bob, carol)}
    await drain(*sockets.values())

    await call(do_leave_group, await call(membership, alice, chat), bob.pk)

    assert "You are no longer in this group." in await one_frame(sockets["alice"])
    bob_html = await one_frame(sockets["bob"])
    assert "alice left the group; bob is now the owner" in bob_html
    assert "Disband group" in bob_html  # bob now has the owner's controls
    carol_html = await one_frame(sockets["carol"])
    assert "Disband group" not in carol_html
    for socket in sockets.values():
        await socket.disconnect()


async def test_clearing_history_empties_only_that_members_tabs(
    alice: User, bob: User
) -> None:
    chat = await call(make_group, alice, bob)
    sockets = {u.username: await open_socket(u) for u in (alice, bob)}
    await drain(*sockets.values())

    await call(do_clear_history, await call(membership, bob, chat))

    html = await one_frame(sockets["bob"])
    assert re.search(rf'<ol id="messages-{chat.pk}"[^>]*hx-swap-oob="true"', html)
    assert "created the group" not in html
    assert await sockets["alice"].receive_nothing(timeout=0.3)
    for socket in sockets.values():
        await socket.disconnect()


@pytest.mark.parametrize("size", [3, 12])
async def test_group_change_renders_each_panel_once_with_constant_queries(
    size: int,
    make_user: Callable[..., User],
    django_assert_num_queries,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chat import events

    def arrange() -> tuple[Chat, list[User]]:
        owner = make_user("owner")
        members = [make_user(f"member{i}") for i in range(size)]
        return make_group(owner, *members), [owner, *members]

    chat, users = await call(arrange)
    line = await call(
        lambda: chat.messages.order_by("-pk").values_list("pk", flat=True).first()
    )
    rendered: list[int] = []
    render_panel = fragments.group_panel

    def counting(panel: GroupPanel) -> str:
        rendered.append(panel.viewer_id)
        return render_panel(panel)

    monkeypatch.setattr(fragments, "group_panel", counting)

    def fan_out() -> None:
        # the system line, memberships with rows and then their chat,
        # unread totals, its predecessor (a line has no sender to find
        # remarks for); the panels: members, announcements, invitations,
        # remarks, friends
        with django_assert_num_queries(10):
            events.group_changed(chat.pk, line, [])

    await call(fan_out)

    assert sorted(rendered) == sorted(u.pk for u in users)
    assert not await call(lambda: ChatInvitation.objects.exists())


async def test_muting_and_pinning_update_the_members_own_tabs_only(
    alice: User, bob: User
) -> None:
    from chat.actions import do_update_member_settings

    chat = await call(make_group, alice, bob)
    sockets = {u.username: await open_socket(u) for u in (alice, bob)}
    await drain(*sockets.values())

    await call(
        do_update_member_settings,
        await call(membership, bob, chat),
        muted=True,
        pinned=True,
        nickname="",
    )

    html = await one_frame(sockets["bob"])
    assert re.search(rf'id="chat-row-{chat.pk}"[^>]*data-sort="1\|', html)
    assert 'title="Muted"' in html
    assert await sockets["alice"].receive_nothing(timeout=0.3)
    for socket in sockets.values():
        await socket.disconnect()


async def test_new_nickname_reaches_every_members_panel(alice: User, bob: User) -> None:
    from chat.actions import do_update_member_settings

    chat = await call(make_group, alice, bob)
    sockets = {u.username: await open_socket(u) for u in (alice, bob)}
    await drain(*sockets.values())

    await call(
        do_update_member_settings,
        await call(membership, bob, chat),
        muted=False,
        pinned=False,
        nickname="Bobby",
    )

    alice_html = await sockets["alice"].receive_from(timeout=3)
    assert ">Bobby</span>" in alice_html
    assert "@bob" in alice_html
    await drain(*sockets.values())
    for socket in sockets.values():
        await socket.disconnect()


async def test_catch_up_in_a_group_brings_its_panel_and_the_invitation_box(
    alice: User, bob: User
) -> None:
    import json

    chat = await call(make_group, alice, bob)
    tab = await open_socket(bob)
    await drain(tab)

    await tab.send_to(
        text_data=json.dumps({"action": "catch_up", "chat": chat.pk, "after": 0})
    )

    html = await tab.receive_from(timeout=3)
    assert f'id="group-panel-{chat.pk}"' in html
    assert 'id="invitation-box"' in html
    await tab.disconnect()


async def test_tab_that_missed_its_removal_learns_it_when_catching_up(
    alice: User, bob: User
) -> None:
    import json

    chat = await call(make_group, alice, bob)
    await call(
        do_change_member,
        await call(membership, alice, chat),
        GroupAction.REMOVE,
        bob.pk,
    )
    tab = await open_socket(bob)
    await drain(tab)

    await tab.send_to(
        text_data=json.dumps({"action": "catch_up", "chat": chat.pk, "after": 0})
    )

    html = await tab.receive_from(timeout=3)
    assert "You are not in that chat." in html
    assert f'id="composer-{chat.pk}"' in html
    assert "data-chat-ended" in html
    assert "created the group" not in html
    await tab.disconnect()
