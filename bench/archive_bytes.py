"""The event archive's objects, measured: Parquet bytes per hit and the writer's CPU per
object, for objects of a small portal's window and of a full batch (counters.archive.writer);
and the window's state: its bytes per held hit and the CPU of an invocation that only holds
a batch (counters.archive.window).

Hits are made like real ones: random tokens as the hit path draws them, facts and paths
drawn from a few hundred values with a long tail (portals' traffic), a shard and
increasing sequence numbers as the stream gives them.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass
from datetime import date

from counters.aggregation.batches import NotedHit, shard_name
from counters.aggregation.notes import HitNote


@dataclass(frozen=True)
class ObjectFigures:
    hits: int  # hits in one object
    bytes_per_hit: float
    cpu_ms: float  # the writer's CPU for one object (median of a few)


def _hits(count: int, seed: int = 20) -> list[NotedHit]:
    rng = random.Random(seed)

    def tail(prefix: str, n: int) -> str:
        return f"{prefix}{min(int(rng.paretovariate(1.2)), n)}"

    shard, first = shard_name("shardId-00000001772000000000-0123abcd"), 10**24
    made = []
    for i in range(count):
        facts = {
            "source": rng.choice(("(direct)", "Google", "Zalo", "Facebook", tail("site", 300))),
            "browser": rng.choice(("Chrome", "Safari", "Firefox", "Edge", "Samsung Internet")),
            "os": rng.choice(("Android", "Windows", "iOS", "Mac OS X", "Linux")),
            "device": rng.choice(("mobile", "desktop", "tablet")),
            "country": rng.choice(("VN", "VN", "VN", "US", "JP", "(unknown)")),
            "language": rng.choice(("vi", "vi", "en", "(unknown)")),
        }
        if rng.random() < 0.1:
            facts["campaign"] = tail("campaign-", 20)
        note = HitNote(
            token=secrets.token_urlsafe(12),
            day=date(2026, 3, 1),
            hour=rng.randrange(24),
            visits=int(rng.random() < 0.33),
            pageviews=1,
            window=0,
            first_in_window=0,
            new_since_previous=0,
            path=tail("/tin-tuc/bai-viet-so-", 2000),
            facts=facts,
        )
        made.append(NotedHit("portal", note, shard, first + 7 * i, buffered=False))
    return made


def measure(sizes: tuple[int, ...], runs: int = 5) -> dict[int, ObjectFigures]:
    from counters.archive.writer import parquet_bytes

    figures = {}
    for size in sizes:
        hits = _hits(size)
        parquet_bytes(hits)  # warm: DuckDB's import and connection are per instance
        times, length = [], 0
        for _ in range(runs):
            start = time.process_time()
            length = len(parquet_bytes(hits))
            times.append((time.process_time() - start) * 1000)
        figures[size] = ObjectFigures(size, length / size, sorted(times)[runs // 2])
    return figures


@dataclass(frozen=True)
class HoldFigures:
    held: int  # hits in the window's state when the batch comes
    batch: int  # hits the batch brings
    bytes_per_hit: float  # the state's JSON per held hit (counters.archive.window)
    cpu_ms: float  # one invocation that holds the batch: the state read, added to, written
    final_cpu_ms: float  # the window's final one: the state (with the batch) read and decoded


def measure_holding(held: int, batch: int, runs: int = 5) -> HoldFigures:
    """An archive invocation that writes nothing: it reads the window's state, adds the
    batch's hits and answers the state (counters.archive.window)."""
    from counters.archive.window import WindowBuffer

    hits = _hits(held + batch)
    before = WindowBuffer()
    before.add(hits[:held])
    state = before.state()
    whole = WindowBuffer()
    whole.add(hits)
    final_state = whole.state()
    times, finals, size = [], [], 0.0
    for _ in range(runs):
        start = time.process_time()
        buffer = WindowBuffer.from_state(state)
        buffer.add(hits[held:])
        size = buffer.size / len(buffer)
        buffer.due(window_ends=False)
        buffer.state()
        times.append((time.process_time() - start) * 1000)
        start = time.process_time()
        WindowBuffer.from_state(final_state).due(window_ends=True)
        finals.append((time.process_time() - start) * 1000)
    middle = runs // 2
    return HoldFigures(held, batch, size, sorted(times)[middle], sorted(finals)[middle])
