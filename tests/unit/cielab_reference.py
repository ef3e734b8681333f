"""Independent NumPy reference for cielab_test.cpp: sRGB -> CIELAB and CIEDE2000.

The sRGB -> XYZ matrix is derived here from the sRGB primaries and the D65 white point
(IEC 61966-2-1 chromaticities) rather than copied, and CIEDE2000 follows Sharma, Wu and
Dalal (2005), vectorised. Reads raw files written by the test, prints JSON:
  srgb.bin   N x 3 uint8 sRGB codes
  pairs.bin  M x 6 float64 (L1, a1, b1, L2, a2, b2)
"""
import json
import sys

import numpy as np

srgb = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(-1, 3).astype(np.float64) / 255.0
pairs = np.fromfile(sys.argv[2], dtype=np.float64).reshape(-1, 6)

# sRGB primaries and white (x, y) -> the RGB -> XYZ matrix with white mapped to Y = 1.
xy = np.array([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]])
white_xy = np.array([0.3127, 0.3290])
to_xyz = lambda p: np.array([p[0] / p[1], 1.0, (1.0 - p[0] - p[1]) / p[1]])
primaries = np.stack([to_xyz(p) for p in xy], axis=1)
white = to_xyz(white_xy)
scale = np.linalg.solve(primaries, white)
matrix = primaries * scale

linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
xyz = linear @ matrix.T / white
delta = 6.0 / 29.0
f = np.where(xyz > delta ** 3, np.cbrt(xyz), xyz / (3 * delta ** 2) + 4.0 / 29.0)
lab = np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def ciede2000(lab1, lab2):
    L1, a1, b1 = lab1.T
    L2, a2, b2 = lab2.T
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar ** 7 / (c_bar ** 7 + 25.0 ** 7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    h1p = np.where((a1p == 0) & (b1 == 0), 0.0, h1p)
    h2p = np.where((a2p == 0) & (b2 == 0), 0.0, h2p)
    product = c1p * c2p
    dhp = h2p - h1p
    dhp = np.where(dhp > 180, dhp - 360, np.where(dhp < -180, dhp + 360, dhp))
    dhp = np.where(product == 0, 0.0, dhp)
    dLp, dCp = L2 - L1, c2p - c1p
    dHp = 2 * np.sqrt(product) * np.sin(np.radians(dhp) / 2)
    Lbp, Cbp = (L1 + L2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hbp = np.where(np.abs(h1p - h2p) <= 180, hsum / 2,
                   np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2))
    hbp = np.where(product == 0, hsum, hbp)
    T = (1 - 0.17 * np.cos(np.radians(hbp - 30)) + 0.24 * np.cos(np.radians(2 * hbp))
         + 0.32 * np.cos(np.radians(3 * hbp + 6)) - 0.20 * np.cos(np.radians(4 * hbp - 63)))
    dtheta = 30 * np.exp(-(((hbp - 275) / 25) ** 2))
    rc = 2 * np.sqrt(Cbp ** 7 / (Cbp ** 7 + 25.0 ** 7))
    sl = 1 + 0.015 * (Lbp - 50) ** 2 / np.sqrt(20 + (Lbp - 50) ** 2)
    sc = 1 + 0.045 * Cbp
    sh = 1 + 0.015 * Cbp * T
    rt = -np.sin(np.radians(2 * dtheta)) * rc
    return np.sqrt((dLp / sl) ** 2 + (dCp / sc) ** 2 + (dHp / sh) ** 2
                   + rt * (dCp / sc) * (dHp / sh))


print(json.dumps({"lab": lab.tolist(), "de00": ciede2000(pairs[:, :3], pairs[:, 3:]).tolist()}))
