#pragma once
// A bounded random-mutation driver (the fuzz tests): seeds are valid inputs, each round
// mutates one (bit flips, byte runs, cut, splice, duplicated ranges, interesting numbers) and
// hands it to the code under test, which must either succeed or throw fashionseg::Error:
// any other exception, a crash or a hang fails. Rounds per target come from
// FASHIONSEG_FUZZ_ITERATIONS (default: a few hundred, seconds in ctest); inputs that once
// failed live in tests/fixtures/fuzz/<target>/ and run first, every time.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fashionseg/core/error.h"
#include "support/test_support.h"

namespace fashionseg::test {

/// Rounds per fuzz target: FASHIONSEG_FUZZ_ITERATIONS, else `fallback`.
inline int fuzz_iterations(int fallback) {
  const char* text = std::getenv("FASHIONSEG_FUZZ_ITERATIONS");
  return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : fallback;
}

/// One mutation of `input` (never larger than `max_size`).
inline std::string mutate(const std::string& input, std::mt19937_64& rng, size_t max_size) {
  static const char* kInteresting[] = {
      "0",    "-1",  "4294967296", "2147483648", "99999999999999999999",
      "1e10", "NaN", "\xff",       "\xc3\x28",   "%ff",
      "\r\n", "\"",  ",",          "[",          "{",
      "]]]]", "\0"};
  std::string out = input;
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 7) {
      case 0:  // flip bits
        if (!out.empty()) out[pick(out.size())] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // a random byte
        if (!out.empty()) out[pick(out.size())] = static_cast<char>(rng());
        break;
      case 2: {  // cut a range
        const size_t at = pick(out.size() + 1);
        out.erase(at, pick(out.size() - at + 1));
        break;
      }
      case 3: {  // duplicate a range
        const size_t at = pick(out.size() + 1);
        const std::string piece = out.substr(at, pick(64));
        out.insert(pick(out.size() + 1), piece);
        break;
      }
      case 4: {  // an interesting token
        const std::string token = kInteresting[pick(std::size(kInteresting))];
        out.insert(pick(out.size() + 1), token.empty() ? std::string(1, '\0') : token);
        break;
      }
      case 5: {  // replace a number with an interesting one
        const size_t at = out.find_first_of("0123456789", pick(out.size() + 1));
        if (at != std::string::npos) {
          const size_t end = out.find_first_not_of("0123456789", at);
          out.replace(at, (end == std::string::npos ? out.size() : end) - at,
                      kInteresting[pick(5)]);
        }
        break;
      }
      default:  // truncate
        out.resize(pick(out.size() + 1));
    }
  }
  if (out.size() > max_size) out.resize(max_size);
  return out;
}

/// Files of tests/fixtures/fuzz/<target>/ (inputs that once failed), sorted by name.
inline std::vector<std::string> regression_inputs(const std::string& target) {
  std::vector<std::filesystem::path> paths;
  const auto dir = source_dir() / "tests" / "fixtures" / "fuzz" / target;
  if (std::filesystem::is_directory(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) paths.push_back(entry);
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> inputs;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    inputs.push_back(bytes.str());
  }
  return inputs;
}

/// Runs `accept` on the regression inputs of `target`, then on `rounds` mutations of the
/// seeds (seeded, so a failure repeats). `accept` may throw fashionseg::Error only; the
/// first other failure is reported with the input's bytes (to keep as a regression input).
inline void fuzz(const std::string& target, const std::vector<std::string>& seeds, int rounds,
                 const std::function<void(const std::string&)>& accept, size_t max_size = 1 << 16) {
  std::vector<std::string> inputs = regression_inputs(target);
  std::mt19937_64 rng(0x5eed0000u + std::hash<std::string>{}(target) % 1000);
  for (int round = 0; round < rounds; ++round) {
    inputs.push_back(mutate(seeds[static_cast<size_t>(round) % seeds.size()], rng, max_size));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    try {
      accept(inputs[i]);
    } catch (const Error&) {
      // A clear refusal is a correct answer to a broken input.
    } catch (const std::exception& e) {
      std::ostringstream hex;
      for (unsigned char c : inputs[i].substr(0, 200)) hex << std::hex << int(c) << ' ';
      ADD_FAILURE() << target << " input " << i << " threw " << typeid(e).name() << ": " << e.what()
                    << "\nfirst bytes: " << hex.str();
      return;
    }
  }
}

}  // namespace fashionseg::test
