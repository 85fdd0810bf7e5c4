// SPDX-License-Identifier: LGPL-2.1-or-later
// The GET_MSG buffer of the transports that pass struct kdemo_msg (ioctl, uring): kept
// between calls and never cleared (no allocation, no memset per call), grown to the length
// the kernel says it needs (ERANGE) and the call made again, since the message may grow.
#ifndef KCTL_SRC_MSG_BUFFER_HPP
#define KCTL_SRC_MSG_BUFFER_HPP

#include <linux/kdemo.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

namespace kctl::detail {

class msg_buffer {
  public:
    /// `call(kdemo_msg&)` sends GET_MSG with the prepared struct and returns 0 or an errno.
    template <typename Call>
    int get(std::string& out, Call&& call) {
        for (;;) {
            if (size_ < capacity_) {
                buf_ = std::make_unique_for_overwrite<char[]>(capacity_);
                size_ = capacity_;
            }
            kdemo_msg m{};
            m.data = reinterpret_cast<std::uintptr_t>(buf_.get());
            m.len = static_cast<__u32>(capacity_);
            const int err = call(m);
            if (err == 0) {
                out.assign(buf_.get(), m.len);
                return 0;
            }
            if (err != ERANGE || m.len <= capacity_)
                return err;
            capacity_ = m.len;  // the length needed
        }
    }

  private:
    std::size_t capacity_ = 4096;  // grows to the largest message seen
    std::unique_ptr<char[]> buf_;
    std::size_t size_ = 0;
};

}  // namespace kctl::detail

#endif
