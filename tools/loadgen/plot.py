#!/usr/bin/env python3
"""Bar charts (PNG) from pushpin-loadgen JSON lines: delivered messages/s and memory per held
connection, ours vs Pushpin 1.36. Needs only the standard library (matplotlib is not installed
here): the PNG is drawn pixel by pixel with a built-in 5x7 font.

usage: tools/loadgen/plot.py RESULTS.jsonl [OUT_PREFIX]
writes OUT_PREFIX-throughput.png and OUT_PREFIX-memory.png (default: next to RESULTS).
"""
import json
import struct
import sys
import zlib

FONT = {  # 5x7, rows top to bottom, 5 bits each
    'A': [14, 17, 17, 31, 17, 17, 17], 'B': [30, 17, 17, 30, 17, 17, 30], 'C': [14, 17, 16, 16, 16, 17, 14],
    'D': [30, 17, 17, 17, 17, 17, 30], 'E': [31, 16, 16, 30, 16, 16, 31], 'F': [31, 16, 16, 30, 16, 16, 16],
    'G': [14, 17, 16, 23, 17, 17, 15], 'H': [17, 17, 17, 31, 17, 17, 17], 'I': [14, 4, 4, 4, 4, 4, 14],
    'J': [7, 2, 2, 2, 2, 18, 12], 'K': [17, 18, 20, 24, 20, 18, 17], 'L': [16, 16, 16, 16, 16, 16, 31],
    'M': [17, 27, 21, 21, 17, 17, 17], 'N': [17, 17, 25, 21, 19, 17, 17], 'O': [14, 17, 17, 17, 17, 17, 14],
    'P': [30, 17, 17, 30, 16, 16, 16], 'Q': [14, 17, 17, 17, 21, 18, 13], 'R': [30, 17, 17, 30, 20, 18, 17],
    'S': [15, 16, 16, 14, 1, 1, 30], 'T': [31, 4, 4, 4, 4, 4, 4], 'U': [17, 17, 17, 17, 17, 17, 14],
    'V': [17, 17, 17, 17, 17, 10, 4], 'W': [17, 17, 17, 21, 21, 21, 10], 'X': [17, 17, 10, 4, 10, 17, 17],
    'Y': [17, 17, 10, 4, 4, 4, 4], 'Z': [31, 1, 2, 4, 8, 16, 31],
    '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31],
    '3': [31, 2, 4, 2, 1, 17, 14], '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14],
    '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8], '8': [14, 17, 17, 14, 17, 17, 14],
    '9': [14, 17, 17, 15, 1, 2, 12], ' ': [0] * 7, '.': [0, 0, 0, 0, 0, 12, 12], ',': [0, 0, 0, 0, 12, 4, 8],
    '-': [0, 0, 0, 31, 0, 0, 0], '/': [1, 1, 2, 4, 8, 16, 16], '(': [2, 4, 8, 8, 8, 4, 2],
    ')': [8, 4, 2, 2, 2, 4, 8], ':': [0, 12, 12, 0, 12, 12, 0], '=': [0, 0, 31, 0, 31, 0, 0],
    'x': [0, 0, 17, 10, 4, 10, 17], '%': [24, 25, 2, 4, 8, 19, 3],
}
OURS = (32, 110, 200)
UPSTREAM = (200, 90, 40)


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray([255] * (w * h * 3))

    def rect(self, x0, y0, x1, y1, c):
        for y in range(max(0, y0), min(self.h, y1)):
            row = y * self.w * 3
            for x in range(max(0, x0), min(self.w, x1)):
                self.px[row + x * 3:row + x * 3 + 3] = bytes(c)

    def text(self, x, y, s, c=(0, 0, 0), scale=2):
        for ch in s.upper():
            rows = FONT.get(ch, FONT[' '])
            for r, bits in enumerate(rows):
                for col in range(5):
                    if bits & (1 << (4 - col)):
                        self.rect(x + col * scale, y + r * scale, x + (col + 1) * scale, y + (r + 1) * scale, c)
            x += 6 * scale

    def png(self, path):
        raw = b''.join(b'\x00' + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3]) for y in range(self.h))

        def chunk(kind, data):
            return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
        with open(path, 'wb') as f:
            f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', self.w, self.h, 8, 2, 0, 0, 0)) +
                    chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def bars(path, title, groups, unit):
    """groups: list of (label, upstream value or None, ours value or None)."""
    w, h, left, top, bottom = max(220 + 190 * len(groups), 80 + 18 * len(title)), 420, 40, 70, 60
    c = Canvas(w, h)
    c.text(left, 15, title, scale=3)
    c.rect(left, 50, left + 14, 64, UPSTREAM)
    c.text(left + 20, 52, 'PUSHPIN 1.36')
    c.rect(left + 200, 50, left + 214, 64, OURS)
    c.text(left + 220, 52, 'OURS')
    peak = max([v for _, a, b in groups for v in (a, b) if v] or [1])
    base = h - bottom
    c.rect(left, base, w - 20, base + 2, (0, 0, 0))
    for i, (label, up, ours) in enumerate(groups):
        x = left + 20 + i * 190
        for j, (v, col) in enumerate(((up, UPSTREAM), (ours, OURS))):
            if v is None:
                continue
            bh = int((base - top - 30) * v / peak)
            c.rect(x + j * 70, base - bh, x + j * 70 + 60, base, col)
            c.text(x + j * 70, base - bh - 18, fmt(v), scale=2)
        c.text(x, base + 12, label, scale=2)
    c.text(left, h - 22, unit, scale=2)
    c.png(path)


def fmt(v):
    return f'{v / 1000:.1f}K' if v >= 10000 else (f'{v:.1f}' if v < 10 else f'{v:.0f}')


def main():
    src = sys.argv[1]
    prefix = sys.argv[2] if len(sys.argv) > 2 else src.rsplit('.', 1)[0]
    rows = [json.loads(line) for line in open(src) if line.strip()]

    def last(target, scenario, key):
        vals = [r.get(key) for r in rows if r['target'] == target and r['scenario'] == scenario and r.get(key) is not None]
        return vals[-1] if vals else None
    ours = 'ours'
    up = 'pushpin-1.36'
    bars(f'{prefix}-throughput.png', 'DELIVERED MESSAGES/S', [
        ('FANOUT HTTP', last(up, 'fanout', 'deliveries_per_s'), last(ours, 'fanout', 'deliveries_per_s')),
        ('FANOUT ZMQ', last(up, 'fanout-zmq', 'deliveries_per_s'), last(ours, 'fanout-zmq', 'deliveries_per_s')),
        ('MANYCHAN', last(up, 'manychan', 'deliveries_per_s'), last(ours, 'manychan', 'deliveries_per_s')),
        ('LONGPOLL', last(up, 'longpoll', 'cycles_per_s'), last(ours, 'longpoll', 'cycles_per_s')),
    ], 'PER SECOND, HIGHER IS BETTER')
    bars(f'{prefix}-memory.png', 'RSS PER HELD CONNECTION', [
        ('ALL DAEMONS', kb(last(up, 'hold', 'bytes_per_hold')), kb(last(ours, 'hold', 'bytes_per_hold'))),
        ('CONNMGR', kb(last(up, 'hold', 'bytes_per_hold_condure')), kb(last(ours, 'hold', 'bytes_per_hold_pushpin-connmgr'))),
        ('PROXY', kb(last(up, 'hold', 'bytes_per_hold_pushpin-proxy')), kb(last(ours, 'hold', 'bytes_per_hold_pushpin-proxy'))),
        ('HANDLER', kb(last(up, 'hold', 'bytes_per_hold_pushpin-handler')), kb(last(ours, 'hold', 'bytes_per_hold_pushpin-handler'))),
    ], 'KB, LOWER IS BETTER (CONNMGR = CONDURE FOR 1.36)')
    print(f'{prefix}-throughput.png {prefix}-memory.png')


def kb(v):
    return None if v is None else v / 1024


if __name__ == '__main__':
    main()
