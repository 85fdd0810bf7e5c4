#include "common/module.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "common/sys.hpp"

namespace kt {

namespace {
// What ensure_module() last loaded; dyndbg is not visible in sysfs.
ModuleConfig g_loaded;
bool g_known = false;

void udev_settle() {
    // The rig runs systemd-udevd; without it there is nothing to wait for.
    (void)run("udevadm settle --timeout=20 2>/dev/null");
}

unsigned read_param(const char* name) {
    Io io = read_file(std::string("/sys/module/kdemo/parameters/") + name);
    return io.err ? 0 : static_cast<unsigned>(to_u64(io.data));
}
}  // namespace

std::string module_file() {
    const char* env = std::getenv("KDEMO_KO");
    return env && *env ? env : "/kdemo/kdemo.ko";
}

int load_module_raw(const std::string& params) {
    int fd = ::open(module_file().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    long rc = ::syscall(SYS_finit_module, fd, params.c_str(), 0);
    int err = rc < 0 ? errno : 0;
    ::close(fd);
    return err;
}

int unload_module_raw() {
    return ::syscall(SYS_delete_module, "kdemo", O_NONBLOCK) < 0 ? errno : 0;
}

int load_module(const std::string& params) {
    int err = load_module_raw(params);
    g_known = false;
    if (!err)
        udev_settle();
    return err;
}

int unload_module() {
    int err = unload_module_raw();
    g_known = false;
    if (!err)
        udev_settle();
    return err;
}

bool module_loaded() {
    return ::access("/sys/module/kdemo/initstate", F_OK) == 0;
}

std::string ModuleConfig::params() const {
    std::string p = "ndevs=" + std::to_string(ndevs) + " msg_max=" + std::to_string(msg_max);
    if (dyndbg)
        p += " dyndbg=+p";
    return p;
}

void ensure_module(const ModuleConfig& config) {
    if (module_loaded()) {
        ModuleConfig current{read_param("ndevs"), read_param("msg_max"),
                             g_known ? g_loaded.dyndbg : false};
        if (current == config)
            return;
        int err = unload_module();
        if (err)
            throw std::runtime_error(std::string("cannot unload kdemo: ") + std::strerror(err));
    }
    int err = load_module(config.params());
    if (err)
        throw std::runtime_error("cannot load kdemo " + config.params() + ": " +
                                 std::strerror(err));
    g_loaded = config;
    g_known = true;
}

}  // namespace kt
