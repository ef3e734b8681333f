#!/usr/bin/python3
"""Live reference for the model tests: builds torchvision 0.14's segmentation models (random
weights, nothing downloaded) and prints, as JSON, each one's trainable parameter count and its
state_dict (key -> shape).

Usage: torchvision_reference.py CASE [CASE ...]
  CASE = "<model>:<num_classes>:<aux 0|1>", model one of fcn_resnet50, deeplabv3_resnet50,
  lraspp_mobilenet_v3_large, deeplabv3_mobilenet_v3_large, resnet50_trunk (ResNet-50 without
  avgpool/fc, keys prefixed "backbone."), vgg16_bn_features (keys prefixed "features."),
  fc_densenet56/67/103 (an independent count following the authors' Lasagne code
  github.com/SimJeg/FC-DenseNet; "parameters" only, no "state").
Output: {"CASE": {"parameters": N, "state": {"key": [shape...]}}}
"""
import json
import sys

import torch
import torchvision
from torchvision.models import segmentation


def build(model, num_classes, aux):
    if model == "fcn_resnet50":
        return segmentation.fcn_resnet50(
            weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=aux)
    if model == "deeplabv3_resnet50":
        return segmentation.deeplabv3_resnet50(
            weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=aux)
    if model == "lraspp_mobilenet_v3_large":
        return segmentation.lraspp_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=num_classes)
    if model == "deeplabv3_mobilenet_v3_large":
        return segmentation.deeplabv3_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=aux)
    if model == "resnet50_trunk":
        resnet = torchvision.models.resnet50(weights=None)
        trunk = torch.nn.Module()
        trunk.backbone = torch.nn.Sequential()
        for name in ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]:
            trunk.backbone.add_module(name, getattr(resnet, name))
        return trunk
    if model == "vgg16_bn_features":
        vgg = torchvision.models.vgg16_bn(weights=None)
        holder = torch.nn.Module()
        holder.features = vgg.features
        return holder
    raise SystemExit(f"unknown model {model}")


FC_DENSENETS = {
    "fc_densenet56": ([4] * 11, 12),
    "fc_densenet67": ([5] * 11, 16),
    "fc_densenet103": ([4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4], 16),
}


def fc_densenet_parameters(layers, growth, num_classes, first_conv=48):
    """Trainable parameters of FC-DenseNet as FC-DenseNet.py (Lasagne) builds it: every conv
    with bias, BN with gamma and beta, 3x3 transposed convs in the up path."""
    total = 3 * first_conv * 9 + first_conv
    channels = first_conv
    skips = []

    def dense_block(channels, n):
        nonlocal total
        for i in range(n):
            c = channels + i * growth
            total += 2 * c + c * growth * 9 + growth  # BN, conv 3x3
        return channels + n * growth

    for i in range(5):
        channels = dense_block(channels, layers[i])
        skips.append(channels)
        total += 2 * channels + channels * channels + channels  # transition down: BN, conv 1x1
    dense_block(channels, layers[5])
    for i in range(5):
        keep = growth * layers[5 + i]
        total += keep * keep * 9 + keep  # transition up
        channels = dense_block(keep + skips[4 - i], layers[6 + i])
    return total + channels * num_classes + num_classes


def main():
    result = {}
    for case in sys.argv[1:]:
        model, num_classes, aux = case.split(":")
        if model in FC_DENSENETS:
            layers, growth = FC_DENSENETS[model]
            result[case] = {"parameters": fc_densenet_parameters(layers, growth, int(num_classes))}
            continue
        net = build(model, int(num_classes), aux == "1")
        result[case] = {
            "parameters": sum(p.numel() for p in net.parameters() if p.requires_grad),
            "state": {k: list(v.shape) for k, v in net.state_dict().items()},
        }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
