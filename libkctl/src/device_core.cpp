// SPDX-License-Identifier: LGPL-2.1-or-later
#include "device_core.hpp"

#include "entry_data.hpp"
#include "make.hpp"

namespace kctl::detail {

std::unique_ptr<transport> make_transport(transport_kind kind, const entry_data& e) {
    switch (kind) {
        case transport_kind::mmap:
            return make_mmap_transport(e.node);
        case transport_kind::ioctl:
            return make_ioctl_transport(e.node, node_open_mode(e.usable));
        case transport_kind::sysfs:
            return make_sysfs_transport(e.syspath, e.name);
        case transport_kind::proc:
            return make_proc_transport(e.procdir);
        case transport_kind::netlink:
            return make_netlink_transport(e.minor);
        case transport_kind::uring:
            return make_uring_transport(e.node, node_open_mode(e.usable));
        case transport_kind::automatic:
            break;
    }
    return nullptr;
}

device_core::device_core(device_entry entry, transport_kind requested, factory make, logger log,
                         prober reprobe)
    : entry_(std::move(entry)),
      requested_(requested),
      make_(std::move(make)),
      log_(std::move(log)),
      reprobe_(reprobe ? std::move(reprobe) : prober([](entry_data& e) { probe(e); })) {
    last_.fill(transport_kind::automatic);
}

transport& device_core::get(transport_kind kind) {
    auto& slot = transports_[index(kind)];
    if (!slot)
        slot = make_(kind, entry_.data());
    return *slot;
}

bool device_core::reprobe() {
    auto fresh = std::make_shared<entry_data>(entry_.data());
    reprobe_(*fresh);
    if (fresh->usable.err == entry_.data().usable.err)
        return false;
    entry_ = make::entry(std::move(fresh));
    // Kept, not closed: kctl::device may still read the old snapshot page inline.
    for (auto& t : transports_)
        if (t)
            retired_.push_back(std::move(t));
    chosen_.fill(nullptr);
    sum_shortcut_ = {};
    return true;
}

void device_core::raise(int err, transport_kind kind, operation op) const {
    throw error(err, name(), std::string(to_string(kind)), std::string(to_string(op)));
}

void device_core::fail_or_note(operation op, transport_kind kind, int err) {
    if (requested_ != transport_kind::automatic || !is_fallback_error(kind, err))
        raise(err, kind, op);
    runtime_failure_ = {kind, err};
}

void device_core::choose_and_run(operation op, std::size_t msg_size, transport_kind failed,
                                 const std::function<int(transport&)>& fn, bool reprobed) {
    const bool automatic = requested_ == transport_kind::automatic;
    if (op == operation::sum)
        sum_shortcut_ = {};
    const plan p = automatic ? choose(entry_.data().usable, op, msg_size) : only(requested_, op);

    // The decisions, for the log: transports passed over that rank above candidate i.
    std::string why;
    std::size_t said = 0;
    auto note = [&why, op](const skipped& s, bool at_runtime) {
        why += describe_skip(op, s, at_runtime) + ", ";
    };
    auto note_passed = [&](std::size_t rank) {
        for (; said < p.passed_size && p.passed[said].rank <= rank; ++said)
            note(p.passed[said], false);
    };

    // After a runtime failure, only the candidates ranked below the one that failed.
    std::size_t first = 0;
    for (std::size_t i = 0; failed != transport_kind::automatic && i < p.size; ++i)
        if (p.order[i] == failed)
            first = i + 1;
    // Refused for permission at run time although the probe allowed it: the modes changed
    // since (an administrator, udev). Probe again, and if that changed anything, plan afresh
    // with what is true now (every cached choice goes with the old permissions, so choices
    // made because a faster transport was refused are made again on their next call). Only
    // on this failure path: the calls that succeed cost nothing more.
    auto permissions_changed = [&](int err) {
        if (!automatic || reprobed || (err != EACCES && err != EPERM))
            return false;
        reprobed = true;  // at most one probe per call
        if (!reprobe())
            return false;
        if (log_)
            log_(std::string(to_string(op)) + ": " + why + "permissions changed, choosing again");
        return true;
    };
    if (failed != transport_kind::automatic) {
        note_passed(first > 0 ? first - 1 : 0);
        note(runtime_failure_, true);
        if (permissions_changed(runtime_failure_.err))
            return choose_and_run(op, msg_size, transport_kind::automatic, fn, true);
    }

    // A transport passed over for the size of this one request (EFBIG) is not unusable:
    // the choice then serves this request only, and the next one is planned again.
    bool size_bound = failed != transport_kind::automatic && runtime_failure_.err == EFBIG;
    for (std::size_t i = 0; i < p.passed_size; ++i)
        size_bound |= p.passed[i].err == EFBIG;
    int first_err = p.passed_size ? p.passed[0].err : 0;
    for (std::size_t i = first; i < p.size; ++i) {
        note_passed(i);
        transport& t = get(p.order[i]);
        const int err = fn(t);
        if (err == 0) {
            chosen_[index(op)] = size_bound ? nullptr : &t;
            last_[index(op)] = t.kind();
            if (op == operation::sum)
                sum_shortcut_ = t.shortcut();
            if (log_) {
                const char* reason = !automatic    ? " (requested)"
                                     : why.empty() ? " (fastest usable)"
                                                   : "";
                log_(std::string(to_string(op)) + ": " + why + "using " +
                     std::string(to_string(t.kind())) + reason);
            }
            return;
        }
        fail_or_note(op, t.kind(), err);
        note(runtime_failure_, true);
        if (permissions_changed(err))
            return choose_and_run(op, msg_size, transport_kind::automatic, fn, true);
        size_bound |= err == EFBIG;
        if (first_err == 0)
            first_err = err;
    }
    note_passed(p.size);
    if (!automatic)
        raise(EOPNOTSUPP, requested_, op);
    // Refused everywhere for permission: udev (or an administrator) may have changed the
    // modes since the device was opened. Look once more before giving up.
    if ((first_err == EACCES || first_err == EPERM) && !reprobed && reprobe()) {
        if (log_)
            log_(std::string(to_string(op)) + ": " + why + "permissions changed, choosing again");
        return choose_and_run(op, msg_size, transport_kind::automatic, fn, true);
    }
    if (log_ && !why.empty())
        log_(std::string(to_string(op)) + ": " + why + "no transport left");
    raise(first_err ? first_err : EOPNOTSUPP, transport_kind::automatic, op);
}

}  // namespace kctl::detail
