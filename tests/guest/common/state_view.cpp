#include "common/state_view.hpp"

#include <fcntl.h>
#include <linux/kdemo.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

#include "common/kdemo.hpp"
#include "common/sys.hpp"

namespace kt {

namespace {
std::map<std::string, std::string> parse_info(const std::string& text) {
    std::map<std::string, std::string> kv;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto colon = line.find(": ");
        if (colon == std::string::npos)
            throw std::runtime_error("bad info line: " + line);
        kv[line.substr(0, colon)] = line.substr(colon + 2);
    }
    return kv;
}

View mmap_view(int fd, const View& base) {
    void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        throw std::runtime_error("mmap failed");
    kdemo_snapshot c = read_snapshot(static_cast<const kdemo_snapshot*>(p));
    ::munmap(p, 4096);
    View v = base;
    v.sum = c.sum;
    v.count = c.count;
    v.generation = c.generation;
    v.msg_len = c.msg_len;
    return v;
}
}  // namespace

std::map<std::string, View> read_all_views(int dev) {
    std::map<std::string, View> views;
    Fd fd = open_file(node_path(dev), O_RDONLY);

    View io;
    io.message = get_msg(fd.get());
    Sum s = get_sum(fd.get());
    io.sum = s.sum;
    io.count = s.count;
    io.generation = s.generation;
    io.msg_len = io.message.size();
    views["ioctl"] = io;

    View sysfs = io;
    sysfs.message = read_value(sysfs_path("message", dev));
    sysfs.sum = to_i64(read_value(sysfs_path("sum", dev)));
    sysfs.count = to_u64(read_value(sysfs_path("count", dev)));
    sysfs.generation = to_u64(read_value(sysfs_path("generation", dev)));
    sysfs.msg_len = sysfs.message.size();
    views["sysfs"] = sysfs;

    View proc = io;
    proc.message = read_value(proc_path("message", dev));
    proc.sum = to_i64(read_value(proc_path("sum", dev)));
    proc.count = to_u64(read_value(proc_path("count", dev)));
    proc.msg_len = proc.message.size();
    views["proc"] = proc;

    kdemo_info info = get_info(fd.get());
    View ii = io;
    ii.sum = info.sum;
    ii.count = info.count;
    ii.generation = info.generation;
    ii.msg_len = info.msg_len;
    views["ioctl-info"] = ii;

    auto kv = parse_info(read_file(proc_path("info", dev)).data);
    View pi = io;
    pi.sum = to_i64(kv.at("sum"));
    pi.count = to_u64(kv.at("count"));
    pi.generation = to_u64(kv.at("generation"));
    pi.msg_len = to_u64(kv.at("msg_len"));
    views["proc-info"] = pi;

    views["mmap"] = mmap_view(fd.get(), io);
    return views;
}

}  // namespace kt
