"""How long keyplane takes to check (parse, validate, limit) hostile GraphQL documents, against
the same schema with Strawberry's own limiters (what keyplane used before), and against a
trivial document checked in the same run (the baseline: compare ratios, machines are noisy).

    python bench/hostile_documents.py            # n up to 18 for Strawberry's limiters
    python bench/hostile_documents.py --max-old 20

The "before" column grows 2x per extra fragment; it is measured only up to --max-old.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import strawberry  # noqa: E402
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter  # noqa: E402
from strawberry.schema.config import StrawberryConfig  # noqa: E402

from resolvers.mutations import Mutation  # noqa: E402
from resolvers.queries import Query  # noqa: E402
from schema.build import build_schema  # noqa: E402
from schema.scalars import MONEY_SCALAR, Money  # noqa: E402
from schema.types.keys import ApiKey  # noqa: E402
from schema.types.projects import Organization, Project  # noqa: E402


def strawberry_limiters() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query, mutation=Mutation, types=[ApiKey, Project, Organization],
        extensions=[partial(QueryDepthLimiter, max_depth=12), partial(MaxAliasesLimiter, max_alias_count=30),
                    partial(MaxTokensLimiter, max_token_count=5000)],
        config=StrawberryConfig(scalar_map={Money: MONEY_SCALAR}),
    )


def doubling(n: int) -> str:
    lines = ["query { ...F0 }"] + [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    return "\n".join(lines + [f"fragment F{n} on Query {{ __typename }}"])


def connections(n: int) -> str:
    """Fragments on Project that spread the next one twice through a page of keys."""
    lines = ['query { project(id: "x") { ...P0 } }']
    lines += [f"fragment P{i} on Project {{ apiKeys(first: 1) {{ edges {{ node {{ project {{ ...P{i + 1} }} }} }} }} ...P{i + 1} }}"
              for i in range(n)]
    return "\n".join(lines + [f"fragment P{n} on Project {{ id }}"])


def fan_out(width: int) -> str:
    spreads = " ".join(f"...W{i}" for i in range(width))
    lines = [f"query {{ {spreads} }}"] + [f"fragment W{i} on Query {{ ...Leaf }}" for i in range(width)]
    return "\n".join(lines + ["fragment Leaf on Query { __typename }"])


_ROUND = iter(range(10**9))


def check_seconds(schema, text: str, rounds: int = 3) -> float:
    """Median wall time of one execute_sync (parse + validate + limits; these documents run no resolver I/O).
    Each round's text differs by a comment, so keyplane's parser and validation caches never answer."""
    times = []
    for _ in range(rounds):
        fresh = f"{text}\n# {next(_ROUND)}"
        started = time.perf_counter()
        schema.execute_sync(fresh)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-old", type=int, default=18, help="largest n measured with Strawberry's limiters")
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # Strawberry logs every refused document at ERROR
    new, old = build_schema(), strawberry_limiters()
    baseline = check_seconds(new, "{ __typename }", rounds=20)
    print(f"baseline {{ __typename }}: {baseline * 1e3:.2f} ms\n")
    print(f"{'document':<24} {'bytes':>6} {'keyplane ms':>12} {'x baseline':>11} {'before ms':>12}")
    cases = [(f"doubling n={n}", doubling(n), n) for n in (10, 14, 16, 18, 20, 60, 400)]
    cases += [(f"connections n={n}", connections(n), n) for n in (8, 10, 60)]
    # graphql-core's OverlappingFieldsCanBeMergedRule compares the fragments spread side by side
    # pairwise: quadratic in their number, which the token limit bounds (about 450)
    cases += [(f"fan-out {w}", fan_out(w), 0) for w in (100, 450)]
    for label, text, n in cases:
        now = check_seconds(new, text)
        before = f"{check_seconds(old, text, rounds=1) * 1e3:12.1f}" if n <= args.max_old else f"{'(skipped)':>12}"
        print(f"{label:<24} {len(text):>6} {now * 1e3:12.2f} {now / baseline:11.1f} {before}")


if __name__ == "__main__":
    main()
