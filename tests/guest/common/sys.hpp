// Thin, honest wrappers over the system calls the guest tests use. Every
// helper reports errno instead of hiding it, so a test can assert the exact
// error the driver returned.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace kt {

// An owned file descriptor.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset();

  private:
    int fd_ = -1;
};

// open(2); throws std::system_error on failure.
Fd open_file(const std::string& path, int flags);
// open(2); returns the descriptor or -errno, for tests of open failures.
int try_open(const std::string& path, int flags);

// Paths of device @dev (0 for kdemo0).
std::string node_path(int dev = 0);
std::string sysfs_path(std::string_view attr, int dev = 0);
std::string proc_path(std::string_view file, int dev = 0);

// The outcome of one read or write: errno (0 on success) and the data.
struct Io {
    int err = 0;
    std::string data;
};

// open + read everything with reads of @chunk bytes + close.
Io read_file(const std::string& path, size_t chunk = 65536);
// open + one write(2) of all of @data + close. err is 0 only if the whole
// write was accepted.
int write_file(const std::string& path, std::string_view data);
// One write(2) on an open descriptor; 0 or errno (short writes are EIO).
int write_fd(int fd, std::string_view data);
// pread(2) at offset 0 of up to @max bytes.
Io pread_all(int fd, size_t max = 1 << 21);

// ioctl(2): 0 or errno.
int xioctl(int fd, unsigned long cmd, void* arg);
int xioctl(int fd, unsigned long cmd, unsigned long arg);

// Run a shell command; returns its exit status and stdout.
Io run(const std::string& command);

// Parse a decimal number the driver printed (the whole string, one '\n' allowed).
int64_t to_i64(const std::string& text);
uint64_t to_u64(const std::string& text);

}  // namespace kt
