"""Fuzzing target for the readers and every feed's rules (reliability.md: atheris, bounded in CI).

Whatever bytes a seller (or the order system) sends, reading and checking them either goes
through or refuses the file with `FileRejected` (a precise reason, exit code 3): any other
exception is a crash the fuzzer reports with the input that caused it. The input's length
picks the feed (offers, promotions, registry, orders), so one corpus exercises them all.
`tests/test_fuzz_readers.py` runs it for a bounded time from a seed corpus of CSV and XLSX
samples; run it longer by hand with libFuzzer's options:

    .venv/bin/python tests/fuzz/fuzz_readers.py -max_total_time=600 /tmp/corpus data/samples
"""

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["loaders", "schemas"]):
    from loaders.checking import FileChecker, FileRun, IngestRequest
    from loaders.feeds import KINDS, feed_for
    from marketplace.config import Settings
    from marketplace.errors import FileRejected
    from marketplace.storage import LocalStorage

WORK = Path(tempfile.mkdtemp(prefix="fuzz-readers-"))
SETTINGS = Settings(storage=str(WORK / "store"), max_bytes=1024 * 1024, max_rows=20_000,
                    chunk_rows=500)
CHECKER = FileChecker(LocalStorage(WORK / "store"), SETTINGS)
INPUT = WORK / "fichier.csv"
FEEDS = [feed_for(kind) for kind in KINDS]


def test_one_input(data: bytes) -> None:
    INPUT.write_bytes(data)
    feed = FEEDS[len(data) % len(FEEDS)]
    request = IngestRequest(INPUT, INPUT.name, feed, seller_id=7 if feed.seller_scoped else None)
    run = FileRun(request, CHECKER.context(request, None), CHECKER.limits)
    try:
        for _valid in run.chunks():
            pass
    except FileRejected:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
