// Every way to read one device's state, side by side: the consistency tests
// compare them all after every write.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace kt {

struct View {
    std::string message;  // the message bytes
    int64_t sum = 0;
    uint64_t count = 0;
    uint64_t generation = 0;
    uint64_t msg_len = 0;
};

// name of the reader ("ioctl", "sysfs", "proc", "ioctl-info", "proc-info",
// "mmap") -> what it read. Readers that do not carry a field leave it at the
// value of the "ioctl" reader, so that every entry can be compared whole.
std::map<std::string, View> read_all_views(int dev = 0);

}  // namespace kt
