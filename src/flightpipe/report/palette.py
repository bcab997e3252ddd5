"""One colour per airport, used by every chart and every card of the report, so EDDF is the same blue everywhere.

Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. The five default airports have
fixed colours; any other airport takes the next free colour in the order of the configuration.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    """ICAO code -> colour for ``airports`` (stable for a given configuration)."""
    colours: dict[str, str] = {}
    spare = [c for c in SPARE]
    for code in airports:
        if code in FIXED:
            colours[code] = FIXED[code]
    for code in airports:
        if code not in colours:
            colours[code] = spare.pop(0) if spare else NEUTRAL
    return colours
