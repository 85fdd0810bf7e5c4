// SPDX-License-Identifier: LGPL-2.1-or-later
#include "chooser.hpp"

#include <cerrno>
#include <cstring>

namespace kctl::detail {

namespace {

constexpr support F = support::full;
constexpr support P = support::partial;
constexpr support N = support::none;

// clang-format off
// Rows: concrete_transports order. Columns: get-msg set-msg add sum reset info watch.
constexpr std::array<std::array<support, operation_count>, transport_count> table = {{
    /* mmap  */ {N, N, N, F, N, N, N},
    /* ioctl */ {F, F, F, F, F, F, F},
    /* sysfs */ {F, F, F, F, F, P, F},
    /* proc  */ {F, F, F, F, F, F, N},
    /* netlink */ {F, F, F, F, F, F, F},
    /* uring */ {F, F, F, F, F, F, N},
}};
// clang-format on

// The order per operation, measured (tools/bench-preference, from docs/bench/bench.json).
constexpr std::array<std::array<transport_kind, transport_count>, operation_count> order_table = {{
#include "preference.inc"
}};

// Each row is a permutation of the concrete transports: the chooser considers every one.
constexpr bool is_permutation_of_all(const std::array<transport_kind, transport_count>& row) {
    std::array<bool, transport_count> seen{};
    for (const transport_kind k : row) {
        if (k == transport_kind::automatic || seen[index(k)])
            return false;
        seen[index(k)] = true;
    }
    return true;
}
static_assert([] {
    for (const auto& row : order_table)
        if (!is_permutation_of_all(row))
            return false;
    return true;
}());

void pass(plan& p, transport_kind k, int err) noexcept {
    p.passed[p.passed_size++] = skipped{k, err, p.size};
}

}  // namespace

const std::array<transport_kind, transport_count>& preference(operation op) noexcept {
    return order_table[index(op)];
}

support capability(transport_kind kind, operation op) noexcept {
    if (kind == transport_kind::automatic)
        return N;
    return table[index(kind)][index(op)];
}

plan choose(const usability& u, operation op, std::size_t msg_size) noexcept {
    plan p;
    for (const support level : {F, P}) {
        for (const transport_kind k : preference(op)) {
            // One io_uring command costs more than one ioctl (docs/BENCHMARKS.md): uring
            // is for batches (kctl::batch) and for whoever asks for it by name.
            if (k == transport_kind::uring || capability(k, op) != level)
                continue;
            if (const int err = u.at(k, op); err != 0)
                pass(p, k, err);
            else if (k == transport_kind::sysfs && op == operation::set_msg &&
                     msg_size > sysfs_msg_max)
                pass(p, k, EFBIG);
            else if (k == transport_kind::netlink && op == operation::set_msg &&
                     msg_size > netlink_msg_max)
                pass(p, k, EFBIG);
            else
                p.order[p.size++] = k;
        }
    }
    return p;
}

plan only(transport_kind kind, operation op) noexcept {
    plan p;
    if (capability(kind, op) != N)
        p.order[p.size++] = kind;
    return p;
}

bool is_fallback_error(transport_kind kind, int err) noexcept {
    if (kind == transport_kind::mmap && (err == ENODEV || err == EPROTO))
        return true;
    switch (err) {
        case EACCES:
        case EPERM:
        case ENOENT:
        case ENOTTY:
        case EOPNOTSUPP:
        case EBADF:
        case EFBIG:
            return true;
        default:
            return false;
    }
}

std::string errno_name(int err) {
    const char* name = strerrorname_np(err);
    return name ? name : std::to_string(err);
}

std::string describe_skip(operation op, const skipped& s, bool at_runtime) {
    std::string why(to_string(s.kind));
    if (at_runtime)
        why += " failed";
    else if (s.err == EFBIG)
        why += " cannot carry it";
    else if (s.err == ENOENT)
        why += " not present";
    else if (s.err == EOPNOTSUPP)
        why += " unsupported";
    else
        why += is_mutation(op) ? " not writable" : " not readable";
    return why + " (" + errno_name(s.err) + ")";
}

}  // namespace kctl::detail
