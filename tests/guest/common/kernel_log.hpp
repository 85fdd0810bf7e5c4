// The kernel log lines printed after a point in time, read from /dev/kmsg.
#pragma once

#include <string>
#include <vector>

#include "common/sys.hpp"

namespace kt {

class KernelLog {
  public:
    // Starts at the end of the log: only later lines are returned.
    KernelLog();
    // The message text of every record logged since construction or the
    // previous call.
    std::vector<std::string> new_lines();
    // True if some new line contains @needle (consumes the lines).
    bool contains(const std::string& needle);

  private:
    Fd fd_;
};

}  // namespace kt
