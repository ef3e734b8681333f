#pragma once
/// Minimal RFC 4180 CSV: quoted fields ("a,b" and "" for a quote), records ending at an
/// unquoted newline, CRLF tolerated. Big files are scanned once for record offsets, so that
/// records can later be read on demand (the iMaterialist train.csv may exceed 1 GB).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fashionseg/core/error.h"

namespace fashionseg {

/// Splits one record (without its line end) into fields, unquoting quoted fields. Throws
/// Error(kInput) at `where` for an unterminated quote or text after a closing quote.
std::vector<std::string> parse_csv_record(std::string_view record, const Location& where);

/// Where a record lies in its file.
struct CsvRecordRef {
  uint64_t offset = 0;  ///< byte offset of the record's first character
  uint32_t length = 0;  ///< bytes, without the line end
  uint32_t line = 0;    ///< 1-based line number where the record starts
};

/// Reads `path` once in large blocks and calls `on_record(ref, first_field)` for every
/// non-empty record (first_field unquoted). Memory use is independent of the file size.
/// Throws Error(kNotFound/kIo) for unreadable files, Error(kInput) for a quote left open at
/// the end of the file or a record longer than 4 GB.
void scan_csv_records(const std::filesystem::path& path,
                      const std::function<void(const CsvRecordRef&, std::string_view)>& on_record);

/// Reads one record's bytes by offset (thread-safe: pread on a fresh descriptor).
std::string read_csv_record(const std::filesystem::path& path, const CsvRecordRef& ref);

}  // namespace fashionseg
