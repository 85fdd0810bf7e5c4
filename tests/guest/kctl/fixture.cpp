#include "kctl/fixture.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <system_error>

namespace kt {

void KctlTest::SetUp() {
    KdemoTest::SetUp();
    for (int dev = 1; dev < static_cast<int>(kKctlConfig.ndevs); dev++) {
        Fd fd = open_file(node_path(dev), O_RDWR);
        ASSERT_EQ(set_msg(fd.get(), ""), 0);
        ASSERT_EQ(reset(fd.get()), 0);
    }
}

Proc kctl(const std::vector<std::string>& args, const ExecOptions& options) {
    std::vector<std::string> argv{KCTL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return exec(argv, options);
}

int error_of(const std::function<void()>& fn, std::string* what) {
    try {
        fn();
    } catch (const std::system_error& e) {
        if (what)
            *what = e.what();
        return e.code().value();
    }
    return 0;
}

std::string err_name(int err) {
    if (err == 0)
        return "ok";
    const char* name = strerrorname_np(err);
    return name ? name : "errno " + std::to_string(err);
}

int open_errno(const std::string& path, int flags) {
    int fd = try_open(path, flags);
    if (fd < 0)
        return -fd;
    ::close(fd);
    return 0;
}

std::string name_of(kctl::transport_kind kind) {
    return std::string(kctl::to_string(kind));
}
std::string name_of(kctl::operation op) {
    return std::string(kctl::to_string(op));
}

int run_op(kctl::device& dev, kctl::operation op) {
    using kctl::operation;
    return error_of([&] {
        switch (op) {
            case operation::get_msg:
                (void)dev.get_msg();
                break;
            case operation::set_msg:
                dev.set_msg("x");
                break;
            case operation::add:
                dev.add(1);
                break;
            case operation::sum:
                (void)dev.sum();
                break;
            case operation::reset:
                dev.reset();
                break;
            case operation::info:
                (void)dev.info();
                break;
            case operation::watch: {
                kctl::watcher w = dev.watch();
                (void)w.wait(std::chrono::milliseconds(0));
                break;
            }
        }
    });
}

kctl::device open_with(kctl::transport_kind kind, std::vector<std::string>* log,
                       const std::string& name) {
    kctl::open_options o;
    o.set_transport(kind);
    if (log)
        o.set_log([log](std::string_view line) { log->emplace_back(line); });
    return kctl::device::open(name, std::move(o));
}

uint64_t stat_counter(const std::string& name, int dev) {
    return to_u64(read_value(sysfs_path("stats/" + name, dev)));
}

}  // namespace kt
