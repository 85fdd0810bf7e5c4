// SPDX-License-Identifier: LGPL-2.1-or-later
// Part of libkctl. Include <kctl/kctl.hpp>, not this file.
#ifndef KCTL_EXPORT_HPP
#define KCTL_EXPORT_HPP

#ifndef KCTL_INSIDE_KCTL_HPP
#error "Only <kctl/kctl.hpp> can be included directly."
#endif

// libkctl is built with -fvisibility=hidden; only what carries KCTL_API is exported.
#define KCTL_API __attribute__((visibility("default")))
/// A member of a KCTL_API class that stays inside the library (constructors from the private
/// kctl::detail types): not exported, so not part of the ABI.
#define KCTL_LOCAL __attribute__((visibility("hidden")))

#endif
