#include "common/kernel_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace kt {

KernelLog::KernelLog() : fd_(open_file("/dev/kmsg", O_RDONLY | O_NONBLOCK)) {
    ::lseek(fd_.get(), 0, SEEK_END);
}

std::vector<std::string> KernelLog::new_lines() {
    std::vector<std::string> lines;
    char record[8192];
    for (;;) {
        ssize_t n = ::read(fd_.get(), record, sizeof(record) - 1);
        if (n < 0) {
            if (errno == EPIPE)  // overwritten records: keep reading
                continue;
            break;  // EAGAIN: nothing more
        }
        std::string r(record, static_cast<size_t>(n));
        // "prio,seq,usec,flags;message\n" followed by optional continuation lines
        auto semi = r.find(';');
        auto nl = r.find('\n');
        if (semi != std::string::npos)
            lines.push_back(r.substr(semi + 1, nl == std::string::npos ? nl : nl - semi - 1));
    }
    return lines;
}

bool KernelLog::contains(const std::string& needle) {
    for (const auto& line : new_lines())
        if (line.find(needle) != std::string::npos)
            return true;
    return false;
}

}  // namespace kt
