// SPDX-License-Identifier: LGPL-2.1-or-later
// The snapshot page's reader: public and inline since device::sum() reads the page in the
// caller's code (<kctl/snapshot.hpp>); this header stays for the library's own files.
#ifndef KCTL_SRC_SNAPSHOT_HPP
#define KCTL_SRC_SNAPSHOT_HPP

#include <kctl/kctl.hpp>

#endif
