"""Benchmark: how Home Assistant's recorder writes many states of one entity in one commit.

Each state row the recorder writes points at the entity's previous one
(``old_state``). When that one is still waiting for the same commit,
SQLAlchemy must insert the chain row by row in order, so writing it costs
more than the same number of rows spread over many entities. This times
one flush of ``n`` pending states with Home Assistant's own ``States`` model
on SQLite in memory: all of one entity, against the same number spread
round-robin over ``--entities`` entities (the reference, in the same run).

    .venv/bin/python -m bench.recorder [--sizes 1000 2000 4000 8000] [--entities 600]
        [--runs 3]

It explains the spread of bench.discovery's one-sensor figures with the
recorder on, and why a prop's fast sensor should be throttled.
"""

from __future__ import annotations

import argparse
import statistics
import time

from homeassistant import const as ha_const
from homeassistant.components.recorder.db_schema import Base, States, StatesMeta
import sqlalchemy
from sqlalchemy import create_engine
from sqlalchemy.orm import Session


def flush_seconds(states: int, entities: int) -> float:
    """Return how long one flush of ``states`` chained states over ``entities`` takes."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        metas = [StatesMeta(entity_id=f"sensor.e{i}") for i in range(entities)]
        session.add_all(metas)
        session.flush()
        previous: dict[int, States] = {}
        for k in range(states):
            e = k % entities
            row = States(
                state=str(k), metadata_id=metas[e].metadata_id, last_updated_ts=float(k)
            )
            if e in previous:
                # What the recorder does when the entity's last state is not
                # committed yet.
                row.old_state = previous[e]
            previous[e] = row
            session.add(row)
        started = time.perf_counter()
        session.flush()
        took = time.perf_counter() - started
        written = session.query(States).count()
        session.commit()
    engine.dispose()
    if written != states:
        raise RuntimeError(f"wrote {written} states of {states}")
    return took


def spread(values: list[float]) -> str:
    """Format min / median / max."""
    return " / ".join(
        f"{v:,.3f}" for v in (min(values), statistics.median(values), max(values))
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1000, 2000, 4000, 8000]
    )
    parser.add_argument("--entities", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"Home Assistant {ha_const.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
        f"SQLite in memory; {args.runs} runs, min / median / max"
    )
    print(
        f"{'states':>7}  {'one entity (s)':>26}  "
        f"{f'{args.entities} entities (s)':>26}  {'ratio':>22}"
    )
    for size in args.sizes:
        one: list[float] = []
        many: list[float] = []
        for _ in range(args.runs):
            one.append(flush_seconds(size, 1))
            many.append(flush_seconds(size, args.entities))
        ratios = [a / b for a, b in zip(one, many, strict=True)]
        print(f"{size:>7}  {spread(one):>26}  {spread(many):>26}  {spread(ratios):>22}")
    sizes = " ".join(str(s) for s in args.sizes)
    print(
        "\nreproduce: .venv/bin/python -m bench.recorder "
        f"--sizes {sizes} --entities {args.entities} --runs {args.runs}"
    )


if __name__ == "__main__":
    main()
