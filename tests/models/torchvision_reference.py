#!/usr/bin/python3
"""Live reference for the model tests: builds torchvision 0.14's segmentation models (random
weights, nothing downloaded) and prints, as JSON, each one's trainable parameter count and its
state_dict (key -> shape).

Usage: torchvision_reference.py CASE [CASE ...]
  CASE = "<model>:<num_classes>:<aux 0|1>", model one of fcn_resnet50, deeplabv3_resnet50,
  lraspp_mobilenet_v3_large, deeplabv3_mobilenet_v3_large, resnet50_trunk (ResNet-50 without
  avgpool/fc, keys prefixed "backbone."), vgg16_bn_features (keys prefixed "features.").
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


def main():
    result = {}
    for case in sys.argv[1:]:
        model, num_classes, aux = case.split(":")
        net = build(model, int(num_classes), aux == "1")
        result[case] = {
            "parameters": sum(p.numel() for p in net.parameters() if p.requires_grad),
            "state": {k: list(v.shape) for k, v in net.state_dict().items()},
        }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
