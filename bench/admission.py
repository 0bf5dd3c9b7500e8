"""The admission trade-off: `python -m bench.admission` (a model, no AWS).

One client address (an IPv4 behind a carrier NAT, or an IPv6 /56) brings N real new
visitors to one site in a day. They arrive as a Poisson process whose hourly rate
follows a portal's day (PROFILE, local hours: quiet at night, peaks mid-morning and
evening, the peak hour 1.7x the mean). For each rule, the share of those visitors
refused (counted as page views only), averaged over DAYS simulated days:

- the old rule, at most 2,000 visitor items per address and day;
- a fixed window of C new visitors per address and minute, after U unchecked.

And the other side: the most one address can add in a day under each rule.
"""

from __future__ import annotations

import random
from collections import Counter

# Hourly weights of a Vietnamese portal's day (00:00-23:00 local), mean 1.
PROFILE = [
    0.25, 0.15, 0.1, 0.1, 0.15, 0.35, 0.7, 1.1, 1.5, 1.7, 1.7, 1.5,
    1.2, 1.1, 1.4, 1.5, 1.4, 1.2, 1.0, 1.2, 1.5, 1.6, 1.2, 0.7,
]  # fmt: skip
DAYS = 20
UNCHECKED = 20
SIZES = (2_000, 5_000, 10_000, 20_000, 40_000)
CAPS = (10, 20, 30, 60)


def arrivals(visitors_per_day: int, rng: random.Random) -> list[float]:
    """Arrival minutes of one day's visitors (Poisson, rate by PROFILE)."""
    scale = visitors_per_day / (60 * sum(PROFILE))
    minutes: list[float] = []
    for hour, weight in enumerate(PROFILE):
        rate = weight * scale  # per minute
        t = 0.0
        while True:
            t += rng.expovariate(rate)
            if t >= 60:
                break
            minutes.append(hour * 60 + t)
    return minutes


def refused_per_minute(minutes: list[float], cap: int, unchecked: int) -> int:
    """Visitors refused by a fixed window of `cap` per minute after `unchecked` free ones."""
    per_minute = Counter(int(m) for m in sorted(minutes)[unchecked:])
    return sum(max(0, n - cap) for n in per_minute.values())


def main() -> None:
    print(f"{'visitors/day':>12} {'2,000/day':>10}", *(f"{c:>4}/min" for c in CAPS))
    for size in SIZES:
        rng = random.Random(size)
        days = [arrivals(size, rng) for _ in range(DAYS)]
        total = sum(len(d) for d in days)
        daily = sum(max(0, len(d) - 2000) for d in days) / total
        caps = [sum(refused_per_minute(d, c, UNCHECKED) for d in days) / total for c in CAPS]
        busiest = max(max(Counter(int(m) for m in d).values()) for d in days)
        print(
            f"{size:>12,} {daily:>10.1%}",
            *(f"{r:>8.2%}" for r in caps),
            f"  (busiest minute: {busiest})",
        )
    print("most one address adds in a day:", "2,000 (daily rule);", end=" ")
    print(", ".join(f"{c * 1440:,} + 20 per warm instance ({c}/min)" for c in CAPS))


if __name__ == "__main__":
    main()
