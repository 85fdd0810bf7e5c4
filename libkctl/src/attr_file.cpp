// SPDX-License-Identifier: LGPL-2.1-or-later
#include "attr_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "text.hpp"

namespace kctl::detail {

namespace {
/// Room a read asks for beyond the length of the last text: kernfs allocates (and, with
/// init_on_alloc, zeroes) a buffer of the size a read of a binary attribute asks for, so
/// asking for a page to read a short message costs a page (BENCHMARKS.md, "The sysfs
/// `message` margin").
constexpr std::size_t read_slack = 64;
/// The first read of a file: room for any of kdemo's texts but a long message (info is
/// about 300 bytes), so it is read in one call.
constexpr std::size_t first_read_size = 1024;
}  // namespace

int attr_file::fd() noexcept {
    if (!fd_) {
        const int fd = ::open(path_.c_str(), mode_ | O_CLOEXEC);
        if (fd < 0)
            return -errno;
        fd_.reset(fd);
    }
    return fd_.get();
}

int attr_file::read(char* buf, std::size_t cap, std::size_t& n) noexcept {
    const int f = fd();
    if (f < 0)
        return -f;
    ssize_t r;
    do
        r = ::pread(f, buf, cap, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return errno;
    n = static_cast<std::size_t>(r);
    return 0;
}

int attr_file::read(std::string& out) {
    std::size_t cap = last_size_ ? last_size_ + read_slack : first_read_size;
    for (;;) {
        if (buf_size_ < cap) {
            buf_ = std::make_unique_for_overwrite<char[]>(cap);
            buf_size_ = cap;
        }
        std::size_t n = 0;
        if (const int err = read(buf_.get(), cap, n); err != 0)
            return err;
        if (n < cap) {
            out.assign(buf_.get(), n);
            last_size_ = n;
            return 0;
        }
        cap *= 4;  // may be cut short: read again, from offset 0, with room to spare
    }
}

namespace {

/// Reads one number the kernel printed ("42\n") with `parse` (parse_i64_reply or _u64_).
template <typename T>
int read_number(attr_file& f, T& out, int (*parse)(std::string_view, T&) noexcept) noexcept {
    char buf[32];  // "-9223372036854775808\n" and room to spot anything longer
    std::size_t n = 0;
    if (const int err = f.read(buf, sizeof buf, n); err != 0)
        return err;
    return parse({buf, n}, out);
}

}  // namespace

int attr_file::read(std::int64_t& out) noexcept {
    return read_number(*this, out, parse_i64_reply);
}

int attr_file::read(std::uint64_t& out) noexcept {
    return read_number(*this, out, parse_u64_reply);
}

int attr_file::write(std::string_view data) noexcept {
    const int f = fd();
    if (f < 0)
        return -f;
    ssize_t r;
    do
        r = ::pwrite(f, data.data(), data.size(), 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return errno;
    return static_cast<std::size_t>(r) == data.size() ? 0 : EIO;
}

int read_message(attr_file& f, std::string& out) {
    if (const int err = f.read(out); err != 0)
        return err;
    if (out.empty() || out.back() != '\n')
        return EPROTO;
    out.pop_back();
    return 0;
}

int write_message(attr_file& f, std::string_view message, std::string& buf) {
    buf.assign(message);
    buf.push_back('\n');
    return f.write(buf);
}

int write_values(attr_file& f, std::span<const std::int64_t> values, std::size_t limit,
                 std::string& buf) {
    if (values.empty())
        return EINVAL;
    buf.clear();
    format_values(values, buf);
    if (buf.size() > limit)
        return EFBIG;
    return f.write(buf);
}

int write_reset(attr_file& f) noexcept {
    return f.write("1\n");
}

}  // namespace kctl::detail
