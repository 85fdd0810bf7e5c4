// SPDX-License-Identifier: LGPL-2.1-or-later
// The sysfs transport: /sys/class/kdemo/kdemoN/*, each attribute kept open.
//
// Limits (DESIGN.md): a message of at most sysfs_msg_max (4094) bytes, else EFBIG, both
// client-side for a write and from the kernel for a read; an add of at most 4095 bytes of text
// (the driver refuses a page or more), else EFBIG before anything is written, so `auto` moves
// on to proc or ioctl.
// info is partial: sysfs has no driver, version, abi or msg_len.
#include <fcntl.h>
#include <poll.h>

#include <array>

#include "attr_file.hpp"
#include "files.hpp"
#include "info_data.hpp"
#include "transport.hpp"

namespace kctl::detail {

namespace {

namespace sf = sysfs_file;

constexpr std::size_t sysfs_write_max = 4095;  // the driver refuses a page or more (DESIGN.md)
constexpr int sum_retries = 100;

enum attr : std::uint8_t {
    message_r,
    message_w,
    sum_a,
    count_a,
    generation_a,
    add_a,
    reset_a,
    msg_max_a,
    random_a,
    opens_a,
    ioctl_ops_a,
    sysfs_ops_a,
    proc_ops_a,
    netlink_ops_a,
    uring_ops_a,
    attr_count,
};

struct attr_spec {
    const char* file;
    int mode;
};

constexpr std::array<attr_spec, attr_count> specs = {{
    {sf::message, O_RDONLY},
    {sf::message, O_WRONLY},
    {sf::sum, O_RDONLY},
    {sf::count, O_RDONLY},
    {sf::generation, O_RDONLY},
    {sf::add, O_WRONLY},
    {sf::reset, O_WRONLY},
    {sf::msg_max, O_RDONLY},
    {sf::random, O_RDONLY},
    {sf::opens, O_RDONLY},
    {sf::ioctl_ops, O_RDONLY},
    {sf::sysfs_ops, O_RDONLY},
    {sf::proc_ops, O_RDONLY},
    {sf::netlink_ops, O_RDONLY},
    {sf::uring_ops, O_RDONLY},
}};

/// poll() on `generation`: POLLPRI|POLLERR after sysfs_notify; reading it re-arms.
class generation_watch final : public watch_source {
  public:
    explicit generation_watch(attr_file file) noexcept : file_(std::move(file)) {}
    int fd() const noexcept override { return const_cast<attr_file&>(file_).fd(); }
    short events() const noexcept override { return POLLPRI; }
    bool changed(short revents, int& err) const noexcept override {
        if (revents & (POLLPRI | POLLERR))
            return true;
        err = EBADF;  // POLLNVAL
        return false;
    }
    int rearm(std::uint64_t& generation) noexcept override { return file_.read(generation); }

  private:
    attr_file file_;
};

class sysfs_transport final : public transport {
  public:
    sysfs_transport(const std::string& dir, std::string device_name)
        : transport(transport_kind::sysfs), device_(std::move(device_name)) {
        for (std::size_t i = 0; i < attr_count; ++i)
            files_[i] = attr_file(dir + "/" + specs[i].file, specs[i].mode);
    }

    int get_msg(std::string& out) override { return read_message(files_[message_r], out); }

    int set_msg(std::string_view message) override {
        if (message.size() > sysfs_msg_max)
            return EFBIG;
        return write_message(files_[message_w], message, buf_);
    }

    int add(std::span<const std::int64_t> values) override {
        return write_values(files_[add_a], values, sysfs_write_max, buf_);
    }

    /// Three attributes are three reads: bracketed by two reads of the generation, which
    /// changes with every change, so equal generations mean a consistent snapshot.
    int sum(sum_result& out) noexcept override {
        std::uint64_t before = 0;
        if (const int err = files_[generation_a].read(before); err != 0)
            return err;
        for (int i = 0; i < sum_retries; ++i) {
            sum_result r{};
            std::uint64_t after = 0;
            int err = files_[sum_a].read(r.sum);
            if (err == 0)
                err = files_[count_a].read(r.count);
            if (err == 0)
                err = files_[generation_a].read(after);
            if (err != 0)
                return err;
            if (after == before) {
                r.generation = after;
                out = r;
                return 0;
            }
            before = after;
        }
        return EAGAIN;
    }

    int reset() override { return write_reset(files_[reset_a]); }

    int info(info_data& out) override {
        sum_result s;
        if (const int err = sum(s); err != 0)
            return err;
        out.set(info_field::device, device_);
        out.set(info_field::sum, static_cast<std::uint64_t>(s.sum));
        out.set(info_field::count, s.count);
        out.set(info_field::generation, s.generation);
        constexpr std::pair<info_field, attr> counters[] = {
            {info_field::msg_max, msg_max_a},     {info_field::opens, opens_a},
            {info_field::ioctl_ops, ioctl_ops_a}, {info_field::sysfs_ops, sysfs_ops_a},
            {info_field::proc_ops, proc_ops_a},   {info_field::netlink_ops, netlink_ops_a},
            {info_field::uring_ops, uring_ops_a}, {info_field::random, random_a},
        };
        for (const auto& [field, a] : counters) {
            std::uint64_t v = 0;
            if (const int err = files_[a].read(v); err != 0)
                return err;
            out.set(field, v);
        }
        return 0;
    }

    int watch(std::unique_ptr<watch_source>& out) override {
        attr_file f(files_[generation_a].path(), O_RDONLY);
        if (const int fd = f.fd(); fd < 0)
            return -fd;
        out = std::make_unique<generation_watch>(std::move(f));
        return 0;
    }

  private:
    std::string device_;
    std::array<attr_file, attr_count> files_;
    std::string buf_;
};

}  // namespace

std::unique_ptr<transport> make_sysfs_transport(const std::string& dir, std::string device_name) {
    return std::make_unique<sysfs_transport>(dir, std::move(device_name));
}

}  // namespace kctl::detail
