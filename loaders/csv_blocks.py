"""The body of a CSV file as UTF-8 bytes, in blocks that each end at a record boundary.

A module of its own because the fast path of `loaders.csv_reader` parses each block with
`pyarrow.csv.read_csv`, on its own: pyarrow's streaming reader (`pyarrow.csv.open_csv`) holds
on to memory that grows with the file (about 450 MB read for 1,000,000 rows, 800 MB for
3,000,000), whole-block reads stay flat. Cutting the blocks is the one thing here: where, and
why a wrong cut is never silent (`record_end`).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator


def record_blocks(handle: io.BufferedReader, codec: str, size: int) -> Iterator[memoryview]:
    """The rest of `handle` as UTF-8, in blocks of about `size` bytes that each end at a record
    boundary (the last one at the end of the file), for pyarrow to parse each on its own.

    Text in another encoding is transcoded block by block (an incremental decoder keeps a
    character cut between two reads). A block ends at a line break outside quotes by quote
    parity (see `record_end`); where a block holds no line break, it grows."""
    decoder = None if codec == "utf-8" else codecs.getincrementaldecoder(codec)()
    pending: list[bytes] = []
    while True:
        raw = handle.read(size)
        data = raw if decoder is None else decoder.decode(raw, final=not raw).encode()
        if b"\x00" in data:  # see `loaders.csv_records.without_nul`
            data = data.replace(b"\x00", b"")
        if not raw:
            # a DOS end-of-file mark (Ctrl-Z) that old ERP exports still append: not a row
            rest = b"".join([*pending, data]).rstrip(b"\x1a")
            if rest:
                yield memoryview(rest)
            return
        pending.append(data)
        if b"\n" not in data and b"\r" not in data:
            continue
        block = b"".join(pending)
        end = record_end(block)
        pending = [block[end:]] if end else [block]
        if end:
            yield memoryview(block)[:end]


def record_end(block: bytes) -> int:
    """Length of the block up to its last line break outside quotes, 0 if it has none.

    Outside quotes is where the block holds an even number of quotes before the line break
    (the block starts a record; RFC 4180 doubled quotes keep the count even). A quote inside
    an unquoted cell (`55" TV`) fools the count for the rest of the block; so when no line
    break is outside quotes by the count, the block ends at its last line break anyway
    (growing it would hold the rest of such a file in memory). A cut inside a quoted cell is
    never silent: pyarrow reads the block's last cell up to the end of the block, its line
    break included (or refuses the row, which `loaders.csv_reader` sees ending inside a
    quote), and the precise path takes over there, as for any cell with a line break. A block
    with no `\n` is cut after a `\r` (old Mac files), but never after its last byte: a `\n`
    may follow in the next read."""
    mark = b"\n" if b"\n" in block else b"\r"
    last = end = block.rfind(mark, 0, len(block) if mark == b"\n" else len(block) - 1)
    quotes = block.count(b'"', 0, end) if b'"' in block else 0
    while end >= 0:
        if quotes % 2 == 0:
            return end + 1
        before = block.rfind(mark, 0, end)
        quotes -= block.count(b'"', before + 1, end)
        end = before
    return last + 1
