#include "fashionseg/data/csv.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace fashionseg {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(const std::filesystem::path& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (errno == ENOENT) {
        throw Error(ErrorKind::kNotFound, "file not found", Location{path.string(), 0, ""});
      }
      throw_io_error("cannot open", path.string());
    }
  }
  ~FileDescriptor() { ::close(fd_); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

std::string unquote_field(std::string_view raw) {
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
    std::string text;
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      text += raw[i];
      if (raw[i] == '"' && i + 2 < raw.size() && raw[i + 1] == '"') ++i;
    }
    return text;
  }
  return std::string(raw);
}

}  // namespace

std::vector<std::string> parse_csv_record(std::string_view record, const Location& where) {
  if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < record.size() && record[i] == '"') {
      ++i;
      bool closed = false;
      while (i < record.size()) {
        if (record[i] == '"') {
          if (i + 1 < record.size() && record[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field += record[i++];
      }
      if (!closed)
        throw_input_error("CSV: unterminated quoted field " + std::to_string(fields.size() + 1),
                          where);
      if (i < record.size() && record[i] != ',') {
        throw_input_error(
            "CSV: text after the closing quote of field " + std::to_string(fields.size() + 1),
            where);
      }
    } else {
      const size_t comma = record.find(',', i);
      const size_t stop = comma == std::string_view::npos ? record.size() : comma;
      field.assign(record.substr(i, stop - i));
      i = stop;
    }
    fields.push_back(field);
    if (i >= record.size()) break;
    ++i;  // the comma
    if (i == record.size()) {
      fields.emplace_back();  // trailing empty field
      break;
    }
  }
  return fields;
}

void scan_csv_records(const std::filesystem::path& path,
                      const std::function<void(const CsvRecordRef&, std::string_view)>& on_record) {
  FileDescriptor fd(path);
  constexpr size_t kBlock = 4 << 20;
  std::vector<char> block(kBlock);
  uint64_t offset = 0;        // offset of block[0] in the file
  uint64_t record_start = 0;  // offset of the current record
  uint32_t line = 1, record_line = 1;
  bool in_quotes = false, in_first_field = true;
  std::string first_field;

  auto end_record = [&](uint64_t end) {
    const uint64_t length = end - record_start;
    if (length > 0) {
      if (length > UINT32_MAX) {
        throw_input_error("CSV record longer than 4 GB", Location{path.string(), record_line, ""});
      }
      std::string_view raw = first_field;
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      on_record(CsvRecordRef{record_start, uint32_t(length), record_line}, unquote_field(raw));
    }
    first_field.clear();
    in_first_field = true;
  };

  while (true) {
    ssize_t n = ::read(fd.get(), block.data(), kBlock);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io_error("cannot read", path.string());
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      const char c = block[size_t(i)];
      if (c == '"') {
        in_quotes = !in_quotes;  // "" inside quotes toggles twice: net unchanged
      } else if (!in_quotes) {
        if (c == '\n') {
          const uint64_t here = offset + uint64_t(i);
          // Strip a CR before the LF from the record length.
          uint64_t end = here;
          if (end > record_start) {
            char previous = i > 0 ? block[size_t(i - 1)] : '\0';
            if (i == 0) {
              // The CR is in the previous block: read it back.
              char byte = 0;
              if (::pread(fd.get(), &byte, 1, off_t(here - 1)) == 1) previous = byte;
            }
            if (previous == '\r') --end;
          }
          end_record(end);
          record_start = here + 1;
          record_line = ++line;
          continue;
        }
        if (c == ',') in_first_field = false;
      }
      if (c == '\n') ++line;  // a newline inside quotes
      if (in_first_field && first_field.size() < 4096) first_field += c;
    }
    offset += uint64_t(n);
  }
  if (in_quotes) {
    throw_input_error("CSV: quoted field is never closed",
                      Location{path.string(), record_line, ""});
  }
  if (offset > record_start) end_record(offset);
}

std::string read_csv_record(const std::filesystem::path& path, const CsvRecordRef& ref) {
  FileDescriptor fd(path);
  std::string bytes(ref.length, '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pread(fd.get(), bytes.data() + done, bytes.size() - done, off_t(ref.offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io_error("cannot read", path.string());
    }
    if (n == 0) {
      throw Error(ErrorKind::kIo, "file shrank while being read",
                  Location{path.string(), ref.line, ""});
    }
    done += size_t(n);
  }
  return bytes;
}

}  // namespace fashionseg
