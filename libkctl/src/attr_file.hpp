// SPDX-License-Identifier: LGPL-2.1-or-later
// One sysfs or proc text file, opened on first use and kept open. Every read is one
// pread() at offset 0 (which makes seq_file and kernfs generate fresh content), every
// write one pwrite() at offset 0.
#ifndef KCTL_SRC_ATTR_FILE_HPP
#define KCTL_SRC_ATTR_FILE_HPP

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "fd.hpp"

namespace kctl::detail {

class attr_file {
  public:
    attr_file() = default;
    /// `mode`: O_RDONLY or O_WRONLY.
    attr_file(std::string path, int mode) : path_(std::move(path)), mode_(mode) {}

    /// The whole content, into `out`: read into a buffer the file keeps (grown while a read
    /// fills it, never cleared), then copied, so a read costs no allocation or memset. A
    /// read asks for a little more than the last content was and reads again, from offset
    /// 0, when that was not enough.
    int read(std::string& out);
    /// One read of at most `cap` bytes into buf; `n` gets the length.
    int read(char* buf, std::size_t cap, std::size_t& n) noexcept;
    /// A number printed by the kernel ("42\n").
    int read(std::int64_t& out) noexcept;
    int read(std::uint64_t& out) noexcept;
    /// Writes all of `data` in one pwrite(); a short write is EIO.
    int write(std::string_view data) noexcept;

    int fd() noexcept;  // opens if needed; -errno on failure
    const std::string& path() const noexcept { return path_; }

  private:
    std::string path_;
    int mode_ = 0;
    unique_fd fd_;
    std::unique_ptr<char[]> buf_;  // read(std::string&)'s buffer
    std::size_t buf_size_ = 0;
    std::size_t last_size_ = 0;  // length of the last content read(std::string&) returned
};

/// The text-file formats shared by sysfs and proc (DESIGN.md "Text transports"); `buf` is
/// scratch space the caller keeps, so repeated calls do not allocate.
/// A message read: the content less its one trailing '\n' (EPROTO if it has none).
int read_message(attr_file& f, std::string& out);
/// A message write: the bytes plus one '\n', which the kernel drops, so a message that itself
/// ends in a newline round-trips.
int write_message(attr_file& f, std::string_view message, std::string& buf);
/// Writes the values, space-separated, ending in '\n'. `limit`: the most bytes the file
/// takes in one write (EFBIG beyond, before anything is written).
int write_values(attr_file& f, std::span<const std::int64_t> values, std::size_t limit,
                 std::string& buf);
/// Writes "1\n" to a reset file.
int write_reset(attr_file& f) noexcept;

}  // namespace kctl::detail

#endif
