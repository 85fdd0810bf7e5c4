// SPDX-License-Identifier: LGPL-2.1-or-later
// The engine behind kctl::device: which transport serves which operation, and the fallback
// rule (ethtool's): try the preferred transport, move on only when it says "unusable or
// unsupported here" (is_fallback_error), say why, and report every other error as the answer.
#ifndef KCTL_SRC_DEVICE_CORE_HPP
#define KCTL_SRC_DEVICE_CORE_HPP

#include <kctl/kctl.hpp>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chooser.hpp"
#include "transport.hpp"

namespace kctl::detail {

class device_core {
  public:
    /// Makes the transport `kind` for the device as the core knows it now (its permissions
    /// may have been probed again since it was opened).
    using factory = std::function<std::unique_ptr<transport>(transport_kind, const entry_data&)>;
    using logger = std::function<void(std::string_view)>;
    /// Fills entry_data::usable from the permissions as they are now (probe() by default).
    using prober = std::function<void(entry_data&)>;

    /// `entry`'s usability is what the probe found (ignored unless `requested` is automatic).
    device_core(device_entry entry, transport_kind requested, factory make, logger log,
                prober reprobe = {});

    const device_entry& entry() const noexcept { return entry_; }
    const std::string& name() const noexcept { return entry_.name(); }
    transport_kind last(operation op) const noexcept { return last_[index(op)]; }
    /// How device::sum() may skip run() and the virtual call: set once a transport with a
    /// shortcut (mmap, ioctl) has served sum, cleared when sum moves to another transport.
    const sum_shortcut& shortcut() const noexcept { return sum_shortcut_; }
    /// The transport asked for at open (automatic included).
    transport_kind requested() const noexcept { return requested_; }
    /// A core of the same device, request, factory and logger with transports and choices
    /// of its own, so that another thread can use it (a watcher reads its state with one).
    std::shared_ptr<device_core> fork() const {
        return std::make_shared<device_core>(entry_, requested_, make_, log_, reprobe_);
    }

    /// Runs `fn(transport&) -> errno` on the transport chosen for `op`: the cached choice
    /// first, then the plan. Throws kctl::error. `msg_size` matters for set-msg only.
    template <typename Fn>
    void run(operation op, Fn&& fn, std::size_t msg_size = 0) {
        transport* t = chosen_[index(op)];
        if (t) [[likely]] {
            const int err = fn(*t);
            if (err == 0) [[likely]]
                return;
            fail_or_note(op, t->kind(), err);
        }
        choose_and_run(op, msg_size, t ? t->kind() : transport_kind::automatic,
                       [&fn](transport& tr) { return fn(tr); });
    }

  private:
    void choose_and_run(operation op, std::size_t msg_size, transport_kind failed,
                        const std::function<int(transport&)>& fn, bool reprobed = false);
    /// Probes the permissions again; if they changed, takes them and drops every transport
    /// and choice made with the old ones. Returns whether they changed.
    bool reprobe();
    /// Throws unless err allows trying another transport; else remembers it for the log.
    void fail_or_note(operation op, transport_kind kind, int err);
    transport& get(transport_kind kind);
    [[noreturn]] void raise(int err, transport_kind kind, operation op) const;

    device_entry entry_;
    transport_kind requested_;
    factory make_;
    logger log_;
    prober reprobe_;
    std::array<std::unique_ptr<transport>, transport_count> transports_;
    /// Transports replaced after a re-probe, kept until the device goes (their page may be
    /// read inline by kctl::device; a re-probe happens only when permissions changed).
    std::vector<std::unique_ptr<transport>> retired_;
    std::array<transport*, operation_count> chosen_{};
    std::array<transport_kind, operation_count> last_{};
    skipped runtime_failure_{transport_kind::automatic, 0};
    sum_shortcut sum_shortcut_;
};

}  // namespace kctl::detail

#endif
