"""Python PyTorch eager side of bench/run_inference_side_by_side.sh and run_train_side_by_side.sh.

  torch_reference.py make <model> <classes> <weights.pt>
      builds the model with seeded random weights and saves its state_dict (torchvision key
      names; fashionseg imports them with `fashionseg import-weights`).
  torch_reference.py time <model> <classes> <weights.pt> <HxW> <threads> <warmup> <iterations>
      loads the weights and times model(x) for a [1, 3, H, W] input in eval mode under
      torch.inference_mode(), printing one JSON line (latency_ms mean/p50/min).
  torch_reference.py train <model> <classes> <weights.pt> <HxW> <threads> <warmup> <iterations> <batch>
      times one training step (forward, cross-entropy on random labels, backward, AdamW
      lr 1e-4) on a [batch, 3, H, W] input, printing the same JSON line.

  torch_reference.py time-tuned|train-tuned ...
      the same as a careful CPU user runs it: channels-last model and input, and bf16 autocast
      (torch.autocast("cpu", dtype=torch.bfloat16)) when the CPU has native bf16
      (avx512_bf16 / amx_bf16 in /proc/cpuinfo); the JSON says which ("tuned").

Models: torchvision's lraspp_mobilenet_v3_large and deeplabv3_resnet50, and `unet`, a U-Net
written here with fashionseg's layer names (src/models/unet.cpp: padded 3x3 convs, BatchNorm,
widths 64..1024, transposed-conv upsampling), so the same weights load on both sides.
"""
import json
import sys
import time

import torch
from torch import nn


class UNet(nn.Module):
    def __init__(self, num_classes, base=64, levels=4):
        super().__init__()
        widths = [base << level for level in range(levels + 1)]

        def double_conv(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                                 nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        self.encoder = nn.ModuleList()
        cin = 3
        for width in widths:
            self.encoder.append(double_conv(cin, width))
            cin = width
        self.upsample = nn.ModuleList()
        self.decoder = nn.ModuleList()
        for level in range(levels - 1, -1, -1):
            self.upsample.append(nn.ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2))
            self.decoder.append(double_conv(2 * widths[level], widths[level]))
        self.classifier = nn.Conv2d(widths[0], num_classes, 1)
        self.levels = levels

    def forward(self, x):
        h, w = x.shape[-2:]
        m = 1 << self.levels
        x = nn.functional.pad(x, (0, (m - w % m) % m, 0, (m - h % m) % m))
        skips = []
        for i, block in enumerate(self.encoder):
            if i > 0:
                x = nn.functional.max_pool2d(x, 2, 2)
            x = block(x)
            if i + 1 < len(self.encoder):
                skips.append(x)
        for i, (up, block) in enumerate(zip(self.upsample, self.decoder)):
            x = block(torch.cat([skips[-1 - i], up(x)], 1))
        return {'out': self.classifier(x)[..., :h, :w]}


def build(name, classes):
    from torchvision.models import segmentation
    if name == 'unet':
        return UNet(classes)
    if name == 'lraspp_mobilenet_v3_large':
        return segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                      num_classes=classes)
    return getattr(segmentation, name)(weights=None, weights_backbone=None, num_classes=classes,
                                       aux_loss=False)


def native_bf16():
    with open('/proc/cpuinfo') as cpuinfo:
        for line in cpuinfo:
            if line.startswith('flags'):
                flags = line.split(':', 1)[1].split()
                return 'avx512_bf16' in flags or 'amx_bf16' in flags
    return False


def main():
    action, name, classes, weights = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    tuned = action.endswith('-tuned')
    action = action.replace('-tuned', '')
    torch.manual_seed(0)
    model = build(name, classes).eval()
    if action == 'make':
        torch.save(dict(model.state_dict()), weights)
        return
    size, threads, warmup, iterations = sys.argv[5], int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
    batch = int(sys.argv[9]) if len(sys.argv) > 9 else 1
    torch.set_num_threads(threads)
    model.load_state_dict(torch.load(weights))
    height, width = (int(v) for v in size.split('x'))
    x = torch.randn(batch, 3, height, width)
    bf16 = tuned and native_bf16()
    if tuned:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    autocast = lambda: torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16)
    times = []
    if action == 'train':
        model.train()
        labels = torch.randint(0, classes, (batch, height, width))
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        for i in range(warmup + iterations):
            start = time.perf_counter()
            optimizer.zero_grad()
            with autocast():
                out = model(x)['out']
            nn.functional.cross_entropy(out.float(), labels).backward()
            optimizer.step()
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000)
    else:
        with torch.inference_mode():
            for i in range(warmup + iterations):
                start = time.perf_counter()
                with autocast():
                    model(x)['out']
                if i >= warmup:
                    times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({'model': name, 'threads': torch.get_num_threads(), 'torch': torch.__version__,
                      'tuned': ('channels-last' + (' + bf16 autocast' if bf16 else '')) if tuned else 'no',
                      'latency_ms': {'mean': sum(times) / len(times), 'p50': times[len(times) // 2],
                                     'min': times[0]}}))


if __name__ == '__main__':
    main()
