"""One colour per airport, used by every chart and every card of the report, so EDDF is the same blue everywhere.

Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. The five default airports have
fixed colours; any other airport takes the next free colour in the order of the configuration (after the
spare Okabe-Ito and Tol colours, generated hues).
"""

from __future__ import annotations

import colorsys
import itertools
from collections.abc import Iterator, Sequence

FIXED: dict[str, str] = {
    "EDDF": "#0072B2",  # blue
    "EDDM": "#E69F00",  # orange
    "EDDB": "#009E73",  # bluish green
    "EDDH": "#CC79A7",  # reddish purple
    "EDDL": "#D55E00",  # vermillion
}
SPARE: tuple[str, ...] = ("#56B4E9", "#8C6D1F", "#332288", "#117733", "#882255", "#44AA99", "#999933", "#AA4499")
#: Anything that is not one of the report's airports (routes from elsewhere, airlines).
NEUTRAL = "#7A8794"


def airport_colours(airports: Sequence[str]) -> dict[str, str]:
    """ICAO code -> colour for ``airports``, in their order (stable for a given configuration, all distinct)."""
    taken = {FIXED[code] for code in airports if code in FIXED}
    free = (c for c in itertools.chain(SPARE, _generated()) if c not in taken)
    return {code: FIXED[code] if code in FIXED else next(free) for code in airports}


def _generated() -> Iterator[str]:
    """Beyond the spare colours: hues a golden angle apart, mid lightness, never a colour twice."""
    seen: set[str] = set(SPARE) | set(FIXED.values()) | {NEUTRAL}
    step = 0
    while True:
        step += 1
        red, green, blue = colorsys.hls_to_rgb((step * 0.6180339887) % 1.0, 0.42 + 0.1 * (step % 3), 0.65)
        colour = f"#{round(red * 255):02X}{round(green * 255):02X}{round(blue * 255):02X}"
        if colour not in seen:
            seen.add(colour)
            yield colour
