#include "fashionseg/torch/device.h"

#include <torch/cuda.h>

#include "fashionseg/core/error.h"

namespace fashionseg {

torch::Device parse_device(const std::string& name, const std::string& setting) {
  try {
    torch::Device device(name);
    if (device.is_cuda() && !torch::cuda::is_available()) {
      throw_config_error(setting + " is '" + name + "' but this build has no usable CUDA",
                         "use cpu");
    }
    return device;
  } catch (const c10::Error&) {
    throw_config_error(setting + " '" + name + "' is not a device", "cpu, cuda or cuda:N");
  }
}

}  // namespace fashionseg
