// Loading and unloading kdemo.ko from inside the guest, through the
// finit_module/delete_module system calls themselves.
#pragma once

#include <string>

namespace kt {

// The module file: $KDEMO_KO, else /kdemo/kdemo.ko.
std::string module_file();

// finit_module(2) / delete_module(2, O_NONBLOCK) and nothing else: 0 or errno.
int load_module_raw(const std::string& params);
int unload_module_raw();

// The same, then waiting for udev to settle after a success.
int load_module(const std::string& params = "");
int unload_module();
bool module_loaded();

// Parameters the loaded module was given (from /sys/module/kdemo/parameters).
struct ModuleConfig {
    unsigned ndevs = 1;
    unsigned msg_max = 4095;
    bool dyndbg = false;  // load with dyndbg=+p

    std::string params() const;
    bool operator==(const ModuleConfig&) const = default;
};

// Make sure the module is loaded with @config (reloads it if not); throws
// std::runtime_error if that fails.
void ensure_module(const ModuleConfig& config = {});

}  // namespace kt
