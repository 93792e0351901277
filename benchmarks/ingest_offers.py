"""Offer-ingest benchmark: our `ingest offers` against the floor this machine allows.

Why this exists: spec/performance.md measured each step alone; a seller waits for the whole
pipeline (read, validate, stage, merge, history, report, archive). This script generates a
deterministic French-Excel-shaped offer file (`;`, decimal comma, UTF-8) and, in the same run,
times the floor (`pandas.read_csv` + a raw PostgreSQL `COPY` into a table with the same key),
our pipeline into PostgreSQL (first load, then a re-load with 10 % of the prices changed), a
plain `sqlite3` executemany against our pipeline into SQLite, and `marketplace validate` of a
10,000-row file. The machine is noisy, so the ratios of one run matter, not the seconds.

Every measured step runs in its own subprocess (`--child STEP`), so that its peak memory
(ru_maxrss) is its own and no import or cache of another step helps or hurts it. It prints a
table and writes `OUT/ingest_offers.json` (one entry per row count, so a `--rows 3000000`
run sits beside the 1M one and shows whether memory stays flat). It does not assert: a
benchmark is not a test; the exit code is 0 unless a step crashes.

    .venv/bin/python benchmarks/ingest_offers.py [--rows 1000000] [--out benchmarks/out]
        [--steps all|floor_read,floor_copy,...] [--database-url URL] [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "bench"
SEED = 20_240_601
BLOCK_ROWS = 250_000
SMALL_ROWS = 10_000
SELLER_ID = 1
HEADER = ("sku", "ean", "titre", "description", "catégorie", "prix", "stock", "état",
          "délai d'expédition", "mode de livraison")
PLAIN_COLUMNS = ("sku", "ean", "titre", "description", "categorie", "prix", "stock", "etat",
                 "delai", "livraison")
STEPS = ("floor_read", "floor_copy", "pg_first", "pg_reload", "sqlite_plain", "sqlite_ours",
         "validate_10k")
PIPELINE_STEPS = ("pg_first", "pg_reload", "sqlite_ours")
PEAK_MB_TARGET = 600
VALIDATE_TARGET_S = 1.5
RATIOS = (  # name, numerator, denominator steps, target
    ("pg_first / floor", "pg_first", ("floor_read", "floor_copy"), 1.5),
    ("pg_reload / floor", "pg_reload", ("floor_read", "floor_copy"), 2.0),
    ("sqlite_ours / sqlite_plain", "sqlite_ours", ("sqlite_plain",), 1.2),
)

# -- the generated files ----------------------------------------------------------------------

PRODUCTS = ("Clavier", "Souris", "Écran", "Casque audio", "Disque SSD", "Chargeur", "Roman",
            "Guide pratique", "Smartphone", "Câble USB-C", "Bouilloire", "Manette", "Webcam")
BRANDS = ("Logitech", "Samsung", "Gallimard", "Philips", "Sony", "Anker", "Hachette", "Moulinex",
          "Nintendo", "Kingston", "Xiaomi", "Folio")
PHRASES = (
    "Livraison rapide depuis notre entrepôt de Lyon.",
    "Garantie constructeur de deux ans incluse.",
    "Produit authentique vendu par un professionnel.",
    "Emballage d'origine soigné et bien protégé.",
    "Compatible avec la plupart des usages du quotidien.",
    "Facture fournie avec chaque commande passée.",
    "Service client joignable du lundi au samedi.",
    "Stock mis à jour chaque nuit par notre équipe.",
)
CONDITIONS = ("neuf", "neuf", "neuf", "new", "comme neuf", "très bon état", "bon état")
DELIVERIES = ("standard", "standard", "tracked")


class Files(NamedTuple):
    main: Path
    reload: Path
    small: Path


def bench_files(out: Path, rows: int) -> Files:
    return Files(out / f"offers-{rows}.csv", out / f"offers-{rows}-reload.csv",
                 out / f"offers-{SMALL_ROWS}.csv")


def physical_categories() -> list[str]:
    """The categories an ordinary physical offer may use (data/reference/categories.csv)."""
    with (PROJECT_ROOT / "data" / "reference" / "categories.csv").open(encoding="utf-8") as f:
        return [r["code"] for r in csv.DictReader(f)
                if r["kind"] == "physical" and r["prohibited"] == "no"]


def ean13(bases):
    """13-digit EANs (int64): each 12-digit base followed by its check digit, vectorised."""
    import numpy as np

    digits = bases[:, None] // 10 ** np.arange(11, -1, -1, dtype=np.int64) % 10
    check = (10 - (digits * np.tile([1, 3], 6)).sum(axis=1) % 10) % 10
    return bases * 10 + check


def _text(values):
    import pyarrow as pa

    return pa.array(values).cast(pa.string())


def _pick(rng, words, count: int):
    import pyarrow as pa

    return pa.array(words).take(rng.integers(0, len(words), count))


def _price_text(cents):
    """Cents as French Excel writes them: 1234 -> "12,34"."""
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(_text(cents // 100),
                                       pc.utf8_lpad(_text(cents % 100), 2, "0"), ",")


def offer_block(block: int, start: int, count: int, categories: list[str]):
    """Rows start..start+count of the file (a pyarrow table) and their prices in cents.

    Each block has its own generator seeded by (SEED, block): the first million rows of the
    3M file are the 1M file, and any block can be rebuilt alone.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng([SEED, block])
    ids = np.arange(start, start + count, dtype=np.int64)
    cents = rng.integers(100, 100_000, count)
    model = pc.binary_join_element_wise("modèle", _text(rng.integers(100, 10_000, count)), " ")
    columns = {
        "sku": pc.binary_join_element_wise("SKU-", pc.utf8_lpad(_text(ids), 8, "0"), ""),
        "ean": _text(ean13(376_000_000_000 + ids)),
        "titre": pc.binary_join_element_wise(_pick(rng, PRODUCTS, count),
                                             _pick(rng, BRANDS, count), model, " "),
        "description": pc.binary_join_element_wise(
            *(_pick(rng, PHRASES, count) for _ in range(3)), " "),
        "categorie": _pick(rng, categories, count),
        "prix": _price_text(cents),
        "stock": _text(rng.integers(0, 500, count)),
        "etat": _pick(rng, CONDITIONS, count),
        "delai": _text(rng.integers(1, 11, count)),
        "livraison": _pick(rng, DELIVERIES, count),
    }
    return pa.table(columns), cents


def changed_prices(block: int, cents):
    """The re-load's prices: exactly 10 % of the block's rows get a different price."""
    import numpy as np

    rng = np.random.default_rng([SEED, block, 1])
    changed = cents.copy()
    rows = rng.choice(len(cents), len(cents) // 10, replace=False)
    changed[rows] += rng.integers(1, 500, len(rows))
    return _price_text(changed)


class _CsvSink:
    """A `;`-separated, unquoted CSV file written block by block, published when complete."""

    def __init__(self, path: Path):
        import pyarrow as pa

        self.path, self.tmp = path, path.with_suffix(".tmp")
        self.handle = pa.OSFile(str(self.tmp), "wb")
        self.handle.write((";".join(HEADER) + "\n").encode("utf-8"))
        self.writer = None

    def write(self, table) -> None:
        import pyarrow.csv as pacsv

        if self.writer is None:
            options = pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none")
            self.writer = pacsv.CSVWriter(self.handle, table.schema, write_options=options)
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()
        self.handle.close()
        os.replace(self.tmp, self.path)


def write_offer_files(rows: int, main: Path, reload: Path | None) -> None:
    """The offer file of `rows` rows and, if asked, its re-load twin (10 % of prices changed)."""
    categories = physical_categories()
    sinks = [_CsvSink(main)] + ([_CsvSink(reload)] if reload else [])
    for block, start in enumerate(range(0, rows, BLOCK_ROWS)):
        table, cents = offer_block(block, start, min(BLOCK_ROWS, rows - start), categories)
        sinks[0].write(table)
        if reload:
            sinks[1].write(table.set_column(5, "prix", changed_prices(block, cents)))
    for sink in sinks:
        sink.close()


def ensure_files(files: Files, rows: int, regenerate: bool) -> float:
    """Generate what is missing (the content is deterministic); returns the seconds spent."""
    started = time.perf_counter()
    if regenerate or not (files.main.exists() and files.reload.exists()):
        write_offer_files(rows, files.main, files.reload)
    if regenerate or not files.small.exists():
        write_offer_files(SMALL_ROWS, files.small, None)
    return time.perf_counter() - started


# -- databases -----------------------------------------------------------------------------------


def bench_url(url: str) -> str:
    """The benchmark's own database next to the given one: the tests' schema stays untouched."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_bench_database(url: str) -> None:
    import psycopg

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,))
        if found.fetchone() is None:
            conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")


def fresh_catalog(url: str):
    """A migrated, empty catalog with one active seller; PostgreSQL in the bench database."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from marketplace.db import make_engine
    from marketplace.migrate import upgrade
    from marketplace.models import Seller

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add(Seller(seller_id=SELLER_ID, shop_name="Bench", legal_name="Bench SAS",
                           status="active"))
    return engine


def settle(engine=None) -> None:
    """Before a timer starts: do the housekeeping an earlier step left due, so that it is not
    billed to this one. Flush what is dirty (page cache, PostgreSQL's WAL), and on PostgreSQL
    run the VACUUM ANALYZE that autovacuum starts within a minute of a big load: a seller's
    next file finds a catalog with statistics, not one loaded a second ago."""
    os.sync()
    if engine is not None and engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
            connection.exec_driver_sql("CHECKPOINT")


def count(engine, table: str) -> int:
    from sqlalchemy import text

    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def run_ingest(engine, url: str, path: Path, work: Path) -> tuple[float, dict]:
    """Our pipeline on `path`, timed from the call to its return; storage in a temp folder."""
    from loaders.ingest import Ingestor, IngestRequest
    from loaders.offers import OFFERS_FEED
    from marketplace.config import Settings
    from marketplace.storage import LocalStorage

    with tempfile.TemporaryDirectory(dir=work) as store:
        # The default limits (200 MiB, 1M rows) are below the files this benchmark makes.
        settings = Settings(database_url=url, storage=store, max_rows=10**8, max_bytes=10**11)
        ingestor = Ingestor(engine, LocalStorage(Path(store)), settings)
        request = IngestRequest(path, path.name, OFFERS_FEED, seller_id=SELLER_ID)
        settle(engine)
        started = time.perf_counter()
        result = ingestor.ingest(request)
        seconds = time.perf_counter() - started
    return seconds, {"status": result.status, "loaded": result.loaded,
                     "rejected": result.rejected, "warnings": result.warnings,
                     "problems": len(result.problems), "message": result.message}


# -- the measured steps (each in its own process) -----------------------------------------------


def step_floor_read(args, files: Files) -> dict:
    import pandas as pd

    settle()
    started = time.perf_counter()
    frame = pd.read_csv(files.main, sep=";")
    return {"seconds": time.perf_counter() - started, "rows": len(frame)}


FLOOR_DDL = f"""
CREATE SCHEMA IF NOT EXISTS bench;
DROP TABLE IF EXISTS bench.bench_floor;
CREATE TABLE bench.bench_floor (
    seller_id bigint NOT NULL DEFAULT {SELLER_ID},
    {", ".join(f"{c} text" for c in PLAIN_COLUMNS)},
    PRIMARY KEY (seller_id, sku)
)"""


def step_floor_copy(args, files: Files) -> dict:
    import psycopg

    ensure_bench_database(args.database_url)
    copy_sql = (f"COPY bench.bench_floor ({', '.join(PLAIN_COLUMNS)}) FROM STDIN"
                " WITH (FORMAT csv, DELIMITER ';', HEADER)")
    with psycopg.connect(libpq_url(bench_url(args.database_url))) as conn:
        conn.execute(FLOOR_DDL)
        conn.commit()
        settle()
        conn.execute("CHECKPOINT")
        started = time.perf_counter()
        with conn.cursor() as cursor, files.main.open("rb") as source:
            with cursor.copy(copy_sql) as copy:
                while block := source.read(1 << 20):
                    copy.write(block)
            rows = cursor.rowcount
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench.bench_floor")
        conn.commit()
    return {"seconds": seconds, "rows": rows}


def step_pg_first(args, files: Files) -> dict:
    ensure_bench_database(args.database_url)
    url = bench_url(args.database_url)
    engine = fresh_catalog(url)
    seconds, result = run_ingest(engine, url, files.main, args.out)
    return {"seconds": seconds, "rows": count(engine, "offers"), **result}


def step_pg_reload(args, files: Files) -> dict:
    from marketplace.db import make_engine

    url = bench_url(args.database_url)
    engine = make_engine(url)
    before = count(engine, "offers")
    if before == 0:
        raise SystemExit("pg_reload needs the catalog pg_first leaves: run pg_first first")
    seconds, result = run_ingest(engine, url, files.reload, args.out)
    return {"seconds": seconds, "rows": before, "history": count(engine, "offer_history"),
            **result}


def step_sqlite_plain(args, files: Files) -> dict:
    path = fresh_sqlite_path(args.out, "plain")
    columns = ", ".join(PLAIN_COLUMNS)
    connection = sqlite3.connect(path)
    connection.execute(f"CREATE TABLE offers_plain (seller_id INTEGER NOT NULL DEFAULT"
                       f" {SELLER_ID}, {columns}, UNIQUE (seller_id, sku))")
    insert = f"INSERT INTO offers_plain ({columns}) VALUES ({', '.join('?' * len(PLAIN_COLUMNS))})"
    settle()
    started = time.perf_counter()
    with files.main.open(encoding="utf-8", newline="") as source, connection:
        reader = csv.reader(source, delimiter=";")
        next(reader)
        rows = connection.executemany(insert, (tuple(row) for row in reader)).rowcount
    seconds = time.perf_counter() - started
    connection.close()
    remove_sqlite(path)
    return {"seconds": seconds, "rows": rows}


def step_sqlite_ours(args, files: Files) -> dict:
    path = fresh_sqlite_path(args.out, "ours")
    url = f"sqlite:///{path}"
    engine = fresh_catalog(url)
    seconds, result = run_ingest(engine, url, files.main, args.out)
    rows = count(engine, "offers")
    engine.dispose()
    remove_sqlite(path)
    return {"seconds": seconds, "rows": rows, **result}


def fresh_sqlite_path(out: Path, name: str) -> Path:
    path = out / f"bench-{name}.db"
    remove_sqlite(path)
    return path


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def step_validate_10k(args, files: Files) -> dict:
    """The command line as a seller's script runs it: interpreter start-up included."""
    cli = Path(sys.executable).parent / "marketplace"
    command = [str(cli), "validate", "offers", str(files.small), "--seller", str(SELLER_ID),
               "--json"]
    timings, answer = [], {}
    with tempfile.TemporaryDirectory(dir=args.out) as store:
        env = {**os.environ, "MARKETPLACE_STORAGE": store}
        for _ in range(3):
            started = time.perf_counter()
            done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True,
                                  text=True, check=False)
            timings.append(time.perf_counter() - started)
            answer = json.loads(done.stdout) if done.stdout.strip() else {"error": done.stderr}
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": statistics.median(timings), "runs": [round(t, 3) for t in timings],
            "rows": answer.get("rows"), "status": answer.get("status"),
            "problems": answer.get("problems_total"), "peak_mb_cli": round(peak, 1)}


STEP_FUNCTIONS = {
    "floor_read": step_floor_read, "floor_copy": step_floor_copy, "pg_first": step_pg_first,
    "pg_reload": step_pg_reload, "sqlite_plain": step_sqlite_plain,
    "sqlite_ours": step_sqlite_ours, "validate_10k": step_validate_10k,
}


def step_generate(args, files: Files) -> dict:
    """Not measured: the files, written in a child so that the parent process stays small."""
    return {"seconds": ensure_files(files, args.rows, args.regenerate), "rows": args.rows}


def run_child(args) -> int:
    """One step in this process: prints one JSON line {seconds, peak_mb, rows, ...}."""
    step = step_generate if args.child == "generate" else STEP_FUNCTIONS[args.child]
    result = step(args, bench_files(args.out, args.rows))
    result["seconds"] = round(result["seconds"], 3)
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.child == "validate_10k":
        result["peak_mb"] = result.pop("peak_mb_cli")
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


# -- the parent: run the steps, print, save ---------------------------------------------------


def spawn(step: str, args) -> dict:
    """Run one step in a fresh interpreter.

    The parent must stay small: Linux hands a child the parent's peak RSS at exec time
    (ru_maxrss survives fork/vfork + exec), so a parent that had generated the file in-process
    would make every child report at least its size.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step, "--rows",
               str(args.rows), "--out", str(args.out), "--database-url", args.database_url]
    command += ["--regenerate"] if args.regenerate else []
    result = run_step_process(step, command)
    if "error" not in result:
        print(f" {result['seconds']:.2f} s, {result['peak_mb']:.0f} MB")
    return result


def run_step_process(step: str, command: list[str]) -> dict:
    """Run a benchmark step's command; its result is the JSON object of its last stdout line."""
    print(f"  {step} ...", end="", flush=True)
    done = subprocess.run(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
                          check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        print(f" FAILED (exit {done.returncode})")
        return {"error": f"exit {done.returncode}"}
    return json.loads(lines[-1])


def summarize(runs: list[dict]) -> dict:
    """The median of the repetitions' seconds, the highest peak, the last run's details."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    summary = dict(ok[-1])
    summary["seconds"] = round(statistics.median(r["seconds"] for r in ok), 3)
    summary["peak_mb"] = max(r["peak_mb"] for r in ok)
    if len(ok) > 1:
        summary["all_seconds"] = [round(r["seconds"], 3) for r in ok]
    return summary


def compute_ratios(steps: dict) -> list[dict]:
    ratios = []
    for name, top, bottom, target in RATIOS:
        parts = [steps.get(s, {}).get("seconds") for s in (top, *bottom)]
        if None in parts:
            continue
        value = parts[0] / sum(parts[1:])
        ratios.append({"name": name, "value": round(value, 2), "target": target,
                       "met": value <= target})
    return ratios


def limit_checks(steps: dict) -> list[dict]:
    checks = [{"name": f"{s} peak memory (MB)", "value": steps[s]["peak_mb"],
               "target": PEAK_MB_TARGET, "met": steps[s]["peak_mb"] < PEAK_MB_TARGET}
              for s in PIPELINE_STEPS if "peak_mb" in steps.get(s, {})]
    if "seconds" in steps.get("validate_10k", {}):
        wall = steps["validate_10k"]["seconds"]
        checks.append({"name": "validate_10k wall (s)", "value": round(wall, 2),
                       "target": VALIDATE_TARGET_S, "met": wall < VALIDATE_TARGET_S})
    return checks


def step_note(step: str, result: dict) -> str:
    keys = ("status", "loaded", "rejected", "warnings", "history", "problems", "runs")
    return ", ".join(f"{k}={result[k]}" for k in keys if result.get(k) is not None)


def print_report(rows: int, steps: dict, checks: list[dict]) -> None:
    print(f"\n{'step':<14}{'seconds':>9}{'rows/s':>11}{'peak MB':>9}  notes")
    for step, result in steps.items():
        if "error" in result:
            print(f"{step:<14}{'failed':>9}  {result['error']}")
            continue
        rate = (result.get("rows") or rows) / result["seconds"]
        print(f"{step:<14}{result['seconds']:>9.2f}{rate:>11,.0f}{result['peak_mb']:>9.0f}"
              f"  {step_note(step, result)}")
    if {"floor_read", "floor_copy"} <= steps.keys():
        floor = steps["floor_read"]["seconds"] + steps["floor_copy"]["seconds"]
        print(f"{'floor':<14}{floor:>9.2f}{rows / floor:>11,.0f}")
    print()
    for check in checks:
        verdict = "met" if check["met"] else "MISSED"
        print(f"{check['name']:<30}{check['value']:>8}  target {check['target']:<6} {verdict}")


def print_flatness(saved: dict) -> None:
    peaks = {int(r): run["steps"]["pg_first"]["peak_mb"] for r, run in saved.items()
             if "peak_mb" in run["steps"].get("pg_first", {})}
    if len(peaks) > 1:
        print("pg_first peak memory by rows: "
              + ", ".join(f"{r:,}: {mb:.0f} MB" for r, mb in sorted(peaks.items())))


def machine() -> dict:
    versions = {name: metadata.version(name) for name in ("pandas", "sqlalchemy", "psycopg")}
    return {"python": platform.python_version(), **versions, "cpus": os.cpu_count(),
            "platform": platform.platform()}


def save(args, entry: dict) -> dict:
    path = args.out / "ingest_offers.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    saved[str(args.rows)] = entry
    path.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {path}")
    return saved


def run_parent(args) -> int:
    steps = STEPS if args.steps == "all" else tuple(args.steps.split(","))
    unknown = set(steps) - set(STEPS)
    if unknown:
        raise SystemExit(f"unknown steps: {', '.join(sorted(unknown))}; choose from {STEPS}")
    files = bench_files(args.out, args.rows)
    if "error" in spawn("generate", args):
        return 1
    size = files.main.stat().st_size
    print(f"{args.rows:,} rows, {size / 1e6:.0f} MB ({size / args.rows:.0f} bytes a row):"
          f" {files.main}")
    runs: dict[str, list[dict]] = {s: [] for s in steps}
    for _ in range(args.repeat):
        for step in steps:
            runs[step].append(spawn(step, args))
    results = {s: summarize(r) for s, r in runs.items()}
    checks = compute_ratios(results) + limit_checks(results)
    print_report(args.rows, results, checks)
    entry = {"date": datetime.now().isoformat(timespec="seconds"), "rows": args.rows,
             "file_bytes": size, "repeat": args.repeat, "machine": machine(),
             "steps": results, "checks": checks}
    print_flatness(save(args, entry))
    return 1 if any("error" in r for r in results.values()) else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "benchmarks" / "out")
    parser.add_argument("--steps", default="all", help=f"all, or some of: {','.join(STEPS)}")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each step (median)")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the offer files")
    parser.add_argument("--child", choices=(*STEPS, "generate"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_child(args) if args.child else run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
