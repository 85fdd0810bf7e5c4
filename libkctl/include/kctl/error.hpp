// SPDX-License-Identifier: LGPL-2.1-or-later
// Part of libkctl. Include <kctl/kctl.hpp>, not this file.
#ifndef KCTL_ERROR_HPP
#define KCTL_ERROR_HPP

#ifndef KCTL_INSIDE_KCTL_HPP
#error "Only <kctl/kctl.hpp> can be included directly."
#endif

#include <string>
#include <system_error>

namespace kctl {

/// Every error libkctl reports: a std::system_error in std::generic_category() carrying the
/// errno, whose what() names device, transport and operation, e.g.
/// "kdemo0: ioctl: set-msg: Message too long". Catching std::system_error is enough;
/// this class adds the three parts separately.
class KCTL_API error : public std::system_error {
  public:
    /// transport may be empty (discovery), "auto" when no transport was usable.
    error(int errnum, std::string device, std::string transport, std::string op);
    error(const error&) = default;
    error& operator=(const error&) = default;
    ~error() override;

    const std::string& device() const noexcept { return device_; }
    const std::string& transport() const noexcept { return transport_; }
    const std::string& op() const noexcept { return op_; }

  private:
    std::string device_;
    std::string transport_;
    std::string op_;
};

}  // namespace kctl

#endif
