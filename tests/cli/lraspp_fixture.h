#pragma once
/// A small real model for end-to-end tests of predict and serve: torchvision's LR-ASPP
/// MobileNetV3 with random weights (5 classes), imported into a checkpoint, plus photos.

#include <string>

#include "support/test_support.h"

namespace fashionseg::test {

// Random LR-ASPP weights (5 classes), two photos of the size the model will see (no resize
// involved), the torchvision logits of the first, and a file that is not an image.
const char* const kMakeLrasppInputs = R"(
import numpy as np, torch, cv2, os
from torchvision.models.segmentation import lraspp_mobilenet_v3_large
torch.manual_seed(0)
m = lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=5).eval()
# Large classifier biases make several classes win somewhere on a random photo.
with torch.no_grad():
    m.classifier.low_classifier.bias.copy_(torch.tensor([0.0, 0.3, -0.2, 0.1, 0.2]))
torch.save(dict(m.state_dict()), 'w.pt')
rng = np.random.default_rng(1)
os.makedirs('photos', exist_ok=True)
for name in ['a', 'b']:
    # Smooth blobs rather than noise, so the prediction has regions.
    small = rng.integers(0, 256, (6, 4, 3), dtype=np.uint8)
    rgb = cv2.resize(small, (64, 96), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite('photos/%s.png' % name, rgb[:, :, ::-1])
rgb = cv2.imread('photos/a.png')[:, :, ::-1].astype(np.float32) / 255.0
mean = np.array([0.485, 0.456, 0.406], np.float32); std = np.array([0.229, 0.224, 0.225], np.float32)
x = torch.from_numpy(((rgb - mean) / std).transpose(2, 0, 1).copy()).unsqueeze(0)
with torch.no_grad():
    np.save('reference.npy', m(x)['out'][0].numpy())
open('photos/broken.jpg', 'wb').write(b'\xff\xd8\xff\xe0 not really a jpeg')
)";

/// The import-weights arguments that turn dir/w.pt into dir/model.fsm with iMaterialist names.
inline std::string import_lraspp_arguments(const TempDir& dir) {
  auto at = [&](const char* name) { return shell_quote((dir / name).string()); };
  return "import-weights --arch lraspp_mobilenet_v3_large --weights " + at("w.pt") + " -o " +
         at("model.fsm") + " --class-names background 'shirt, blouse' pants shoe 'bag, wallet'";
}

}  // namespace fashionseg::test
