"""Inbox benchmark: what Prefect (and Dask) cost on top of the plain inbox run, per file.

Why this exists: `process_inbox` wraps the plain `loaders.inbox.process_inbox` in Prefect
tasks (one per seller chain, with retries, a per-seller concurrency slot, state reports to the
API), and can fan the chains out over Dask. Ops want that orchestration to cost little next to
the work: the target is under 100 ms per file, (flow seconds − plain seconds) / files.

The inbox: N small seller files (100 rows each; default 2,000) and L large ones (200,000 rows;
default 5), one seller each, so the registry holds N + L sellers. The files are made once with
`benchmarks/ingest_offers.write_offer_files` and hard-linked into each step's inbox.

Steps, each in its own interpreter (`--child STEP`), on a fresh PostgreSQL catalog in the
database `bench_ops` (created if missing; its public schema is recreated by each step):
- `plain`: `loaders.inbox.process_inbox` (no Prefect), one file after the other;
- `flow`: `process_inbox_flow` with its default runner (4 threads), against a temporary Prefect
  server (`prefect_test_harness`: what `prefect server start` runs, with SQLite);
- `flow_serial`: the same with 1 thread, so that (flow_serial − plain) / files is Prefect's
  own cost per file, without the gain of running sellers side by side;
- `dask`: the same flow with MARKETPLACE_DASK_ADDRESS=local (a LocalCluster of 2 worker
  processes, 1 thread each); the cluster's start-up is part of the timed run.
The timer starts after the catalog, the inbox and the Prefect server are ready. It prints a
table and ratios and writes `OUT/process_inbox.json`; it asserts nothing.

    .venv/bin/python benchmarks/process_inbox.py [--small 2000] [--large 5] [--steps plain,flow,dask]
        [--database-url URL] [--out benchmarks/out]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.ingest_offers import (  # noqa: E402 - the project root first
    DEFAULT_URL,
    PROJECT_ROOT,
    fresh_catalog,
    libpq_url,
    machine,
    run_step_process,
    settle,
    write_offer_files,
)

BENCH_DATABASE = "bench_ops"
SMALL_ROWS = 100
LARGE_ROWS = 200_000
STEPS = ("plain", "flow", "flow_serial", "dask")
OVERHEAD_TARGET_MS = 100
T0 = 1_800_000_000  # arrival times: one second apart, small files first


def bench_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def ensure_bench_database(url: str) -> None:
    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,)).fetchone() is None:
            conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")


def source_files(out: Path) -> tuple[Path, Path]:
    """The small and the large offer file (deterministic; made once)."""
    small, large = out / f"inbox-offers-{SMALL_ROWS}.csv", out / f"inbox-offers-{LARGE_ROWS}.csv"
    for path, rows in ((small, SMALL_ROWS), (large, LARGE_ROWS)):
        if not path.exists():
            write_offer_files(rows, path, None)
    return small, large


def fill_inbox(store: Path, small: Path, large: Path, args) -> int:
    """One file per seller: sellers 1..N get the small file, the next L the large one."""
    sources = [small] * args.small + [large] * args.large
    for index, source in enumerate(sources):
        folder = store / "inbox" / "offers" / str(index + 1)
        folder.mkdir(parents=True)
        target = folder / "offres.csv"
        os.link(source, target)  # the archive moves the link, never the source
        os.utime(target, (T0 + index, T0 + index))
    return len(sources)


def add_sellers(engine, count: int) -> None:
    """Sellers 2..count (fresh_catalog made seller 1)."""
    from sqlalchemy import insert

    from marketplace.models import Seller

    with engine.begin() as connection:
        connection.execute(insert(Seller), [
            {"seller_id": s, "shop_name": f"Boutique {s}", "legal_name": f"Vendeur {s} SAS",
             "status": "active"} for s in range(2, count + 1)])


def run_step(step: str, args) -> dict:
    """Prepare a fresh catalog and inbox, then time one way of processing the inbox."""
    url = bench_url(args.database_url)
    store = args.out / f"store-{step}"
    subprocess.run(["rm", "-rf", str(store)], check=True)
    small, large = source_files(args.out)
    files = fill_inbox(store, small, large, args)
    engine = fresh_catalog(url)
    add_sellers(engine, files)
    os.environ.update(MARKETPLACE_DATABASE_URL=url, MARKETPLACE_STORAGE=str(store),
                      MARKETPLACE_DASK_ADDRESS="local" if step == "dask" else "")
    if step == "plain":
        from loaders.inbox import process_inbox
        from marketplace.app import make_ingestor
        from marketplace.config import get_settings

        ingestor = make_ingestor(get_settings())
        settle(engine)
        started = time.perf_counter()
        statuses = [r.status for r in process_inbox(ingestor).results]
        seconds = time.perf_counter() - started
    else:
        from prefect.task_runners import ThreadPoolTaskRunner
        from prefect.testing.utilities import prefect_test_harness

        from flows.ingest import process_inbox_flow  # its runner: MARKETPLACE_DASK_ADDRESS

        if step == "flow_serial":
            serial = ThreadPoolTaskRunner(max_workers=1)
            process_inbox_flow = process_inbox_flow.with_options(task_runner=serial)
        with prefect_test_harness(server_startup_timeout=180):
            settle(engine)
            started = time.perf_counter()
            statuses = [r["status"] for r in process_inbox_flow()]
            seconds = time.perf_counter() - started
    subprocess.run(["rm", "-rf", str(store)], check=True)
    return {"seconds": round(seconds, 2), "files": files,
            "statuses": {s: statuses.count(s) for s in sorted(set(statuses))}}


def spawn(step: str, args) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step, "--small", str(args.small),
               "--large", str(args.large), "--out", str(args.out), "--database-url", args.database_url]
    result = run_step_process(step, command)
    if "error" not in result:
        print(f" {result['seconds']:.1f} s {result['statuses']}")
    return result


def report(steps: dict, files: int) -> list[dict]:
    """Seconds, files per second, and each orchestrated step against the plain run."""
    print(f"\n{'step':<12}{'seconds':>10}{'files/s':>10}{'× plain':>10}{'ms/file over plain':>20}")
    plain = steps.get("plain", {}).get("seconds")
    ratios = []
    for step, result in steps.items():
        if "error" in result:
            print(f"{step:<12}{'failed':>10}")
            continue
        seconds = result["seconds"]
        line = f"{step:<12}{seconds:>10.1f}{files / seconds:>10.1f}"
        if plain and step != "plain":
            overhead_ms = (seconds - plain) / files * 1000
            ratios.append({"step": step, "ratio": round(seconds / plain, 2),
                           "overhead_ms_per_file": round(overhead_ms, 1),
                           "met": overhead_ms < OVERHEAD_TARGET_MS})
            line += f"{seconds / plain:>10.2f}{overhead_ms:>20.1f}"
        print(line)
    for ratio in ratios:
        verdict = "met" if ratio["met"] else "MISSED"
        print(f"{ratio['step']} overhead {ratio['overhead_ms_per_file']} ms/file:"
              f" target < {OVERHEAD_TARGET_MS} ms {verdict}")
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=2000, help="small files (100 rows), one seller each")
    parser.add_argument("--large", type=int, default=5, help="large files (200,000 rows), one seller each")
    parser.add_argument("--steps", default="all", help="all, or a comma list of " + ", ".join(STEPS))
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "benchmarks" / "out")
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        print(json.dumps(run_step(args.child, args)), flush=True)
        return 0
    ensure_bench_database(args.database_url)
    source_files(args.out)
    files = args.small + args.large
    print(f"process_inbox: {args.small} × {SMALL_ROWS} rows + {args.large} × {LARGE_ROWS:,} rows"
          f" = {files} files, PostgreSQL database {BENCH_DATABASE}")
    chosen = STEPS if args.steps == "all" else tuple(args.steps.split(","))
    steps = {step: spawn(step, args) for step in chosen}
    ratios = report(steps, files)
    entry = {"when": time.strftime("%Y-%m-%d %H:%M"), "small": args.small, "large": args.large,
             "steps": steps, "ratios": ratios, "machine": machine()}
    path = args.out / "process_inbox.json"
    path.write_text(json.dumps(entry, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
