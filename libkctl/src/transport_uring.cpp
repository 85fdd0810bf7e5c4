// SPDX-License-Identifier: LGPL-2.1-or-later
// The uring transport: io_uring passthrough on /dev/kdemoN, one command per call (submit one
// SQE, wait for its CQE). The node is kept open like the ioctl transport's (O_RDWR if
// permitted, else O_RDONLY, whose mutations the kernel refuses with EBADF) and so is a small
// ring. One command costs more than one ioctl; this transport is for `-t uring` and as the
// reference kctl::batch is checked against. See docs/URING.md.
#include <fcntl.h>
#include <linux/kdemo.h>

#include <cstring>
#include <memory>

#include "fd.hpp"
#include "info_data.hpp"
#include "msg_buffer.hpp"
#include "transport.hpp"
#include "uring_ring.hpp"

namespace kctl::detail {

namespace {

std::uint64_t ptr(const void* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p);
}

class uring_transport final : public transport {
  public:
    uring_transport(std::string node, int mode) noexcept
        : transport(transport_kind::uring), node_(std::move(node)), mode_(mode) {}

    int get_msg(std::string& out) override {
        if (const int err = ready(); err != 0)
            return err;
        return msg_.get(out, [this](kdemo_msg& m) { return cmd(KDEMO_IOC_GET_MSG, ptr(&m)); });
    }

    int set_msg(std::string_view message) override {
        if (message.size() > UINT32_MAX)
            return EMSGSIZE;
        if (const int err = ready(); err != 0)
            return err;
        kdemo_msg m{};
        m.data = ptr(message.data());
        m.len = static_cast<__u32>(message.size());
        return cmd(KDEMO_IOC_SET_MSG, ptr(&m));
    }

    int add(std::span<const std::int64_t> values) override {
        if (values.empty())
            return EINVAL;
        if (values.size() > KDEMO_BATCH_MAX)
            return E2BIG;
        if (const int err = ready(); err != 0)
            return err;
        if (values.size() == 1)  // the value travels in the SQE
            return cmd(KDEMO_IOC_ADD, static_cast<std::uint64_t>(values[0]));
        kdemo_batch b{};
        b.values = ptr(values.data());
        b.count = static_cast<__u32>(values.size());
        return cmd(KDEMO_IOC_ADD_BATCH, ptr(&b));
    }

    int sum(sum_result& out) noexcept override {
        if (const int err = ready(); err != 0)
            return err;
        kdemo_sum s{};
        if (const int err = cmd(KDEMO_IOC_GET_SUM, ptr(&s)); err != 0)
            return err;
        out = {s.sum, s.count, s.generation};
        return 0;
    }

    int reset() override {
        if (const int err = ready(); err != 0)
            return err;
        return cmd(KDEMO_IOC_RESET, 0);
    }

    int info(info_data& out) override {
        if (const int err = ready(); err != 0)
            return err;
        kdemo_info i{};
        i.size = sizeof i;
        if (const int err = cmd(KDEMO_IOC_GET_INFO, ptr(&i)); err != 0)
            return err;
        return fill_info(i, out);
    }

  private:
    int ready() noexcept {
        if (!fd_) {
            const int f = ::open(node_.c_str(), mode_ | O_CLOEXEC);
            if (f < 0)
                return errno;
            fd_.reset(f);
        }
        if (!ring_)
            return ring_.open(4);
        return 0;
    }

    /// 0 or the command's errno.
    int cmd(unsigned op, std::uint64_t arg) noexcept {
        const int res = ring_.run_one(fd_.get(), op, arg);
        return res < 0 ? -res : 0;
    }

    std::string node_;
    int mode_;
    unique_fd fd_;
    uring_ring ring_;
    msg_buffer msg_;
};

}  // namespace

std::unique_ptr<transport> make_uring_transport(std::string node, int open_mode) {
    return std::make_unique<uring_transport>(std::move(node), open_mode);
}

}  // namespace kctl::detail
