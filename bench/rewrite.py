"""Benchmark: number rewriting in-process, and what ``dialer.normalize`` adds over ``accounts.whoami`` live.

1. In-process: the pure pipeline (:func:`dialer.rewrite.rewrite`) over a
   mixed corpus of generated inputs (French, British, American, German
   numbers in every format, URIs, signatures, extensions, internal and short
   numbers, Unicode digits, garbage), with an FR dial plan and two rules.
2. Live: a gunicorn server (SQLite, authentication cache on); calls of
   ``dialer.normalize`` and ``accounts.whoami`` alternate, and the p99 of
   each is measured: the difference is the latency normalize adds.

Prints its figures on the last line.

    .venv/bin/python -m bench.rewrite [--inputs 100000] [--calls 500]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from dialer.rewrite import DialPlan, RewriteError, Rule, rewrite
from testkit.liveserver import LiveServer

PLAN = DialPlan("FR", outside_prefix="0", international_prefix="00", national_prefix="0")
RULES = (
    Rule("FR service numbers", r"^(3\d{3})$", r"0\1", final=True),
    Rule("emergency via the outside line", r"^(1[578]|112)$", r"0\1", final=True),
)

SETUP = """
from django.contrib.auth import get_user_model
from accounts.models import Extension
from dialer.defaults import install_default_rules
user = get_user_model().objects.create_user("alice", password="bench-Password-1")
Extension.objects.create(user=user, number="1001", channel="PJSIP/1001")
install_default_rules("FR", outside_prefix="0")  # 2 rewrite rules, 2 number rules
"""


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _pairs(digits: str, sep: str) -> str:
    return sep.join(digits[i : i + 2] for i in range(0, len(digits), 2))


def make_corpus(count: int, seed: int = 3) -> list[str]:
    """``count`` mixed inputs, the same for a given seed."""
    rng = random.Random(seed)

    def fr_national() -> str:
        return _pairs(
            "0" + rng.choice("1234567") + _digits(rng, 8), rng.choice([" ", ".", "-", "", "\u00a0"])
        )

    generators = [
        (fr_national, 20),
        (lambda: "+33 " + rng.choice("1234567") + " " + _pairs(_digits(rng, 8), " "), 8),
        (lambda: "+33 (0)" + rng.choice("67") + " " + _pairs(_digits(rng, 8), " "), 4),
        (lambda: "0033 " + rng.choice("67") + _digits(rng, 8), 3),
        (lambda: "+44 (0)20 7946 " + _digits(rng, 4), 5),
        (lambda: "07700 900" + _digits(rng, 3), 3),
        (lambda: f"({rng.choice(['650', '212', '415'])}) 253-{_digits(rng, 4)}", 4),
        (lambda: "+1 650 253 " + _digits(rng, 4), 3),
        (lambda: "+49 30 " + _digits(rng, 7), 3),
        (lambda: "tel:+1-650-253-" + _digits(rng, 4) + rng.choice(["", ";ext=12"]), 4),
        (lambda: "sip:+33" + _digits(rng, 9) + "@gw.example.org;user=phone", 2),
        (lambda: "callto:+44" + _digits(rng, 10), 1),
        (
            lambda: (
                f"Jean Dupont\nDirection commerciale\n12 rue de la Paix, 75002 Paris\nTél. {fr_national()}"
            ),
            6,
        ),
        (lambda: f"Tel: +33 (0)1 {_pairs(_digits(rng, 8), ' ')} ext. {_digits(rng, 3)}", 4),
        (lambda: "1" + _digits(rng, 3), 8),
        (lambda: rng.choice(["112", "15", "17", "18", "3949", "3631", "116000"]), 4),
        (lambda: "".join(chr(0xFF10 + int(d)) for d in "06" + _digits(rng, 8)), 2),
        (lambda: "+44 20 7946 0958\r\nApplication: System", 1),
        (lambda: rng.choice(["hello", "", "call me", "A320", "+999 123 456 789", "ext. 12 x"]), 5),
        (lambda: "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(5, 60))), 3),
        (lambda: "x" * 5000, 1),
    ]
    functions = [function for function, _ in generators]
    weights = [weight for _, weight in generators]
    return [rng.choices(functions, weights)[0]() for _ in range(count)]


def in_process(corpus: list[str]) -> tuple[float, float]:
    """Inputs per second through the pure pipeline, and the share that gave a number."""
    dialable = 0
    started = time.perf_counter()
    for text in corpus:
        try:
            rewrite(text, PLAN, RULES)
            dialable += 1
        except RewriteError:
            pass
    elapsed = time.perf_counter() - started
    return len(corpus) / elapsed, dialable / len(corpus)


def _p(durations: list[float], fraction: float) -> float:
    ordered = sorted(durations)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def live(calls: int) -> dict[str, float]:
    """p50/p99 (ms) of whoami and normalize, alternating on one live server."""
    texts = ["+44 (0)20 7946 0958", "Tel: 01 23 45 67 89 ext. 12", "tel:+1-650-253-0000", "1001", "3949"]
    with LiveServer() as server:
        server.manage("shell", "-c", SETUP)
        proxy = server.proxy("alice", "bench-Password-1")
        assert proxy.accounts.whoami()["extension"] == "1001"  # warm-up, fills the authentication cache
        assert proxy.dialer.normalize("3949")["number"] == "03949"
        whoami, normalize = [], []
        for index in range(calls):
            t0 = time.perf_counter()
            proxy.accounts.whoami()
            t1 = time.perf_counter()
            proxy.dialer.normalize(texts[index % len(texts)])
            t2 = time.perf_counter()
            whoami.append(t1 - t0)
            normalize.append(t2 - t1)
    return {
        "whoami_p50": statistics.median(whoami) * 1000,
        "whoami_p99": _p(whoami, 0.99),
        "normalize_p50": statistics.median(normalize) * 1000,
        "normalize_p99": _p(normalize, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs of the in-process corpus")
    parser.add_argument("--calls", type=int, default=500, help="live calls of each procedure")
    args = parser.parse_args()

    corpus = make_corpus(args.inputs)
    rate, dialable = in_process(corpus)
    figures = live(args.calls)
    added = figures["normalize_p99"] - figures["whoami_p99"]
    print(
        f"rewrite in-process: {rate:,.0f} inputs/s over {len(corpus):,} mixed inputs "
        f"({dialable:.0%} dialable) | live: normalize p50 {figures['normalize_p50']:.1f} ms "
        f"p99 {figures['normalize_p99']:.1f} ms, whoami p50 {figures['whoami_p50']:.1f} ms "
        f"p99 {figures['whoami_p99']:.1f} ms: normalize adds {added:+.1f} ms at p99"
    )


if __name__ == "__main__":
    main()
