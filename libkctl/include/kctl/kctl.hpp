// SPDX-License-Identifier: LGPL-2.1-or-later
// libkctl: C++20 user-space library for the kdemo character devices.
//
// The one header to include. Symbols not marked KCTL_API are private to the library.
#ifndef KCTL_KCTL_HPP
#define KCTL_KCTL_HPP

#define KCTL_INSIDE_KCTL_HPP

// clang-format off
#include <kctl/export.hpp>
#include <kctl/version.hpp>
#include <kctl/types.hpp>
#include <kctl/snapshot.hpp>
#include <kctl/error.hpp>
#include <kctl/discovery.hpp>
#include <kctl/device.hpp>
#include <kctl/batch.hpp>
// clang-format on

#undef KCTL_INSIDE_KCTL_HPP

#endif
