#include "fashionseg/core/precision.h"

#include <fstream>
#include <sstream>

#include "fashionseg/core/error.h"

namespace fashionseg {

bool cpu_has_native_bf16() {
  static const bool has = [] {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
      if (line.rfind("flags", 0) != 0) continue;
      std::istringstream flags(line.substr(line.find(':') + 1));
      for (std::string flag; flags >> flag;) {
        if (flag == "avx512_bf16" || flag == "amx_bf16") return true;
      }
      return false;  // every core lists the same flags
    }
    return false;
  }();
  return has;
}

bool resolve_bf16(const std::string& precision, bool bf16_helps, const std::string& device,
                  const char* what) {
  const bool cpu = device == "cpu";
  if (precision == "fp32") return false;
  if (precision == "bf16") {
    if (!cpu) {
      throw_config_error(std::string(what) + " bf16 is available on the CPU only in this build",
                         "use fp32 on " + device);
    }
    return true;
  }
  if (precision == "auto") return cpu && bf16_helps && cpu_has_native_bf16();
  throw_config_error(std::string(what) + " must be fp32, bf16 or auto, not '" + precision + "'");
}

}  // namespace fashionseg
