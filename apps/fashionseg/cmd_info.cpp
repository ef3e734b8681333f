// `fashionseg info`: what this build runs on (versions, threads, devices).
#include <torch/torch.h>

#include <iostream>
#include <opencv2/core.hpp>

#include "commands.h"
#include "fashionseg/core/precision.h"
#include "fashionseg/core/version.h"

namespace fashionseg::cli {

Command add_info_command(CLI::App& root, const GlobalOptions& global) {
  CLI::App* app = root.add_subcommand("info", "Show versions, threads and devices");
  return {app, [] {
            std::cout << "fashionseg " << FASHIONSEG_VERSION << "\n"
                      << "libtorch   " << TORCH_VERSION << "\n"
                      << "opencv     " << CV_VERSION << "\n"
                      << "threads    " << torch::get_num_threads() << "\n"
                      << "cuda       "
                      << (torch::cuda::is_available()
                              ? std::to_string(torch::cuda::device_count()) + " device(s)"
                              : std::string("not available"))
                      << "\n"
                      << "bf16       "
                      << (cpu_has_native_bf16()
                              ? "native: --precision auto runs models in bf16 (SegNet: fp32)"
                              : "not native: --precision auto runs fp32")
                      << "\n";
          }};
}

}  // namespace fashionseg::cli
