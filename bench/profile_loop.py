"""Where a keyplane process spends the gateway loop's time: py-spy samples it while
bench/gateway_loop.py's loop runs, then prints the share of samples per thread and the
functions that take the most of them.

    pip install py-spy   # a profiler, not a dependency of keyplane
    python bench/profile_loop.py [--loop soft|hard|authorize] [--backend sqlite|postgres]
                                 [--seconds 10] [--top 25] [--raw out.txt]

"authorize" runs /v1/authorize alone. Each sample is one stack of one thread (py-spy --idle
also records threads that wait, so the shares say how busy each thread is). Needs ptrace (root).
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import cli, free_port, start_keyplane, stop, wrk  # noqa: E402
from bench.gateway_loop import MODEL, _admin, loops, run_loop  # noqa: E402
from bench.two_instances import create_keys  # noqa: E402

# leaves where a thread waits: the event loop's own (uvloop's C code: epoll, or its C-level work),
# aiosqlite's queue, thread pools
IDLE_FRAMES = ("Runner.run (asyncio/runners.py", "select (selectors.py", "_worker (concurrent/futures/thread.py",
               "get (queue.py", "wait (threading.py", "_connection_worker_thread (aiosqlite/core.py:59)")


def summarize(raw: Path, top: int) -> None:
    """py-spy's raw format: one line per distinct stack, 'thread;frame;frame;... count'."""
    threads: collections.Counter = collections.Counter()
    busy: collections.Counter = collections.Counter()
    self_time: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = frames[0].split(": ", 1)[-1]
        threads[thread] += count
        total += count
        leaf = frames[-1]
        if any(leaf.startswith(idle) for idle in IDLE_FRAMES):
            continue
        busy[thread] += count
        self_time[leaf] += count
        if thread == "MainThread":
            for frame in set(frames[1:]):
                inclusive[frame] += count
    print(f"{total} samples")
    for thread, count in threads.most_common():
        print(f"  {thread:<40} {count / total:6.1%} of samples, busy in {busy[thread] / max(count, 1):6.1%} of its own")
    busy_total = sum(busy.values()) or 1
    print(f"\nself time (share of busy samples), top {top}:")
    for frame, count in self_time.most_common(top):
        print(f"  {count / busy_total:6.1%}  {frame}")
    loop_busy = busy["MainThread"] or 1
    print(f"\ninclusive in the event loop's thread (share of its busy samples), top {top}:")
    frames = [(f, c) for f, c in inclusive.most_common() if c < loop_busy]
    for frame, count in frames[:top]:
        print(f"  {count / loop_busy:6.1%}  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=["soft", "hard", "authorize"], default="soft")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--raw", type=Path, default=None)
    parser.add_argument("--gil", action="store_true",
                        help="sample only the thread holding the GIL (what runs Python, not what waits for it)")
    parser.add_argument("--server", default="postgres://root@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    name = None
    if args.backend == "sqlite":
        url = f"sqlite://{tempfile.mkdtemp(prefix='kp-prof-')}/loop.sqlite3"
    else:
        name = f"kp_prof_{uuid.uuid4().hex[:8]}"
        parts = urlsplit(args.server)
        url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
        asyncio.run(_admin(args.server, f'CREATE DATABASE "{name}"'))
    try:
        cli(url, "migrate")
        cli(url, "org", "create", "bench", "--plan", "enterprise")
        management = cli(url, "token", "create", "--org", "bench")
        gateway = cli(url, "token", "create", "--gateway")
        port = free_port()
        process = start_keyplane(url, port)
        base = f"http://127.0.0.1:{port}"
        raw = args.raw or Path(tempfile.mkdtemp(prefix="kp-prof-")) / "stacks.txt"
        try:
            keys = create_keys(base, management, args.keys)
            pairs = loops(keys)["soft" if args.loop == "authorize" else args.loop]

            def load(seconds: int) -> None:
                if args.loop == "authorize":
                    rate = wrk(base + "/v1/authorize", gateway, {"key": keys[0]["secret"], **MODEL}, seconds=seconds,
                               connections=args.connections)
                    print(f"authorize: {rate:.0f} requests/s")
                else:
                    result = run_loop(base, gateway, pairs, seconds, args.connections)
                    print(f"{args.loop}: {result['pairs']:.0f} pairs/s, p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms")

            load(3)  # warm the caches
            spy = subprocess.Popen(["py-spy", "record", "--gil" if args.gil else "--idle", "--threads", "-f", "raw",
                                    "-r", "200", "-d", str(args.seconds), "-o", str(raw), "-p", str(process.pid)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            runner = threading.Thread(target=load, args=(args.seconds,))
            runner.start()
            runner.join()
            spy.wait(timeout=60)
        finally:
            stop(process)
        summarize(raw, args.top)
    finally:
        if name is not None:
            asyncio.run(_admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
