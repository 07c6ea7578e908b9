"""Draws SQM's favicon (three signal bars on the header's navy) as a 32x32 ICO, no imaging
library needed: python3 scripts/make_favicon.py > sqm/static/sqm/favicon.ico"""

from __future__ import annotations

import struct
import sys

SIZE = 32
NAVY = (0x12, 0x32, 0x4F)
BARS = (0xDC, 0xE7, 0xF3)
ACCENT = (0x3B, 0x9A, 0xE1)


def pixel(x: int, y: int) -> tuple[int, int, int, int]:
    """Colour at (x, y), y counted from the top."""
    corner = 5  # rounded corners: transparent outside a quarter circle
    dx = max(corner - x, x - (SIZE - 1 - corner), 0)
    dy = max(corner - y, y - (SIZE - 1 - corner), 0)
    if dx * dx + dy * dy > corner * corner:
        return (0, 0, 0, 0)
    # Three rising bars, the tallest in the accent colour.
    bars = ((6, 18), (13, 12), (20, 6))
    for i, (left, top) in enumerate(bars):
        if left <= x < left + 5 and top <= y < 26:
            return (*(ACCENT if i == 2 else BARS), 255)
    return (*NAVY, 255)


def ico() -> bytes:
    rows = []
    for y in reversed(range(SIZE)):  # BMP rows go bottom-up
        for x in range(SIZE):
            r, g, b, a = pixel(x, y)
            rows.append(struct.pack("BBBB", b, g, r, a))
    xor = b"".join(rows)
    mask = bytes(SIZE * SIZE // 8)  # alpha carries transparency; AND mask all opaque
    header = struct.pack("<IiiHHIIiiII", 40, SIZE, SIZE * 2, 1, 32, 0, len(xor), 0, 0, 0, 0)
    image = header + xor + mask
    directory = struct.pack("<HHH", 0, 1, 1) + struct.pack(
        "<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16
    )
    return directory + image


if __name__ == "__main__":
    sys.stdout.buffer.write(ico())
