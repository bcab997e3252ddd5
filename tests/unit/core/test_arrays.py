"""numeric_array: the values and type pa.array gives, without importing numpy.ma."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa

from flightpipe.core.arrays import numeric_array


def test_numeric_array_equals_pa_array_for_a_strided_int64_view_cast_to_int32() -> None:
    values = np.arange(10, dtype=np.int64)[::2]
    built = numeric_array(values, pa.int32())
    assert built.equals(pa.array(values, pa.int32())) and built.type == pa.int32() and built.null_count == 0


def test_numeric_array_and_take_import_no_numpy_ma() -> None:
    probe = (
        "import sys, numpy as np, pyarrow as pa\n"
        "from flightpipe.core.arrays import numeric_array\n"
        "numeric_array(np.repeat(np.arange(3), [1, 2, 3]), pa.int64()).take(numeric_array(np.arange(2), pa.int64()))\n"
        "print('numpy.ma' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
