#include "common/sys.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace kt {

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Fd::~Fd() {
    reset();
}

void Fd::reset() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

Fd open_file(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "open " + path);
    return Fd(fd);
}

int try_open(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

std::string node_path(int dev) {
    return "/dev/kdemo" + std::to_string(dev);
}

std::string sysfs_path(std::string_view attr, int dev) {
    return "/sys/class/kdemo/kdemo" + std::to_string(dev) + "/" + std::string(attr);
}

std::string proc_path(std::string_view file, int dev) {
    return "/proc/kdemo/kdemo" + std::to_string(dev) + "/" + std::string(file);
}

Io read_file(const std::string& path, size_t chunk) {
    Io io;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        io.err = errno;
        return io;
    }
    std::string buf(chunk, '\0');
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), chunk);
        if (n < 0) {
            io.err = errno;
            break;
        }
        if (n == 0)
            break;
        io.data.append(buf.data(), static_cast<size_t>(n));
    }
    ::close(fd);
    return io;
}

int write_fd(int fd, std::string_view data) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0)
        return errno;
    return static_cast<size_t>(n) == data.size() ? 0 : EIO;
}

int write_file(const std::string& path, std::string_view data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int err = write_fd(fd, data);
    ::close(fd);
    return err;
}

Io pread_all(int fd, size_t max) {
    Io io;
    io.data.resize(max);
    ssize_t n = ::pread(fd, io.data.data(), max, 0);
    if (n < 0) {
        io.err = errno;
        io.data.clear();
    } else {
        io.data.resize(static_cast<size_t>(n));
    }
    return io;
}

int xioctl(int fd, unsigned long cmd, void* arg) {
    return ::ioctl(fd, cmd, arg) < 0 ? errno : 0;
}

int xioctl(int fd, unsigned long cmd, unsigned long arg) {
    return ::ioctl(fd, cmd, arg) < 0 ? errno : 0;
}

Io run(const std::string& command) {
    Io io;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) {
        io.err = -1;
        return io;
    }
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
        io.data.append(buf.data(), n);
    int status = ::pclose(p);
    io.err = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return io;
}

namespace {
template <typename T>
T parse_number(const std::string& text) {
    std::string_view s(text);
    if (!s.empty() && s.back() == '\n')
        s.remove_suffix(1);
    T value{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
        throw std::invalid_argument("not a number: '" + text + "'");
    return value;
}
}  // namespace

int64_t to_i64(const std::string& text) {
    return parse_number<int64_t>(text);
}
uint64_t to_u64(const std::string& text) {
    return parse_number<uint64_t>(text);
}

}  // namespace kt
