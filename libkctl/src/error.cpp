// SPDX-License-Identifier: LGPL-2.1-or-later
#include <kctl/kctl.hpp>

namespace kctl {

namespace {

std::string describe(const std::string& device, const std::string& transport,
                     const std::string& op) {
    std::string what = device.empty() ? std::string("kctl") : device;
    if (!transport.empty())
        what += ": " + transport;
    if (!op.empty())
        what += ": " + op;
    return what;
}

}  // namespace

error::error(int errnum, std::string device, std::string transport, std::string op)
    : std::system_error(errnum, std::generic_category(), describe(device, transport, op)),
      device_(std::move(device)),
      transport_(std::move(transport)),
      op_(std::move(op)) {}

error::~error() = default;

}  // namespace kctl
