"""`bizsight ask` benchmark: accuracy on the evaluation sets and the parser's time per question,
against a baseline measured in the same run.

    python benchmarks/bench_ask.py [--project DIR] [--repeat 5]

Without ``--project`` it builds the small demo (300 customers, two years, seed 7) in a temporary
directory, as the tests do. Contenders, on the same vocabulary (the project's catalogue and the
members read from its warehouse once):

* **bizsight**: ``read_question`` (metrics/questions.py);
* **exact names**: the catalogue's metric and dimension names and labels found verbatim in the
  question, "by <dimension>" as a grouping, members as filters; no synonyms, typos, periods,
  grains, ranking or comparisons; declines when it finds no metric. What a keyword search gives.

Accuracy: share of questions read as the expected query object (declines count when both are
null). Time: per question, mean, 95th percentile and maximum over ``--repeat`` passes, the same
of the first pass alone (cold caches), and the one-off time to read the members and build the
vocabulary. The bizsight reader runs first, so its first pass is the coldest of the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.ask_score import EVAL_SET, HOLDOUT_SET, load, misses

from bizsight.metrics.definitions import Catalogue
from bizsight.metrics.query import Filter, Query
from bizsight.metrics.question_words import Vocabulary, tokens
from bizsight.metrics.questions import read_question
from bizsight.services.ask import question_vocabulary
from bizsight.services.project import Project
from bizsight.services.query import catalogue


def exact_names(question: str, cat: Catalogue, vocab: Vocabulary) -> Query | None:
    text = " " + " ".join(tokens(question)) + " "
    phrase = {name: [name.replace("_", " "), " ".join(tokens(m.label))] for name, m in cat.metrics.items()}
    metrics = [n for n, forms in phrase.items() if any(f" {f} " in text for f in forms)]
    if not metrics:
        return None
    dims = [
        n
        for n, d in cat.dimensions.items()
        if any(f" by {f} " in text for f in (n.replace("_", " "), " ".join(tokens(d.label))))
    ]
    filters = [
        Filter(dimension=term.name, values=(term.value,))
        for words, term in vocab.phrases.items()
        if term.kind == "member" and term.value and f" {' '.join(words)} " in text
    ]
    return Query(metrics=tuple(metrics), dimensions=tuple(dims), filters=tuple(filters))


def timed(read: Callable[[str], object], questions: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        for q in questions:
            start = time.perf_counter()
            read(q)
            times.append(time.perf_counter() - start)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", help="a built project (default: the small demo, built here)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.project:
        project = Project(Path(args.project))
    else:
        from tests.helpers import demo_project

        root = Path(tempfile.mkdtemp(prefix="bench-ask-"))
        print("building the demo project (300 customers, 2 years, seed 7) ...")
        project = demo_project(root, customers=300, years=2.0, seed=7)
    cat = catalogue(project)
    with project.warehouse(read_only=True) as wh:
        start = time.perf_counter()
        vocab = question_vocabulary(project, wh)
        built = time.perf_counter() - start
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"members read and vocabulary built once: {built * 1000:.0f} ms ({len(vocab.phrases)} phrases)")
    for name, path in (("evaluation set", EVAL_SET), ("held-out set", HOLDOUT_SET)):
        today, cases = load(path)
        readers: dict[str, Callable[[str], Query | None]] = {
            "bizsight": lambda q, t=today: read_question(q, cat, vocab, t).query,
            "exact names": lambda q: exact_names(q, cat, vocab),
        }
        print(f"\n{name}: {len(cases)} questions ({sum(c.expected is None for c in cases)} to decline)")
        print(
            f"{'reader':<12} {'accuracy':>9} {'mean ms':>9} {'p95 ms':>8} {'max ms':>8} {'1st pass p95/max ms':>20}"
        )
        means = {}
        for reader, read in readers.items():
            wrong = misses(cases, read)
            times = timed(read, [c.question for c in cases], args.repeat)
            means[reader] = statistics.mean(times)
            cold = times[: len(cases)]  # the first pass: the typo corrector's cache still empty
            print(
                f"{reader:<12} {1 - len(wrong) / len(cases):>9.1%} {means[reader] * 1000:>9.2f} "
                f"{p95(times) * 1000:>8.2f} {max(times) * 1000:>8.2f} "
                f"{p95(cold) * 1000:>12.2f} / {max(cold) * 1000:.2f}"
            )
        print(f"bizsight / exact names, mean time: {means['bizsight'] / means['exact names']:.1f}x")


if __name__ == "__main__":
    main()
