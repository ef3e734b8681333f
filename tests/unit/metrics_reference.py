"""Independent NumPy implementation of the segmentation metrics, used as the reference by
metrics_test.cpp. Reads raw uint8 truth/prediction files, prints JSON."""
import json
import sys

import numpy as np

truth_path, pred_path, num_classes = sys.argv[1], sys.argv[2], int(sys.argv[3])
truth = np.fromfile(truth_path, dtype=np.uint8).astype(np.int64)
pred = np.fromfile(pred_path, dtype=np.uint8).astype(np.int64)
keep = truth != 255
truth, pred = truth[keep], pred[keep]
cm = np.bincount(truth * num_classes + pred, minlength=num_classes ** 2).reshape(
    num_classes, num_classes).astype(np.float64)
tp = np.diag(cm)
gt = cm.sum(1)
pr = cm.sum(0)
with np.errstate(divide="ignore", invalid="ignore"):
    iou = tp / (gt + pr - tp)
    dice = 2 * tp / (gt + pr)
    acc = tp / gt
fg_tp = cm[1:, 1:].sum()
fg_fp = cm[0, 1:].sum()
fg_fn = cm[1:, 0].sum()
present = gt > 0
out = {
    "iou": [None if np.isnan(v) else float(v) for v in iou],
    "mean_iou": float(np.nanmean(iou)),
    "mean_iou_truth": float(np.nanmean(iou[present])),
    "fw_iou": float((gt[present] / gt.sum() * iou[present]).sum()),
    "pixel_accuracy": float(tp.sum() / cm.sum()),
    "mean_class_accuracy": float(np.nanmean(acc)),
    "mean_dice": float(np.nanmean(dice)),
    "foreground_iou": float(fg_tp / (fg_tp + fg_fp + fg_fn)),
}
print(json.dumps(out))
