"""Text widths for laying out the charts without a font engine: DejaVu Sans's advance widths.

DejaVu Sans is the first (and the widest) font the charts ask for, so a label measured here fits in the others
too. The widths are in thousandths of an em, read once from DejaVuSans.ttf (``FT2Font.load_char``'s
``linearHoriAdvance`` at 100 pt); a character not listed counts as 0.7 em, wider than any accented letter.
"""

from __future__ import annotations

_CHARS = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~→…–−±°·"
_WIDTHS = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838, 838,
    1000, 500, 838, 838, 500, 318,
)  # fmt: skip
ADVANCE: dict[str, int] = dict(zip(_CHARS, _WIDTHS, strict=True))
_UNKNOWN = 700


def text_width(text: str, size_pt: float = 10.0) -> float:
    """The width in points of ``text`` set in ``size_pt`` DejaVu Sans."""
    return sum(ADVANCE.get(ch, _UNKNOWN) for ch in text) * size_pt / 1000
