"""The bench's clients: websocket receivers in worker processes, and
senders that post as a browser's htmx does, open-loop.

Every message carries a marker (``bm<number>x``) that survives HTML
escaping; a receiver notes when each marker first reaches each of its
sockets. Times are ``time.monotonic()``, one clock for every process on
the machine, so a sender's clock and a receiver's agree.
"""

import asyncio
import multiprocessing
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

MARKER = re.compile(r"bm(\d+)x")
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


def message_text(number: int) -> str:
    """A message whose marker is past the first 100 characters: a chat
    row's preview (the chat's newest message, which may be a later one)
    shows only those, so only the message itself carries its marker."""
    return f"Bench message {'.' * 100} bm{number}x"


def origin_of(url: str) -> str:
    """The Origin a browser sends from a page of this server."""
    scheme, _, host = url.split("/", 3)[:3]
    return {"ws:": "http:", "wss:": "https:"}.get(scheme, scheme) + "//" + host


# Receivers ---------------------------------------------------------------


async def _receive(
    socket: aiohttp.ClientWebSocketResponse, index: int, arrivals: list[Any]
) -> None:
    async for frame in socket:
        now = time.monotonic()
        if frame.type != aiohttp.WSMsgType.TEXT:
            break
        for number in set(MARKER.findall(frame.data)):
            arrivals.append((index, int(number), now))


async def _receiver_main(conn: Connection, targets: list[tuple[str, str]]) -> None:
    arrivals: list[Any] = []
    closed: list[int] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        sockets = []
        for url, cookie in targets:
            headers = {"Origin": origin_of(url)}
            if cookie:
                headers["Cookie"] = cookie
            sockets.append(
                await session.ws_connect(url, headers=headers, max_msg_size=0)
            )
        tasks = [
            asyncio.create_task(_receive(socket, index, arrivals))
            for index, socket in enumerate(sockets)
        ]
        for index, task in enumerate(tasks):
            task.add_done_callback(lambda _, i=index: closed.append(i))
        conn.send(("ready", len(sockets)))

        loop = asyncio.get_running_loop()
        commands: asyncio.Queue[Any] = asyncio.Queue()
        loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
        while (command := await commands.get()) != "stop":
            if command == "count":
                conn.send(len(arrivals))
            elif command == "report":
                conn.send((list(arrivals), time.process_time(), len(closed)))
                arrivals.clear()
        loop.remove_reader(conn.fileno())
        for socket in sockets:
            await socket.close()


def _receiver_process(conn: Connection, targets: list[tuple[str, str]]) -> None:
    asyncio.run(_receiver_main(conn, targets))


@dataclass
class Report:
    # (socket index across all workers, marker, arrival time)
    arrivals: list[tuple[int, int, float]]
    cpu_seconds: float
    closed_sockets: int


class Receivers:
    """One websocket per ``(url, cookie)``, spread over worker processes."""

    def __init__(self, targets: Sequence[tuple[str, str]], workers: int = 2) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        self.offsets = []
        share = -(-len(targets) // workers)
        for first in range(0, len(targets), share):
            parent, child = context.Pipe()
            process = context.Process(
                target=_receiver_process,
                args=(child, list(targets[first : first + share])),
                daemon=True,
            )
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
            self.offsets.append(first)
        for pipe in self.pipes:
            reply = pipe.recv()
            assert reply[0] == "ready", reply
        self.cpu_seen = [0.0] * len(self.pipes)

    def count(self) -> int:
        for pipe in self.pipes:
            pipe.send("count")
        return sum(pipe.recv() for pipe in self.pipes)

    def report(self) -> Report:
        """What arrived since the last report, and the CPU time it took."""
        for pipe in self.pipes:
            pipe.send("report")
        arrivals: list[tuple[int, int, float]] = []
        cpu = 0.0
        closed = 0
        for index, (pipe, offset) in enumerate(
            zip(self.pipes, self.offsets, strict=True)
        ):
            found, cpu_total, worker_closed = pipe.recv()
            arrivals.extend((offset + i, marker, t) for i, marker, t in found)
            cpu += cpu_total - self.cpu_seen[index]
            self.cpu_seen[index] = cpu_total
            closed += worker_closed
        return Report(arrivals, cpu, closed)

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send("stop")
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


# Senders -----------------------------------------------------------------


class Sender:
    """One signed-in browser tab posting the send form of one chat, with the
    headers htmx adds (``HX-Request``, the CSRF token of ``hx-headers``)."""

    def __init__(self, base_url: str, session_key: str, chat_id: int) -> None:
        self.base_url = base_url
        self.chat_url = f"{base_url}chats/{chat_id}/"
        self.send_url = f"{self.chat_url}send/"
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            cookies={"sessionid": session_key},
            # Keep cookies of 127.0.0.1 (the csrftoken) as a browser does.
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=60),
        )
        self.csrf_token = ""

    async def open_page(self) -> None:
        async with self.session.get(self.chat_url) as response:
            page = await response.text()
            response.raise_for_status()
        match = CSRF_HEADER.search(page)
        assert match, "no CSRF token on the chat page"
        self.csrf_token = match.group(1)

    async def send(self, text: str) -> int:
        """Post one message; return the status (0 for no answer)."""
        headers = {
            "HX-Request": "true",
            "HX-Target": "send-form",
            "HX-Current-URL": self.chat_url,
            "X-CSRFToken": self.csrf_token,
            "Origin": origin_of(self.base_url),
            "Referer": self.chat_url,
        }
        data = {"body": text, "client_token": str(uuid.uuid4())}
        try:
            async with self.session.post(
                self.send_url, data=data, headers=headers
            ) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def close(self) -> None:
        await self.session.close()


class BareSender:
    """A sender of the bench's limit (``bench.asgi``): a bare POST."""

    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}bench/send/"
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=60),
        )

    async def open_page(self) -> None:
        pass

    async def send(self, text: str) -> int:
        try:
            async with self.session.post(self.url, data=text.encode()) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def close(self) -> None:
        await self.session.close()
