#!/usr/bin/python3
"""Golden references for the C++ models: torchvision 0.14 models with fixed random weights.

Every BatchNorm gets random affine parameters and running statistics, so a model that ignored
or misnamed them would not match. Nothing is downloaded.

Usage:
  make_golden.py generate OUTDIR CASE [CASE ...]
      writes OUTDIR/CASE.weights.pt (a plain dict: torchvision's state_dict keys) and
      OUTDIR/CASE.io.pt ({"input": [1,3,67,83], "out": logits, "aux": aux logits if any})
  make_golden.py reproduce DIR CASE [CASE ...]
      loads DIR/CASE.cpp_weights.pt into the torchvision model with strict=True, runs it on
      DIR/CASE.cpp_io.pt["input"] and prints "MAXDIFF CASE KEY VALUE" against the C++ outputs
  make_golden.py macs HEIGHT WIDTH CASE [CASE ...]
      prints "MACS CASE N" per case: multiply-adds of Conv2d and Linear modules, counted with forward
      hooks (an independent reference for fashionseg's operator-level counter)
CASE: fcn_resnet50, deeplabv3_resnet50, lraspp_mobilenet_v3_large (num_classes 5, aux heads
where torchvision has them), vgg16_bn_features (torchvision.models.vgg16_bn().features, keys
prefixed "features."; "out" is the features' output).
"""
import sys

import torch
import torchvision
from torchvision.models import segmentation

NUM_CLASSES = 5
INPUT_SHAPE = (1, 3, 67, 83)  # odd sizes: exercises padding, rounding and resizing


class Features(torch.nn.Module):
    """vgg16_bn().features under the key prefix "features.", returning a dict like the others."""

    def __init__(self):
        super().__init__()
        self.features = torchvision.models.vgg16_bn(weights=None).features

    def forward(self, x):
        return {"out": self.features(x)}


def build(case):
    if case == "fcn_resnet50":
        return segmentation.fcn_resnet50(
            weights=None, weights_backbone=None, num_classes=NUM_CLASSES, aux_loss=True)
    if case == "deeplabv3_resnet50":
        return segmentation.deeplabv3_resnet50(
            weights=None, weights_backbone=None, num_classes=NUM_CLASSES, aux_loss=True)
    if case == "lraspp_mobilenet_v3_large":
        return segmentation.lraspp_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=NUM_CLASSES)
    if case == "vgg16_bn_features":
        return Features()
    raise SystemExit("unknown case " + case)


def randomised(case, seed):
    torch.manual_seed(seed)
    model = build(case)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(seed)
    return model.eval()


def generate(out_dir, cases):
    for index, case in enumerate(cases):
        model = randomised(case, 1000 + index)
        torch.manual_seed(7)
        x = torch.randn(*INPUT_SHAPE)
        with torch.no_grad():
            result = model(x)
        io = {"input": x}
        io.update({key: value for key, value in result.items()})
        torch.save(dict(model.state_dict()), f"{out_dir}/{case}.weights.pt")
        torch.save(io, f"{out_dir}/{case}.io.pt")
        print("GENERATED", case, {k: tuple(v.shape) for k, v in io.items()},
              "max|out|", float(result["out"].abs().max()))


def reproduce(directory, cases):
    for case in cases:
        model = build(case).eval()
        model.load_state_dict(torch.load(f"{directory}/{case}.cpp_weights.pt"), strict=True)
        io = torch.load(f"{directory}/{case}.cpp_io.pt")
        with torch.no_grad():
            result = model(io["input"])
        for key, value in result.items():
            print("MAXDIFF", case, key, float((value - io[key]).abs().max()))


def macs(case, height, width):
    model = build(case).eval()
    total = [0]

    def conv_hook(module, inputs, output):
        fan_in = module.in_channels // module.groups
        total[0] += output.numel() * fan_in * module.kernel_size[0] * module.kernel_size[1]

    def linear_hook(module, inputs, output):
        total[0] += output.numel() * module.in_features

    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.register_forward_hook(conv_hook)
        elif isinstance(module, torch.nn.Linear):
            module.register_forward_hook(linear_hook)
    with torch.no_grad():
        model(torch.zeros(1, 3, height, width))
    print("MACS", case, total[0])


def main(argv):
    if len(argv) >= 3 and argv[0] == "generate":
        generate(argv[1], argv[2:])
    elif len(argv) >= 3 and argv[0] == "reproduce":
        reproduce(argv[1], argv[2:])
    elif len(argv) >= 4 and argv[0] == "macs":
        for case in argv[3:]:
            macs(case, int(argv[1]), int(argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
