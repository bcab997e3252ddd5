"""Arrow arrays: from numpy values without ``pa.array``, and one array of a chunked one.

``pa.array(ndarray)`` asks numpy whether its input is a masked array, and numpy imports ``numpy.ma`` lazily on
that first question: about 40 ms of every process that transforms a file (the daily run's, each transform
worker's), for a module flightpipe never uses. The arrays built here are the same values and type.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def numeric_array(values: np.ndarray, type_: pa.DataType) -> pa.Array:
    """``values`` (one-dimensional, numeric, no nulls) as an Arrow array of the fixed-width numeric ``type_``."""
    contiguous = np.ascontiguousarray(values, dtype=type_.to_pandas_dtype())
    return pa.Array.from_buffers(type_, len(contiguous), [None, pa.py_buffer(contiguous)])


def flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``values`` as one array: the chunks of a chunked array (a table's column) combined."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
