"""Counts per file over the rows of several files held as one table, each file's rows contiguous.

The batch transform counts the facts of every board of a pass at once (``quality.board_facts``): each pyarrow
call costs a fixed few microseconds whatever its length, so one call over a pass's rows instead of one per file
is what makes the counting cheap. The rows of file ``i`` are ``offsets[i]:offsets[i + 1]``; one file is the
case ``offsets_of([rows.num_rows])``, which the counts over a single table use, so both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from flightpipe.core.arrays import numeric_array

Offsets = npt.NDArray[np.int64]


def offsets_of(sizes: Sequence[int]) -> Offsets:
    """The offsets of files of ``sizes`` rows, one after the other."""
    offsets: Offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets


def file_index(offsets: Offsets) -> pa.Array:
    """Per row, the number of its file (int64)."""
    sizes = np.diff(offsets)
    return numeric_array(np.repeat(np.arange(len(sizes), dtype=np.int64), sizes), pa.int64())


def true_positions(mask: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
    """The rows where the boolean ``mask`` (no nulls) holds, in order."""
    return np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)).astype(np.int64)


def sums_by_file(mask: pa.Array | pa.ChunkedArray, offsets: Offsets) -> list[int]:
    """Per file, the rows where the boolean ``mask`` (no nulls) holds."""
    running = np.zeros(len(mask) + 1, dtype=np.int64)
    np.cumsum(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool), out=running[1:])
    return [int(n) for n in running[offsets[1:]] - running[offsets[:-1]]]


def files_of(positions: npt.NDArray[np.int64], offsets: Offsets) -> npt.NDArray[np.int64]:
    """The file of each row position."""
    return (np.searchsorted(offsets, positions, side="right") - 1).astype(np.int64)


def first_of_each(files: npt.NDArray[np.int64], limit: int) -> npt.NDArray[np.int64]:
    """The indices of the first ``limit`` items of each file, of items in file order (``files`` nondecreasing)."""
    runs_start = np.searchsorted(files, files, side="left")
    return np.flatnonzero(np.arange(len(files)) - runs_start < limit).astype(np.int64)


def split_by_file(values: Sequence[str], files: npt.NDArray[np.int64], count: int) -> list[list[str]]:
    """``values`` (one per item of ``files``) as one list per file, in order."""
    split: list[list[str]] = [[] for _ in range(count)]
    for value, file in zip(values, files.tolist(), strict=True):
        split[file].append(value)
    return split


def positions_array(positions: npt.NDArray[np.int64]) -> pa.Array:
    """Row positions as an Arrow array for ``take``."""
    return numeric_array(positions, pa.int64())
