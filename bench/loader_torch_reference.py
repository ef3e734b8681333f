#!/usr/bin/python3
"""Reference for bench/loader_bench.cpp: the same training pipeline written the usual way for
PyTorch, a torch.utils.data.Dataset using OpenCV (cv2) inside a DataLoader.

Per sample: decode the JPEG photo (BGR -> RGB) and the PNG mask; resize the short side to
192 and scale by a factor drawn from [0.5, 2.0] (one resize: INTER_AREA when shrinking,
INTER_LINEAR otherwise; the mask INTER_NEAREST); pad to at least 192x288 (mean colour, mask
255) and cut a random 192x288 window; flip with p=0.5; colour jitter (brightness, contrast,
saturation 0.3, hue 0.05) as one affine colour map applied with cv2.transform (the map the
C++ code uses); normalise with ImageNet mean/std to float CHW. Batches of 8, shuffled,
collated by the DataLoader. Prints one JSON line: {"workers": N, "images_per_s": X, ...}.

Run with Debian's interpreter: /usr/bin/python3 bench/loader_torch_reference.py --workers 2
"""
import argparse
import json
import math
import os
import time

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
PAD_COLOR = (124, 116, 104)
RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322],
                       [0.211, -0.523, 0.312]])
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)


def jitter_map(image, rng, strength=0.3, hue=0.05):
    b = rng.uniform(1 - strength, 1 + strength)
    c = rng.uniform(1 - strength, 1 + strength)
    s = rng.uniform(1 - strength, 1 + strength)
    theta = 2 * math.pi * rng.uniform(-hue, hue)
    chroma = np.array([[1, 0, 0], [0, s * math.cos(theta), -s * math.sin(theta)],
                       [0, s * math.sin(theta), s * math.cos(theta)]])
    a = YIQ_TO_RGB @ chroma @ RGB_TO_YIQ
    grey = float(RGB_TO_YIQ[0] @ np.array(cv2.mean(image)[:3]))
    m = np.zeros((3, 4), dtype=np.float32)
    m[:, :3] = c * b * a
    m[:, 3] = (1 - c) * b * grey
    return m


class CcpTrain(Dataset):
    def __init__(self, root, short_side=192, crop=(192, 288), seed=1):
        train = os.path.join(root, "train")
        self.items = []
        for name in sorted(os.listdir(train)):
            stem, ext = os.path.splitext(name)
            mask = os.path.join(root, "masks", stem + ".png")
            if ext == ".jpg" and os.path.exists(mask):
                self.items.append((os.path.join(train, name), mask))
        self.short_side = short_side
        self.crop = crop  # width, height
        self.seed = seed
        self.epoch = 0

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        rng = np.random.default_rng((self.seed, self.epoch, index))
        image_path, mask_path = self.items[index]
        image = cv2.cvtColor(cv2.imread(image_path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        mask = cv2.imread(mask_path, cv2.IMREAD_UNCHANGED)
        h, w = mask.shape
        scale = self.short_side / min(w, h) * rng.uniform(0.5, 2.0)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        shrink = size[0] <= w and size[1] <= h
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
        cw, ch = self.crop
        pad_x, pad_y = max(0, cw - size[0]), max(0, ch - size[1])
        if pad_x or pad_y:
            left, top = int(rng.integers(0, pad_x + 1)), int(rng.integers(0, pad_y + 1))
            image = cv2.copyMakeBorder(image, top, pad_y - top, left, pad_x - left,
                                       cv2.BORDER_CONSTANT, value=PAD_COLOR)
            mask = cv2.copyMakeBorder(mask, top, pad_y - top, left, pad_x - left,
                                      cv2.BORDER_CONSTANT, value=255)
        x = int(rng.integers(0, image.shape[1] - cw + 1))
        y = int(rng.integers(0, image.shape[0] - ch + 1))
        image = image[y:y + ch, x:x + cw]
        mask = mask[y:y + ch, x:x + cw]
        if rng.random() < 0.5:
            image = image[:, ::-1]
            mask = mask[:, ::-1]
        image = cv2.transform(np.ascontiguousarray(image), jitter_map(image, rng))
        tensor = torch.from_numpy(((image.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1).copy())
        return tensor, torch.from_numpy(mask.astype(np.int64)), index


def cpu_seconds(worker_pids):
    """User + system CPU seconds of this process and the given worker processes."""
    total = time.process_time()
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in worker_pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_root = os.path.join(os.environ.get("FASHIONSEG_SHARED_DATA", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")), "ccp-imat")
    parser.add_argument("--data", default=default_root)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs after a warm-up")
    args = parser.parse_args()

    dataset = CcpTrain(args.data)
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True,
                        num_workers=args.workers, persistent_workers=args.workers > 0,
                        drop_last=False)
    torch.manual_seed(1)
    iterator = iter(loader)
    for _ in iterator:  # warm-up: worker start, page cache
        pass
    # CPU time of the main process and the (persistent) worker processes, per image: less
    # sensitive than images/s to other processes sharing the cores.
    workers = [w.pid for w in getattr(iterator, "_workers", [])]
    images, start, cpu_start = 0, time.perf_counter(), cpu_seconds(workers)
    for epoch in range(args.epochs):
        for images_batch, _, _ in loader:
            images += images_batch.shape[0]
    seconds = time.perf_counter() - start
    cpu = cpu_seconds(workers) - cpu_start
    print(json.dumps({"workers": args.workers, "images": images, "seconds": round(seconds, 3),
                      "images_per_s": round(images / seconds, 2),
                      "cpu_ms_per_image": round(1000 * cpu / images, 2)}))


if __name__ == "__main__":
    main()
