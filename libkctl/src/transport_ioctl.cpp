// SPDX-License-Identifier: LGPL-2.1-or-later
// The ioctl transport: /dev/kdemoN, kept open (O_RDWR if permitted, else O_RDONLY, whose
// mutations the kernel refuses with EBADF).
#include <fcntl.h>
#include <linux/kdemo.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <cstring>
#include <memory>

#include "fd.hpp"
#include "info_data.hpp"
#include "msg_buffer.hpp"
#include "transport.hpp"

namespace kctl::detail {

namespace {

static_assert(KDEMO_BATCH_MAX == batch_max);

template <typename Arg>
int do_ioctl(int fd, unsigned long cmd, Arg arg) noexcept {
    return ::ioctl(fd, cmd, arg) == 0 ? 0 : errno;
}

int open_node(const std::string& node, int mode, unique_fd& fd) noexcept {
    if (!fd) {
        const int f = ::open(node.c_str(), mode | O_CLOEXEC);
        if (f < 0)
            return errno;
        fd.reset(f);
    }
    return 0;
}

/// poll() on a descriptor of its own: POLLIN|POLLPRI once the generation differs from the
/// one this descriptor last read; reading the sum re-arms it.
class node_watch final : public watch_source {
  public:
    explicit node_watch(unique_fd fd) noexcept : fd_(std::move(fd)) {}
    int fd() const noexcept override { return fd_.get(); }
    short events() const noexcept override { return POLLIN | POLLPRI; }
    bool changed(short revents, int& err) const noexcept override {
        if (revents & (POLLIN | POLLPRI))
            return true;
        err = (revents & POLLNVAL) ? EBADF : ENODEV;  // POLLERR/POLLHUP: the device went away
        return false;
    }
    int rearm(std::uint64_t& generation) noexcept override {
        kdemo_sum s{};
        const int err = do_ioctl(fd_.get(), KDEMO_IOC_GET_SUM, &s);
        generation = s.generation;
        return err;
    }

  private:
    unique_fd fd_;
};

std::string fixed_string(const char (&field)[KDEMO_NAME_LEN]) {
    return {field, ::strnlen(field, sizeof field)};
}

class ioctl_transport final : public transport {
  public:
    ioctl_transport(std::string node, int mode) noexcept
        : transport(transport_kind::ioctl), node_(std::move(node)), mode_(mode) {}

    int get_msg(std::string& out) override {
        if (const int err = open_node(node_, mode_, fd_); err != 0)
            return err;
        return msg_.get(
            out, [this](kdemo_msg& m) { return do_ioctl(fd_.get(), KDEMO_IOC_GET_MSG, &m); });
    }

    int set_msg(std::string_view message) override {
        if (message.size() > UINT32_MAX)
            return EMSGSIZE;
        if (const int err = open_node(node_, mode_, fd_); err != 0)
            return err;
        kdemo_msg m{};
        m.data = reinterpret_cast<std::uintptr_t>(message.data());
        m.len = static_cast<__u32>(message.size());
        return do_ioctl(fd_.get(), KDEMO_IOC_SET_MSG, &m);
    }

    int add(std::span<const std::int64_t> values) override {
        if (values.empty())
            return EINVAL;
        if (values.size() > KDEMO_BATCH_MAX)
            return E2BIG;
        if (const int err = open_node(node_, mode_, fd_); err != 0)
            return err;
        if (values.size() == 1) {
            const __s64 v = values[0];
            return do_ioctl(fd_.get(), KDEMO_IOC_ADD, &v);
        }
        static_assert(sizeof(__s64) == sizeof(std::int64_t));
        kdemo_batch b{};
        b.values = reinterpret_cast<std::uintptr_t>(values.data());
        b.count = static_cast<__u32>(values.size());
        return do_ioctl(fd_.get(), KDEMO_IOC_ADD_BATCH, &b);
    }

    int sum(sum_result& out) noexcept override {
        if (const int err = open_node(node_, mode_, fd_); err != 0)
            return err;
        kdemo_sum s{};
        if (const int err = do_ioctl(fd_.get(), KDEMO_IOC_GET_SUM, &s); err != 0)
            return err;
        out = {s.sum, s.count, s.generation};
        return 0;
    }

    sum_shortcut shortcut() const noexcept override { return {nullptr, fd_.get()}; }

    int reset() override {
        if (const int err = open_node(node_, mode_, fd_); err != 0)
            return err;
        return do_ioctl(fd_.get(), KDEMO_IOC_RESET, 0);
    }

    int info(info_data& out) override {
        if (const int err = open_node(node_, mode_, fd_); err != 0)
            return err;
        kdemo_info i{};
        i.size = sizeof i;
        if (const int err = do_ioctl(fd_.get(), KDEMO_IOC_GET_INFO, &i); err != 0)
            return err;
        return fill_info(i, out);
    }

    int watch(std::unique_ptr<watch_source>& out) override {
        unique_fd fd;
        if (const int err = open_node(node_, O_RDONLY, fd); err != 0)
            return err;
        out = std::make_unique<node_watch>(std::move(fd));
        return 0;
    }

  private:
    std::string node_;
    int mode_;
    unique_fd fd_;
    msg_buffer msg_;
};

}  // namespace

int fill_info(const kdemo_info& i, info_data& out) {
    if (i.size < KDEMO_INFO_SIZE_VER0)
        return EPROTO;
    out.set(info_field::driver, fixed_string(i.driver));
    out.set(info_field::version, fixed_string(i.version));
    out.set(info_field::device, fixed_string(i.device));
    out.set(info_field::abi, i.abi_version);
    out.set(info_field::msg_max, i.msg_max);
    out.set(info_field::msg_len, i.msg_len);
    out.set(info_field::sum, static_cast<std::uint64_t>(i.sum));
    out.set(info_field::count, i.count);
    out.set(info_field::generation, i.generation);
    out.set(info_field::opens, i.opens);
    out.set(info_field::ioctl_ops, i.ioctl_ops);
    out.set(info_field::sysfs_ops, i.sysfs_ops);
    out.set(info_field::proc_ops, i.proc_ops);
    if (i.size >= KDEMO_INFO_SIZE_VER1) {
        out.set(info_field::netlink_ops, i.netlink_ops);
        out.set(info_field::uring_ops, i.uring_ops);
    }
    out.set(info_field::random, i.random);
    return 0;
}

std::unique_ptr<transport> make_ioctl_transport(std::string node, int open_mode) {
    return std::make_unique<ioctl_transport>(std::move(node), open_mode);
}

}  // namespace kctl::detail
