#!/usr/bin/python3
"""The standard NumPy Kaggle RLE decoder (as in the iMaterialist/Airbus kernels), timed on the
same train.csv rows as bench/rle_bench.cpp. Prints one JSON line: rows/s and MB/s of mask
output (MB = 1e6 mask pixels, as Google Benchmark's bytes_per_second).

usage: rle_numpy_reference.py train.csv [repeats]
"""
import csv
import json
import sys
import time

import numpy as np


def rle_decode(mask_rle, height, width):
    s = mask_rle.split()
    starts, lengths = [np.asarray(x, dtype=int) for x in (s[0::2], s[1::2])]
    starts -= 1
    ends = starts + lengths
    img = np.zeros(height * width, dtype=np.uint8)
    for lo, hi in zip(starts, ends):
        img[lo:hi] = 1
    return img.reshape((width, height)).T  # column-major runs -> (height, width) view


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [(r[1], int(r[2]), int(r[3])) for r in reader]
    pixels = sum(h * w for _, h, w in rows)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for text, h, w in rows:
            rle_decode(text, h, w)
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"rows": len(rows), "seconds": best, "rows_per_s": len(rows) / best,
                      "mb_per_s": pixels / best / 1e6}))


if __name__ == "__main__":
    main()
