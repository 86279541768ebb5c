"""CSV rows from a text stream, where a record that runs on is a bad record instead of the rest of the file.

    for first, last, row, error in csv_rows(text_stream):   # physical line numbers (1-based) of the record
        ...  # row: its fields (error None); or error: why the record starting at line `first` is bad

A quote that is never closed (`2,Head,"He said`) makes Python's csv reader put every following line into
that one field: 100 rows of a file vanish into one record, without a word. So the reader is fed one
physical line at a time, and a record is bad when

* it reaches the end of the file inside a quoted field (the quote was never closed),
* its quoted fields run past MAX_LINE_ENDS line ends (an article has a few hundred paragraphs), or
* it is longer than MAX_CHARS characters (held in memory while it is parsed; article text may be at most
  200,000 characters anyway).

The bad record is reported with the line it starts on, and reading resynchronises at the next line: the
lines after its first are read again as records (the csv reader starts afresh after an error from its
input). That costs linear time: inside a quoted field every quote character comes in a pair (a single one
would have closed it), so no line read again can open a quote that runs on again.
"""

from __future__ import annotations

import collections
import csv
from collections.abc import Iterator
from typing import TextIO

MAX_LINE_ENDS = 10_000
MAX_CHARS = 5 * 1024 * 1024  # as a JSON Lines record (records.MAX_LINE_BYTES)
_READ_CHUNK = 1 << 20


class _RunOn(Exception):
    """Raised from the line feed into the csv reader: the record being parsed is too long."""


class _LineFeed:
    """The physical lines of the stream, one at a time, with the lines of the current record kept so that
    they can be fed again after a bad record."""

    def __init__(self, text: TextIO, max_chars: int = MAX_CHARS) -> None:
        self.text = text
        self.max_chars = max_chars or float("inf")  # 0: no limit
        self.replay: collections.deque[tuple[int, str]] = collections.deque()
        self.record: list[tuple[int, str]] = []  # (line number, line) of the record being parsed
        self.chars = 0
        self.numbered = 0  # physical lines read from the stream so far
        self.hit_end = False  # the current record asked for a line after the last one

    def __iter__(self) -> "_LineFeed":
        return self

    def __next__(self) -> str:
        if self.replay:
            entry = self.replay.popleft()
        else:
            room = self.max_chars - self.chars
            line = self.text.readline(room + 1 if room != float("inf") else -1)
            if not line:
                self.hit_end = True
                raise StopIteration
            self.numbered += 1
            if len(line) > room:
                if not line.endswith(("\n", "\r")):
                    self._skip_rest_of_line()
                self.record.append((self.numbered, ""))  # counted, not kept
                raise _RunOn(f"is longer than {self.max_chars:,} characters (a quote never closed, or a field "
                             "over the raw-input limit: twice --max-input-bytes; 0 = no limit)")
            entry = (self.numbered, line)
        self.record.append(entry)
        self.chars += len(entry[1])
        if len(self.record) > MAX_LINE_ENDS:
            raise _RunOn(f"runs past {MAX_LINE_ENDS:,} line ends (a quote never closed?)")
        return entry[1]

    def _skip_rest_of_line(self) -> None:
        while (chunk := self.text.readline(_READ_CHUNK)) and not chunk.endswith(("\n", "\r")):
            pass

    @property
    def first_line(self) -> int:
        return self.record[0][0] if self.record else self.numbered + 1

    @property
    def last_line(self) -> int:
        return self.record[-1][0] if self.record else self.numbered

    def next_record(self) -> None:
        self.record, self.chars, self.hit_end = [], 0, False

    def drop_record(self) -> int:
        """Forget the current (bad) record and feed its lines after the first again (a line too long to hold
        is skipped). Returns the line number where reading goes on."""
        self.replay.extendleft(reversed([entry for entry in self.record[1:] if entry[1]]))
        self.next_record()
        return self.replay[0][0] if self.replay else self.numbered + 1


def csv_rows(text: TextIO, max_chars: int = MAX_CHARS) -> Iterator[tuple[int, int, list[str] | None, str | None]]:
    """(first line, last line, row, None) per record read, (first line, last line, None, error) per bad one.
    `max_chars`: the longest record held (records.line_limit of the raw-input limit); 0 = no limit.

    `text` must be opened with newline="" (as the csv module asks). Blank lines come as empty rows."""
    csv.field_size_limit(2**31 - 1)  # our limit is the one that speaks
    feed = _LineFeed(text, max_chars)
    reader = csv.reader(feed)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except (_RunOn, csv.Error) as error:
            reason = str(error) if isinstance(error, _RunOn) else f"cannot be parsed ({error})"
        else:
            if not (feed.hit_end and row):
                first, last = feed.first_line, feed.last_line
                feed.next_record()
                yield first, last, row, None
                continue
            # The parse asked for a line after the last one and still gave a row: a quoted field never closed.
            reason = "has a quote that is never closed (it ran to the end of the file)"
        first, last, ended = feed.first_line, feed.last_line, feed.hit_end
        resumes = feed.drop_record()
        after = "" if ended and resumes > feed.numbered else f"; reading went on at line {resumes}"
        yield first, last, None, f"the CSV record starting at line {first} {reason}; it was skipped{after}"
