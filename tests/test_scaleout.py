"""Two daphne processes on one PostgreSQL and one Redis act as one Nova.

Each test drives real servers (``bin/start``) the way a browser does:
forms posted with the session cookie and the CSRF token, htmx's headers
where htmx would send them, and a real websocket per open tab. A user
whose tab is connected to process A is told, live, what a user working
on process B did.
"""

import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from urllib.parse import urljoin

import aiohttp
import pytest
import pytest_asyncio

from tests.conftest import PASSWORD
from tests.live_server import NovaServer, running_nova, scratch_services

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
        reason="scale-out needs PostgreSQL and Redis: set DATABASE_URL and "
        "REDIS_URL (the second pass of .ci/run does)",
    ),
    pytest.mark.asyncio(loop_scope="module"),
    # pytest-django runs tests without the database last, after the
    # browser tests, whose Playwright loop still runs in this thread then.
    pytest.mark.django_db,
]

# Generous: a loaded CI machine may be slow, and nothing here is timed.
WAIT = 30.0
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CLIENT_TOKEN = re.compile(r'name="client_token" value="([^"]+)"')
RECEIVER = re.compile(r'name="receiver" value="(\d+)"')
CHAT_ROW = re.compile(r'id="chat-row-(\d+)"')


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[NovaServer]]:
    """Processes A and B: one database, one channel-layer prefix, one data
    directory (so one secret key: a session made on A is valid on B)."""
    workdir = tmp_path_factory.mktemp("scaleout")
    with (
        scratch_services() as services,
        running_nova(workdir / "a", services=services, data_dir=workdir / "data") as a,
        running_nova(workdir / "b", services=services, data_dir=workdir / "data") as b,
    ):
        yield [a, b]


class Browser:
    """One person's browser: one cookie jar for every process (they share a
    host name), pages fetched and forms posted on the process named."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.username = ""

    async def page(self, server: NovaServer, path: str) -> str:
        async with self.session.get(urljoin(server.url, path)) as response:
            assert response.status == 200, (path, response.status)
            return await response.text()

    async def post(
        self, server: NovaServer, path: str, data: dict[str, str], form_page: str
    ) -> aiohttp.ClientResponse:
        """Post a form found on ``form_page`` (for its CSRF token)."""
        token = CSRF_FIELD.search(await self.page(server, form_page))
        assert token, f"no form with a CSRF token on {form_page}"
        async with self.session.post(
            urljoin(server.url, path),
            data=data | {"csrfmiddlewaretoken": token.group(1)},
            headers={"Origin": server.url.rstrip("/")},
        ) as response:
            await response.read()
            assert response.status < 400, (path, response.status)
            return response

    async def send_message(self, server: NovaServer, chat_id: int, body: str) -> None:
        """Send as htmx does from the chat page's form."""
        page = await self.page(server, f"chats/{chat_id}/")
        csrf = CSRF_FIELD.search(page)
        client_token = CLIENT_TOKEN.search(page)
        assert csrf
        assert client_token
        async with self.session.post(
            urljoin(server.url, f"chats/{chat_id}/send/"),
            data={"body": body, "client_token": client_token.group(1)},
            headers={
                "HX-Request": "true",
                "X-CSRFToken": csrf.group(1),
                "Origin": server.url.rstrip("/"),
            },
        ) as response:
            assert response.status == 200, await response.text()

    async def open_tab(
        self, server: NovaServer, query: str = ""
    ) -> aiohttp.ClientWebSocketResponse:
        return await self.session.ws_connect(
            server.url.replace("http://", "ws://") + "ws/" + query,
            headers={"Origin": server.url.rstrip("/")},
        )


@pytest_asyncio.fixture(loop_scope="module")
async def browser() -> AsyncIterator[Callable[[], Browser]]:
    sessions: list[aiohttp.ClientSession] = []

    def make() -> Browser:
        # unsafe: keep cookies of an IP address (127.0.0.1), as browsers do.
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(session)
        return Browser(session)

    yield make
    for session in sessions:
        await session.close()


_names = iter(range(1000))


async def registered(make: Callable[[], Browser], server: NovaServer) -> Browser:
    person = make()
    username = f"user{os.getpid()}x{next(_names)}"
    await person.post(
        server,
        "accounts/register/",
        {
            "username": username,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "email": "",
            "phone": "",
        },
        form_page="accounts/register/",
    )
    person.username = username
    return person


async def next_frame(tab: aiohttp.ClientWebSocketResponse, contains: str) -> str:
    """The first frame from now on with ``contains`` in it."""
    while True:
        frame = await tab.receive(timeout=WAIT)
        assert frame.type == aiohttp.WSMsgType.TEXT, frame
        if contains in frame.data:
            return str(frame.data)


async def befriend_across(
    alice: Browser,
    bob: Browser,
    a: NovaServer,
    b: NovaServer,
    alice_tab: aiohttp.ClientWebSocketResponse,
    bob_tab: aiohttp.ClientWebSocketResponse,
) -> int:
    """Bob on B asks Alice, whose tab is on A; Alice accepts on A and Bob's
    tab on B gets the new chat. Returns the chat's id."""
    search = f"friends/?q={alice.username}"
    receiver = RECEIVER.search(await bob.page(b, search))
    assert receiver
    await bob.post(
        b,
        "friends/requests/",
        {"receiver": receiver.group(1), "note": "from process B"},
        form_page=search,
    )
    request = await next_frame(alice_tab, "from process B")
    assert bob.username in request

    bob_id = re.search(r"requests/from/(\d+)/accept/", request)
    assert bob_id
    await alice.post(
        a,
        f"friends/requests/from/{bob_id.group(1)}/accept/",
        {},
        form_page="friends/",
    )
    row = await next_frame(bob_tab, "chat-row-")
    chat_id = CHAT_ROW.search(row)
    assert chat_id
    return int(chat_id.group(1))


async def test_friend_request_and_new_chat_cross_processes(
    servers: list[NovaServer], browser: Callable[[], Browser]
) -> None:
    """A request sent on B reaches a tab on A; accepting it on A makes the
    chat appear in the sender's tab on B (a new membership, live)."""
    a, b = servers
    alice = await registered(browser, a)
    bob = await registered(browser, b)
    alice_tab = await alice.open_tab(a)
    bob_tab = await bob.open_tab(b)

    chat_id = await befriend_across(alice, bob, a, b, alice_tab, bob_tab)

    page = await bob.page(b, f"chats/{chat_id}/")
    assert alice.username in page


async def test_message_sent_on_one_process_reaches_a_tab_on_the_other(
    servers: list[NovaServer], browser: Callable[[], Browser]
) -> None:
    a, b = servers
    alice = await registered(browser, a)
    bob = await registered(browser, b)
    alice_tab = await alice.open_tab(a)
    bob_tab = await bob.open_tab(b)
    chat_id = await befriend_across(alice, bob, a, b, alice_tab, bob_tab)

    await bob.send_message(b, chat_id, "Hello across processes")

    frame = await next_frame(alice_tab, "Hello across processes")
    assert f"#messages-{chat_id}" in frame
    assert f'id="chat-row-{chat_id}"' in frame


async def test_log_out_on_one_process_closes_the_sessions_tab_on_the_other(
    servers: list[NovaServer], browser: Callable[[], Browser]
) -> None:
    """One session, two processes: logging out through B ends the tab that
    the same session holds open on A."""
    a, b = servers
    alice = await registered(browser, a)
    alice_tab = await alice.open_tab(a)

    await alice.post(b, "accounts/logout/", {}, form_page="chats/")

    await next_frame(alice_tab, "You have been logged out.")
    closing = await alice_tab.receive(timeout=WAIT)
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == 4001


async def test_group_membership_changes_cross_processes(
    servers: list[NovaServer], browser: Callable[[], Browser]
) -> None:
    """Bob makes a group with Alice on B: the chat appears in her tab on A.
    She leaves it on A: Bob's tab on B is told she left."""
    a, b = servers
    alice = await registered(browser, a)
    bob = await registered(browser, b)
    alice_tab = await alice.open_tab(a)
    bob_tab = await bob.open_tab(b)
    await befriend_across(alice, bob, a, b, alice_tab, bob_tab)
    form = await bob.page(b, "chats/groups/new/")
    friend = re.search(r'name="friends" value="(\d+)"', form)
    assert friend

    await bob.post(
        b,
        "chats/groups/new/",
        {"name": "Crew across", "friends": friend.group(1)},
        form_page="chats/groups/new/",
    )
    row = await next_frame(alice_tab, "Crew across")
    chat_id = CHAT_ROW.search(row)
    assert chat_id
    await alice.post(
        a,
        f"chats/{chat_id.group(1)}/leave/",
        {},
        form_page=f"chats/{chat_id.group(1)}/",
    )

    await next_frame(bob_tab, f"{alice.username} left the group")


async def test_presence_changes_cross_processes(
    servers: list[NovaServer], browser: Callable[[], Browser]
) -> None:
    """Alice watches her friends page on A: Bob's last tab closing on B
    turns his dot off, and his first tab opening on B turns it on."""
    a, b = servers
    alice = await registered(browser, a)
    bob = await registered(browser, b)
    alice_tab = await alice.open_tab(a)
    bob_tab = await bob.open_tab(b)
    await befriend_across(alice, bob, a, b, alice_tab, bob_tab)
    friends_tab = await alice.open_tab(a, "?presence=1")
    snapshot = await next_frame(friends_tab, "presence-of-")
    bob_dot = re.search(r'class="presence-dot presence-of-(\d+) is-online"', snapshot)
    assert bob_dot, snapshot
    dot = f"presence-of-{bob_dot.group(1)}"

    await bob_tab.close()

    offline = await next_frame(friends_tab, dot)
    assert f"{dot} is-online" not in offline
    assert "Offline" in offline

    await bob.open_tab(b)

    online = await next_frame(friends_tab, dot)
    assert f"{dot} is-online" in online
