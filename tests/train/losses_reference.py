"""Reference values for losses_test.cpp, computed independently in Python PyTorch.
Reads logits (float32, B*C*H*W) and targets (int64, B*H*W) raw files, prints JSON."""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

logits_path, target_path, b, c, h, w = sys.argv[1:7]
b, c, h, w = int(b), int(c), int(h), int(w)
weights = [float(v) for v in sys.argv[7].split(",")]
alpha = [float(v) for v in sys.argv[8].split(",")]
logits = torch.from_numpy(np.fromfile(logits_path, dtype=np.float32).reshape(b, c, h, w)).double()
target = torch.from_numpy(np.fromfile(target_path, dtype=np.int64).reshape(b, h, w))
valid = target != 255

out = {}
out["ce"] = F.cross_entropy(logits, target, ignore_index=255).item()
out["ce_weighted"] = F.cross_entropy(logits, target, weight=torch.tensor(weights).double(),
                                     ignore_index=255).item()
out["ce_smoothed"] = F.cross_entropy(logits, target, ignore_index=255, label_smoothing=0.1).item()

# Focal, pixel by pixel in NumPy.
p = torch.softmax(logits, 1).permute(0, 2, 3, 1).reshape(-1, c).numpy()
t = target.reshape(-1).numpy()
keep = t != 255
pt = p[keep, t[keep]]
a = np.array(alpha)[t[keep]]
out["focal"] = float(np.mean(-a * (1 - pt) ** 2.0 * np.log(pt)))

# Soft Dice and generalised Dice over valid pixels, per class, in NumPy.
pv = p[keep]
y = np.eye(c)[t[keep]]
inter = (pv * y).sum(0)
card = pv.sum(0) + y.sum(0)
present = y.sum(0) > 0
out["dice"] = float(np.mean(1 - (2 * inter[present] + 1.0) / (card[present] + 1.0)))
wgt = np.zeros(c)
wgt[present] = 1.0 / y.sum(0)[present] ** 2
out["gdice"] = float(1 - 2 * (wgt * inter).sum() / (wgt * card).sum())


# Lovasz-softmax: the authors' reference implementation (Berman et al., lovasz_losses.py),
# in double precision.
def lovasz_grad(gt_sorted):
    p = len(gt_sorted)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.double().cumsum(0)
    union = gts + (1 - gt_sorted).double().cumsum(0)
    jaccard = 1. - intersection / union
    if p > 1:
        jaccard[1:p] = jaccard[1:p] - jaccard[0:-1]
    return jaccard


def lovasz_softmax_flat(probas, labels):
    losses = []
    for cls in range(probas.size(1)):
        fg = (labels == cls).double()
        if fg.sum() == 0:
            continue
        errors = (fg - probas[:, cls]).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg[perm])))
    return torch.stack(losses).mean()


probas = torch.softmax(logits, 1).permute(0, 2, 3, 1).reshape(-1, c)
labels = target.reshape(-1)
out["lovasz"] = lovasz_softmax_flat(probas[labels != 255], labels[labels != 255]).item()
print(json.dumps(out))
