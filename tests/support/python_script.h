#pragma once
/// Runs a Python reference script (Debian's /usr/bin/python3 with torch, torchvision, numpy)
/// written into a directory, for tests that compare against Python.

#include <fstream>
#include <string>

#include "support/test_support.h"

namespace fashionseg::test {

/// Writes `code` to `dir/<name>` and runs it with python() and `arguments`, in `dir`.
inline CommandResult run_python_script(const TempDir& dir, const std::string& code,
                                       const std::string& arguments = "",
                                       const std::string& name = "script.py") {
  const auto path = dir / name;
  std::ofstream(path) << code;
  return run_command("cd " + shell_quote(dir.path().string()) + " && " + shell_quote(python()) +
                     " " + shell_quote(path.string()) + " " + arguments);
}

}  // namespace fashionseg::test
