"""Run Nova's benchmarks and print what they measure (see README.md).

    python -m bench.run all            # what `make bench` runs
    python -m bench.run fanout         # 1 and 2: Nova and the limit
    python -m bench.run history        # 3
    python -m bench.run writers        # 4
    python -m bench.run scaleout       # 5 (needs DATABASE_URL, REDIS_URL)
    python -m bench.run layers         # the two Redis layers side by side

Each benchmark starts its own servers with ``bin/start`` on free ports and
fresh data (``tests.live_server``), and ends with ``key=value`` lines.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench.client import BareSender, Receivers, Sender, message_text
from tests.live_server import ROOT, NovaServer, running_nova, scratch_services

BENCH_APP = {"ASGI_APP": "bench.asgi:application"}
RATES = [5, 10, 20, 40, 80, 160]
SIZES = [10, 50, 200]
SENDERS = 5
# A step passes when nothing is lost and p99 stays under this.
PASS_P99_MS = 200.0
# After the last post of a step: how long to wait for answers and pushes.
DRAIN_SECONDS = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class AnySender(Protocol):
    async def open_page(self) -> None: ...
    async def send(self, text: str) -> int: ...
    async def close(self) -> None: ...


# The server's own figures, from /proc --------------------------------------


def cpu_seconds(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def reset_peak_memory(pids: Sequence[int]) -> None:
    for pid in pids:
        # "5" resets the peak resident set size (VmHWM) to the current one.
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_memory_mb(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


async def quiesce(pids: Sequence[int], limit: float = 60.0) -> None:
    """Wait until the servers are idle: a step after an overloaded one must
    not pay for its backlog."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(pids)
        await asyncio.sleep(0.5)
        if cpu_seconds(pids) - before < 0.05:
            return


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


# Fan-out -------------------------------------------------------------------


@dataclass
class Step:
    label: str
    members: int
    rate: int
    seconds: float
    sent: int
    send_errors: int
    expected: int
    received: int
    latencies_ms: list[float] = field(repr=False)
    server_cpu: float
    server_peak_mb: float
    client_cpu: float
    wall: float

    @property
    def lost(self) -> int:
        return self.expected - self.received

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def passed(self) -> bool:
        return (
            self.lost == 0
            and self.send_errors == 0
            and self.percentile(0.99) < PASS_P99_MS
        )

    @property
    def deliveries_per_second(self) -> float:
        return self.received / self.seconds

    def line(self) -> str:
        return (
            f"{self.label:<12} M={self.members:<4} rate={self.rate:<4} "
            f"expected={self.expected:<6} received={self.received:<6} "
            f"lost={self.lost:<5} errors={self.send_errors:<4} "
            f"p50={self.percentile(0.5):7.1f} p95={self.percentile(0.95):7.1f} "
            f"p99={self.percentile(0.99):7.1f} max={max(self.latencies_ms or [0]):7.1f}"
            f" ms  deliveries/s={self.deliveries_per_second:7.0f} "
            f"server_cpu={self.server_cpu:5.1f}s "
            f"({1000 * self.server_cpu / self.sent:4.0f} ms/msg) "
            f"peak_rss={self.server_peak_mb:5.0f}MB "
            f"client_cpu={self.client_cpu:5.1f}s "
            f"{'pass' if self.passed else 'FAIL'}"
        )


class FanOut:
    """M receivers and S senders of one chat (or of the limit's group)."""

    next_marker = 1

    def __init__(
        self,
        label: str,
        receivers: Receivers,
        senders: Sequence[AnySender],
        members: int,
        pids: Sequence[int],
    ) -> None:
        self.label = label
        self.receivers = receivers
        self.senders = senders
        self.members = members
        self.pids = pids

    async def step(self, rate: int, seconds: float) -> Step:
        await quiesce(self.pids)
        self.receivers.report()  # Forget whatever came late before.
        count = max(1, round(rate * seconds))
        first = FanOut.next_marker
        FanOut.next_marker += count
        cpu_before = cpu_seconds(self.pids)
        reset_peak_memory(self.pids)
        client_before = time.process_time()
        sent_at: dict[int, float] = {}
        posts = []

        started = time.monotonic() + 0.05
        for index in range(count):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            marker = first + index
            sender = self.senders[index % len(self.senders)]
            sent_at[marker] = time.monotonic()
            posts.append(asyncio.create_task(sender.send(message_text(marker))))
        done, pending = await asyncio.wait(posts, timeout=DRAIN_SECONDS)
        for post in pending:
            post.cancel()
        errors = len(pending) + sum(1 for post in done if post.result() // 100 != 2)

        expected = count * self.members
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline and self.receivers.count() < expected:
            await asyncio.sleep(0.05)
        wall = time.monotonic() - started
        report = self.receivers.report()

        seen: set[tuple[int, int]] = set()
        latencies = []
        for socket, marker, arrived in report.arrivals:
            if marker in sent_at and (socket, marker) not in seen:
                seen.add((socket, marker))
                latencies.append((arrived - sent_at[marker]) * 1000)
        return Step(
            label=self.label,
            members=self.members,
            rate=rate,
            seconds=count / rate,
            sent=count,
            send_errors=errors,
            expected=expected,
            received=len(seen),
            latencies_ms=latencies,
            server_cpu=cpu_seconds(self.pids) - cpu_before,
            server_peak_mb=peak_memory_mb(self.pids),
            client_cpu=time.process_time() - client_before + report.cpu_seconds,
            wall=wall,
        )

    async def ladder(
        self, rates: Sequence[int], seconds: float, at_least: int = 0
    ) -> list[Step]:
        """Step up the rates until one fails past ``at_least``."""
        steps = []
        for rate in rates:
            step = await self.step(rate, seconds)
            print(step.line(), flush=True)
            steps.append(step)
            if not step.passed and rate >= at_least:
                break
        return steps


def seed(server: NovaServer, *args: object) -> Any:
    env = server.env | {
        "DJANGO_SETTINGS_MODULE": server.env.get(
            "DJANGO_SETTINGS_MODULE", "nova_site.settings"
        )
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.seed", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout)


def ws_url(server: NovaServer, path: str = "ws/") -> str:
    return server.url.replace("http://", "ws://") + path


async def nova_fanout(
    label: str,
    servers: Sequence[NovaServer],
    sizes: Sequence[int],
    rates: Sequence[int],
    seconds: float,
    at_least: int = 0,
) -> dict[int, list[Step]]:
    """Nova's own fan-out: sockets and senders spread evenly over servers."""
    data = seed(servers[0], "fanout", *sizes)
    pids = [server.process.pid for server in servers]
    results = {}
    for members in sizes:
        users = data["users"][:members]
        targets = [
            (ws_url(servers[i % len(servers)]), f"sessionid={user['session']}")
            for i, user in enumerate(users)
        ]
        receivers = Receivers(targets)
        senders = [
            Sender(
                servers[i % len(servers)].url,
                users[i]["session"],
                data["chats"][str(members)],
            )
            for i in range(SENDERS)
        ]
        try:
            for sender in senders:
                await sender.open_page()
            fan_out = FanOut(label, receivers, senders, members, pids)
            # The summary needs 50 members at 20 msg/s, pass or fail.
            floor = at_least if members == 50 else 0
            results[members] = await fan_out.ladder(rates, seconds, floor)
        finally:
            receivers.close()
            for sender in senders:
                await sender.close()
    return results


async def limit_fanout(
    server: NovaServer, sizes: Sequence[int], rates: Sequence[int], seconds: float
) -> dict[int, list[Step]]:
    """The same load on the bare consumer of ``bench.asgi``."""
    results = {}
    for members in sizes:
        receivers = Receivers([(ws_url(server, "bench/ws/"), "")] * members)
        senders = [BareSender(server.url) for _ in range(SENDERS)]
        try:
            fan_out = FanOut("limit", receivers, senders, members, [server.process.pid])
            results[members] = await fan_out.ladder(rates, seconds)
        finally:
            receivers.close()
            for sender in senders:
                await sender.close()
    return results


def highest_passing(steps: Sequence[Step]) -> Step | None:
    passing = [step for step in steps if step.passed]
    return max(passing, key=lambda step: step.rate) if passing else None


def at_rate(steps: Sequence[Step], rate: int) -> Step | None:
    return next((step for step in steps if step.rate == rate), None)


@contextmanager
def embedded_server(workdir: Path) -> Iterator[NovaServer]:
    """One process on the embedded default: SQLite and the in-memory layer,
    whatever this shell's DATABASE_URL and REDIS_URL say."""
    saved = {
        key: os.environ.pop(key)
        for key in ("DATABASE_URL", "REDIS_URL")
        if key in os.environ
    }
    try:
        with running_nova(workdir, extra_env=BENCH_APP) as server:
            yield server
    finally:
        os.environ.update(saved)


async def bench_fanout(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    print(f"== fan-out (1) and its limit (2): embedded default, load {load()}")
    with embedded_server(workdir / "fanout") as server:
        nova = await nova_fanout(
            "nova", [server], args.sizes, args.rates, args.seconds, at_least=20
        )
        limit = await limit_fanout(server, args.sizes, args.rates, args.seconds)

    summary: dict[str, object] = {}
    r20 = at_rate(nova.get(50, []), 20)
    summary["fanout_m50_r20_p99_ms"] = f"{r20.percentile(0.99):.1f}" if r20 else "n/a"
    summary["fanout_m50_r20_lost"] = r20.lost if r20 else "n/a"
    for members in args.sizes:
        best_nova = highest_passing(nova.get(members, []))
        best_limit = highest_passing(limit.get(members, []))
        print(
            f"M={members}: highest passing rate nova="
            f"{best_nova.rate if best_nova else 0} limit="
            f"{best_limit.rate if best_limit else 0} msg/s"
        )
        if best_limit:
            same = at_rate(nova.get(members, []), best_limit.rate)
            if same:
                rate = same.deliveries_per_second / best_limit.deliveries_per_second
                p99 = same.percentile(0.99) / best_limit.percentile(0.99)
                print(
                    f"M={members} at {best_limit.rate} msg/s: nova/limit "
                    f"deliveries/s={rate:.2f} p99={p99:.1f}x"
                )
        if members == 50:
            ratio = (
                (best_nova.rate if best_nova else 0) / best_limit.rate
                if best_limit
                else float("nan")
            )
            summary["fanout_vs_limit_ratio"] = f"{ratio:.2f}"
    return summary


# History --------------------------------------------------------------------


async def timed_get(
    sender: Sender, url: str, repeat: int, headers: dict[str, str] | None = None
) -> tuple[float, str]:
    """The median time of ``repeat`` GETs of ``url`` in milliseconds, and
    the page."""
    times = []
    page = ""
    for _ in range(repeat + 1):
        started = time.perf_counter()
        async with sender.session.get(url, headers=headers) as response:
            page = await response.text()
            assert response.status == 200, (url, response.status)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:]), page  # The first warms the caches.


OLDER_LINK = re.compile(r'hx-get="[^"]*\?before=(\d+)"')


async def bench_history(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    print(f"== history (3): embedded default, load {load()}")
    with embedded_server(workdir / "history") as server:
        started = time.monotonic()
        data = seed(server, "history", *args.history_sizes)
        print(
            f"generated {sum(args.history_sizes)} messages in "
            f"{time.monotonic() - started:.0f} s"
        )
        reader = Sender(server.url, data["session"], 0)
        times: dict[int, float] = {}
        older: dict[int, float] = {}
        try:
            for size in args.history_sizes:
                chat_url = f"{server.url}chats/{data['chats'][str(size)]}/"
                times[size], page = await timed_get(reader, chat_url, args.repeat)
                # The page's "Older messages" link, as htmx follows it.
                link = OLDER_LINK.search(page)
                assert link, "no older history on the chat page"
                older[size], _ = await timed_get(
                    reader,
                    f"{chat_url}?before={link.group(1)}",
                    args.repeat,
                    {"HX-Request": "true", "HX-Current-URL": chat_url},
                )
                print(
                    f"chat of {size:>9} messages: page {times[size]:6.1f} ms, "
                    f"older page {older[size]:6.1f} ms"
                )
        finally:
            await reader.close()
    smallest, largest = min(args.history_sizes), max(args.history_sizes)
    page_ratio = times[largest] / times[smallest]
    older_ratio = older[largest] / older[smallest]
    print(f"largest/smallest: page {page_ratio:.2f}, older page {older_ratio:.2f}")
    return {"history_ratio": f"{max(page_ratio, older_ratio):.2f}"}


# Writers ----------------------------------------------------------------------


async def bench_writers(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    print(
        f"== writers (4): {args.writers} senders x {args.per_writer} messages "
        f"on SQLite, load {load()}"
    )
    with embedded_server(workdir / "writers") as server:
        data = seed(server, "writers", args.writers)
        senders = [
            Sender(server.url, item["session"], item["chat"])
            for item in data["senders"]
        ]
        statuses: list[int] = []

        async def write(sender: Sender) -> None:
            for index in range(args.per_writer):
                statuses.append(await sender.send(f"Writer line {index}"))

        try:
            for sender in senders:
                await sender.open_page()
            started = time.monotonic()
            await asyncio.gather(*(write(sender) for sender in senders))
            elapsed = time.monotonic() - started
        finally:
            for sender in senders:
                await sender.close()
        counts = seed(server, "count-messages", *(i["chat"] for i in data["senders"]))
    stored = sum(counts["counts"].values())
    errors = sum(1 for status in statuses if status != 200)
    lost = (len(statuses) - errors) - stored
    print(
        f"posted={len(statuses)} errors={errors} stored={stored} lost={lost} "
        f"{stored / elapsed:.0f} msg/s over {elapsed:.1f} s"
    )
    return {"writers_errors": errors, "writers_lost": lost}


# Scale-out --------------------------------------------------------------------


@contextmanager
def scaled_out(
    workdir: Path, processes: int, layer: str = ""
) -> Iterator[list[NovaServer]]:
    """``processes`` daphne processes on one scratch PostgreSQL database and
    one Redis prefix, sharing a data directory (secret key, media)."""
    extra = {"DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_LAYER": layer}
    with ExitStack() as stack:
        services = stack.enter_context(scratch_services())
        servers = [
            stack.enter_context(
                running_nova(
                    workdir / f"p{index}",
                    services=services,
                    data_dir=workdir / "data",
                    extra_env=extra,
                )
            )
            for index in range(processes)
        ]
        yield servers


def _need_services() -> None:
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit("set DATABASE_URL and REDIS_URL (PostgreSQL and Redis)")


async def bench_scaleout(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    _need_services()
    best = {}
    ladders = {}
    for processes in (1, 2):
        print(
            f"== scale-out (5): {processes} process(es), PostgreSQL + Redis, "
            f"M=50, load {load()}"
        )
        with scaled_out(workdir / f"scaleout{processes}", processes) as servers:
            steps = await nova_fanout(
                f"{processes}proc", servers, [50], args.scaleout_rates, args.seconds
            )
        top = highest_passing(steps[50])
        best[processes] = top.rate if top else 0
        ladders[processes] = steps[50]
    ratio = best[2] / best[1] if best[1] else float("nan")
    print(f"highest passing rate: 1 process {best[1]}, 2 processes {best[2]} msg/s")
    # When neither passes a step, the rate both reached still compares
    # what each delivered.
    for one in ladders[1]:
        two = at_rate(ladders[2], one.rate)
        if two and one.received:
            print(
                f"at {one.rate} msg/s: deliveries/s 2 processes / 1 = "
                f"{two.deliveries_per_second / one.deliveries_per_second:.2f}"
            )
    return {"scaleout_ratio": f"{ratio:.2f}"}


async def bench_layers(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    """Nova's fan-out on one process with each Redis layer (settings)."""
    _need_services()
    for layer in ("core", "pubsub"):
        print(f"== layer {layer}: 1 process, PostgreSQL + Redis, load {load()}")
        with scaled_out(workdir / f"layer-{layer}", 1, layer) as servers:
            await nova_fanout(layer, servers, args.sizes, args.rates, args.seconds)
    return {}


BENCHES = {
    "fanout": bench_fanout,
    "history": bench_history,
    "writers": bench_writers,
    "scaleout": bench_scaleout,
    "layers": bench_layers,
}


async def main(args: argparse.Namespace) -> None:
    names = (
        ["fanout", "history", "writers", "scaleout"]
        if args.bench == "all"
        else [args.bench]
    )
    summary: dict[str, object] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nova-bench-") as tmp:
        for name in names:
            summary |= await BENCHES[name](args, Path(tmp))
    print(f"== summary ({time.monotonic() - started:.0f} s, load {load()})")
    for key, value in summary.items():
        print(f"{key}={value}")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("bench", choices=["all", *BENCHES])
    parser.add_argument("--seconds", type=float, default=10.0, help="per rate step")
    parser.add_argument("--rates", type=int, nargs="+", default=RATES)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument(
        "--scaleout-rates",
        type=int,
        nargs="+",
        # Finer than the fan-out's: one process on this machine tops out
        # between 10 and 20 msg/s, and the ratio needs the steps between.
        default=[10, 15, 20, 25, 30, 40, 60, 80, 120, 160],
    )
    parser.add_argument(
        "--history-sizes", type=int, nargs="+", default=[100, 10_000, 1_000_000]
    )
    parser.add_argument("--repeat", type=int, default=20, help="GETs per page")
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--per-writer", type=int, default=100)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
