"""Publish a closed month's files: payouts.csv|xlsx, the SEPA file, statements and invoices.

Every key is fixed by the month and the seller (or invoice number), so publishing again (a
re-issue, a rerun after a crash between the commit and the files) replaces the same files and
never adds a second set. Statements and invoices are CPU-bound (XLSX, PDF): with many sellers
they are written by a pool of worker processes (`processes`, 2 by default), invoices and
statements in slices, each worker opening its own storage and identity; the invoice register,
which each slice rewrites for its own invoices, is written whole once the slices are done.

The month's own list and bank file (payouts.csv|xlsx, the SEPA file) are written last, and
taken down again if one of them fails: a close that failed on storage left a SEPA file for
finance to send beside half its statements, and said "failed" (reliability.md: published or
not at all). The run is retried whole: the month stays unpublished until every file is out.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context

import pandas as pd

from marketplace.config import Settings
from marketplace.layout import safe_key
from marketplace.storage import Storage, open_storage
from reports.payout_files import payouts_csv, payouts_xlsx
from reports.statements import build_statements, chunked, write_chunk

POOL_THRESHOLD = 200  # below this many sellers, starting processes costs more than it saves


def month_key(month: str, name: str) -> str:
    return safe_key("outbox", "payouts", month, name)


def write_invoices(settings: Settings, month: str, invoices: list) -> list[str]:
    """The Factur-X documents of these invoices (run in a worker process, or inline); the
    register is written once, for all of them, by the caller."""
    from marketplace.identity import load_identity
    from reports.invoices import write_invoice_pdfs

    if not invoices:
        return []
    return write_invoice_pdfs(open_storage(settings), month, invoices, load_identity(settings))


def publish_month(storage: Storage, settings: Settings, month: str, lines: pd.DataFrame,
                  revenue: pd.DataFrame, entries: pd.DataFrame, sepa_xml: bytes | None,
                  invoices: list, created: datetime, processes: int = 2) -> list[str]:
    """Write every file of the closed month; returns their locations."""
    heads = [("payouts.csv", payouts_csv(lines)),
             ("payouts.xlsx", payouts_xlsx(lines, revenue, month, False, created))]
    heads += [("sepa-credit-transfer.xml", sepa_xml)] if sepa_xml else []
    statements = build_statements(lines, entries)
    if len(statements) < POOL_THRESHOLD or processes < 2:
        documents = write_chunk(settings, month, created, statements) + _located(
            storage, write_invoices(settings, month, invoices))
    else:
        slices = processes * 8
        size = max(1, -(-len(invoices) // slices))
        # spawn, not fork: the caller may hold threads (Prefect, database pools) that a fork
        # copies mid-lock.
        with ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn")) as pool:
            jobs = [pool.submit(write_invoices, settings, month, invoices[i:i + size])
                    for i in range(0, len(invoices), size)]
            jobs += [pool.submit(write_chunk, settings, month, created, chunk)
                     for chunk in chunked(statements, slices)]
            documents = _located(storage, [key for job in jobs for key in job.result()])
    documents += _located(storage, _register(storage, month, invoices))
    return _all_or_none(storage, month, heads) + documents


def _all_or_none(storage: Storage, month: str, files: list[tuple[str, bytes]]) -> list[str]:
    """Write `files` (name, bytes) in order; if one fails, delete those already written (as
    far as the storage lets us) and raise."""
    written: list[str] = []
    try:
        for name, data in files:
            written.append(storage.write_bytes(month_key(month, name), data))
    except Exception:
        for name, _ in files[:len(written)]:
            with contextlib.suppress(Exception):  # the storage is failing: the error is the first
                storage.delete(month_key(month, name))
        raise
    return written


def _located(storage: Storage, keys: list[str]) -> list[str]:
    """Where these files are, as every other file of the run is listed (a path or a URL):
    the invoice writers return keys. Idempotent for what is already a location."""
    return [storage.location(key) if key.startswith("outbox/") else key for key in keys]


def _register(storage: Storage, month: str, invoices: list) -> list[str]:
    from reports.invoices import write_invoice_register

    return [write_invoice_register(storage, month, invoices)] if invoices else []
