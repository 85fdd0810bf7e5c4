// SPDX-License-Identifier: LGPL-2.1-or-later
// The transport interface, like a libiio backend: a name (kind), an ops table (the virtual
// functions) and a capability set (chooser.hpp's table). Every operation returns 0 or a
// positive errno and throws nothing but std::bad_alloc, so the chooser can fall back without
// exceptions and a tight loop over sum() costs one virtual call.
#ifndef KCTL_SRC_TRANSPORT_HPP
#define KCTL_SRC_TRANSPORT_HPP

#include <linux/kdemo.h>
#include <kctl/kctl.hpp>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kctl::detail {

struct info_data;
struct entry_data;

/// A descriptor to poll() for changes of a device.
class watch_source {
  public:
    virtual ~watch_source() = default;
    virtual int fd() const noexcept = 0;
    virtual short events() const noexcept = 0;
    /// Whether poll()'s revents report a change (else an error: returns false and sets err).
    virtual bool changed(short revents, int& err) const noexcept = 0;
    /// Reads the current generation, which re-arms the descriptor.
    virtual int rearm(std::uint64_t& generation) noexcept = 0;
    /// After rearm(): if the events read carried the whole state newer than `s` (netlink's
    /// monitor group does), stores it in `s` and returns true; false: read it.
    virtual bool carried(state& /*s*/) noexcept { return false; }
};

/// How device::sum() may read the sum without a virtual call once this transport serves
/// it: the mapped snapshot page (mmap), or a descriptor for KDEMO_IOC_GET_SUM (ioctl). The
/// two system-call-free or one-system-call transports are worth it: in a sum() loop the
/// virtual call was most of libkctl's cost (docs/BENCHMARKS.md).
struct sum_shortcut {
    const kdemo_snapshot* page = nullptr;
    int fd = -1;
};

class transport {
  public:
    explicit transport(transport_kind kind) noexcept : kind_(kind) {}
    virtual ~transport() = default;
    transport(const transport&) = delete;
    transport& operator=(const transport&) = delete;

    transport_kind kind() const noexcept { return kind_; }

    virtual int get_msg(std::string& /*out*/) { return EOPNOTSUPP; }
    virtual int set_msg(std::string_view /*message*/) { return EOPNOTSUPP; }
    /// 1..batch_max values, all or nothing.
    virtual int add(std::span<const std::int64_t> /*values*/) { return EOPNOTSUPP; }
    virtual int sum(sum_result& /*out*/) noexcept { return EOPNOTSUPP; }
    virtual int reset() { return EOPNOTSUPP; }
    virtual int info(info_data& /*out*/) { return EOPNOTSUPP; }
    virtual int watch(std::unique_ptr<watch_source>& /*out*/) { return EOPNOTSUPP; }
    /// Valid after a successful sum(), for as long as the transport lives.
    virtual sum_shortcut shortcut() const noexcept { return {}; }

  private:
    transport_kind kind_;
};

/// info_data from what KDEMO_IOC_GET_INFO filled: 0, or EPROTO if it is too short.
int fill_info(const kdemo_info& i, info_data& out);

/// The transports. Nothing is opened until first use; each keeps its descriptors open.
/// `open_mode` is O_RDWR, O_RDONLY or O_WRONLY (see node_open_mode()).
std::unique_ptr<transport> make_ioctl_transport(std::string node, int open_mode);
std::unique_ptr<transport> make_mmap_transport(std::string node);
/// `dir`: the device's sysfs directory (tests pass a fake tree).
std::unique_ptr<transport> make_sysfs_transport(const std::string& dir, std::string device_name);
/// `dir`: the device's proc directory, /proc/kdemo/kdemoN (tests pass a fake tree).
std::unique_ptr<transport> make_proc_transport(const std::string& dir);
/// io_uring passthrough on the node, one command per call (uring_ring.hpp).
std::unique_ptr<transport> make_uring_transport(std::string node, int open_mode);

/// `index`: the device index (the minor number, N of kdemoN) netlink requests carry.
std::unique_ptr<transport> make_netlink_transport(unsigned index);

/// The transport `kind` for the device `e`.
std::unique_ptr<transport> make_transport(transport_kind kind, const entry_data& e);

}  // namespace kctl::detail

#endif
