"""Envelopes read together (``read_envelopes``) are each what reading it alone gives, or left to the one-file
reader where a file needs its care."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flightpipe.core import envelope as envelope_module
from flightpipe.core.envelope import Envelope, ParsedEnvelope, read_envelope, read_envelopes
from flightpipe.core.layout import Board
from flightpipe.sources.formats import record_format
from tests.conftest import FIXTURE_SAMPLE_PAGE

RECORD_TYPE = record_format("aviationstack").record_type


def _envelope(records: list[dict[str, Any]], page_size: int, run_id: str) -> bytes:
    """The real sample's records as the collect stage writes them, in pages of ``page_size``."""
    pages = [{"data": records[i : i + page_size]} for i in range(0, max(len(records), 1), page_size)]
    return Envelope(
        source="aviationstack",
        format="aviationstack",
        airport_icao="EDDF",
        board=Board.DEPARTURES,
        collection_date=dt.date(2023, 7, 19),
        run_id=run_id,
        fetched_at=dt.datetime(2023, 7, 20, 6, tzinfo=dt.UTC),
        pages=pages,
    ).to_bytes()


@pytest.fixture(scope="module")
def envelopes() -> list[bytes]:
    """Three envelopes of different sizes and page counts, one of them with no records at all."""
    records: list[dict[str, Any]] = json.loads(FIXTURE_SAMPLE_PAGE.read_text())["data"]
    return [_envelope(records[:70], 30, "a"), _envelope([], 100, "b"), _envelope(records[70:], 7, "c")]


def _same(together: ParsedEnvelope | None, alone: ParsedEnvelope) -> bool:
    assert together is not None
    return (
        together.meta == alone.meta
        and together.records.equals(alone.records)
        and together.page_lengths == alone.page_lengths
        and together.positions == alone.positions
        and together.rejected == alone.rejected
    )


def test_envelopes_read_together_are_each_what_reading_it_alone_gives(envelopes: list[bytes]) -> None:
    together = read_envelopes(envelopes, RECORD_TYPE)

    alone = [read_envelope(data, RECORD_TYPE) for data in envelopes]
    assert [_same(t, a) for t, a in zip(together, alone, strict=True)] == [True, True, True]
    assert [len(a.records) for a in alone] == [70, 0, len(alone[2].records)]
    assert alone[2].page_lengths is not None and len(alone[2].page_lengths) > 1


@pytest.mark.parametrize("joined", [[[0], [1], [2]], [[0, 1], [2]], [[0, 1, 2]]])
def test_files_over_the_joined_read_limit_are_read_in_several_calls_with_the_same_result(
    envelopes: list[bytes], joined: list[list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = [len(data) for data in envelopes]
    calls: list[int] = []
    read_json = envelope_module._read_json

    def counted(data: bytes, *args: Any) -> Any:
        calls.append(len(data))
        return read_json(data, *args)

    # The limit the largest call just fits; a file over the limit is read alone (the limit 1: every file).
    limit = 1 if all(len(c) == 1 for c in joined) else max(sum(sizes[i] for i in c) for c in joined)
    monkeypatch.setattr(envelope_module, "JOINED_READ_BYTES", limit)
    monkeypatch.setattr(envelope_module, "_read_json", counted)

    together = read_envelopes(envelopes, RECORD_TYPE)

    assert calls == [sum(sizes[i] for i in chunk) + len(chunk) - 1 for chunk in joined]  # joined by newlines
    alone = [read_envelope(data, RECORD_TYPE) for data in envelopes]
    assert [_same(t, a) for t, a in zip(together, alone, strict=True)] == [True, True, True]


def test_a_truncated_file_is_left_to_the_one_file_reader_and_the_others_are_still_read_together(
    envelopes: list[bytes],
) -> None:
    truncated = envelopes[0][: len(envelopes[0]) // 2]

    together = read_envelopes([envelopes[0], truncated, envelopes[2]], RECORD_TYPE)

    assert together[1] is None
    assert _same(together[0], read_envelope(envelopes[0], RECORD_TYPE))
    assert _same(together[2], read_envelope(envelopes[2], RECORD_TYPE))


def test_a_file_of_two_envelopes_next_to_an_empty_one_cannot_pass_for_two_files(envelopes: list[bytes]) -> None:
    # Joined, the two envelopes and the empty file would be two rows for two files; the empty file is left out
    # (it is not an object), and the two envelopes are then one row too many, so none is read together.
    two = envelopes[0] + b"\n" + envelopes[2]

    assert read_envelopes([two, b"  \n", envelopes[2]], RECORD_TYPE) == [None, None, None]


@pytest.mark.parametrize(
    ("name", "breaks"),
    [
        ("a record with text that is not UTF-8", lambda data: data.replace(b'"name":"', b'"name":"\xff', 1)),
        ("a null pages list", lambda data: data.replace(b'"pages":[', b'"pages":null,"x":[', 1)),
        ("a page without its records list", lambda data: data.replace(b'"data":', b'"other":', 1)),
        ("a fetched_at without its zone", lambda data: data.replace(b'+00:00"', b'"', 1)),
    ],
)
def test_a_file_the_one_file_reader_repairs_or_rejects_leaves_every_file_to_it(
    envelopes: list[bytes], name: str, breaks: Any
) -> None:
    broken = breaks(envelopes[0])
    assert broken != envelopes[0], name

    assert read_envelopes([broken, envelopes[2]], RECORD_TYPE) == [None, None]


#: Files a joined read must never take for another file's envelope (nor two files for one).
HOSTILE = (
    b"",
    b"  \n ",
    b"{}",
    b'{"source": "x"}',
    b'{"a": 1}\n{"b": 2}',
    b'{"source": "aviationstack", "pages": [',
    b'], "x": {}}',
    b'"a string"',
    b"[1, 2]",
    b"null",
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.integers(0, 2), st.sampled_from(HOSTILE)), min_size=1, max_size=8))
def test_whatever_files_are_read_together_each_result_is_that_files_own_or_left_to_the_one_file_reader(
    envelopes: list[bytes], picks: list[int | bytes]
) -> None:
    datas = [envelopes[p] if isinstance(p, int) else p for p in picks]

    together = read_envelopes(datas, RECORD_TYPE)

    for data, parsed in zip(datas, together, strict=True):
        if parsed is not None:
            assert _same(parsed, read_envelope(data, RECORD_TYPE))
    if all(isinstance(p, int) for p in picks):  # envelopes as the pipeline writes them: all read together
        assert None not in together
