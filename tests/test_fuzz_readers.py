"""A bounded run of the readers' fuzzing target (reliability.md: atheris in CI).

The target (`tests/fuzz/fuzz_readers.py`) reads and checks mutated CSV and XLSX bytes as a file
of each feed; anything but a file refused with a reason is a crash. libFuzzer exits the process
when it stops, so it runs in a subprocess, from the samples as seed corpus.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from marketplace.config import SAMPLES_DIR

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "tests" / "fuzz" / "fuzz_readers.py"
SECONDS = 20


def test_readers_survive_a_bounded_fuzzing_run(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for sample in [*SAMPLES_DIR.glob("*.csv"), *SAMPLES_DIR.glob("*.xlsx"),
                   *SAMPLES_DIR.glob("orders/*.csv")]:
        shutil.copy(sample, corpus / sample.name)
    run = subprocess.run(
        [sys.executable, str(TARGET), f"-max_total_time={SECONDS}", "-rss_limit_mb=4096",
         f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=SECONDS * 10, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-4000:]  # a crash: the input is in tmp_path
    done = re.search(r"Done (\d+) runs", run.stderr)
    assert done and int(done.group(1)) >= 100, run.stderr[-2000:]
