// SPDX-License-Identifier: LGPL-2.1-or-later
// Finding devices with libudev (subsystem "kdemo").
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "entry_data.hpp"
#include "make.hpp"
#include "resolve.hpp"
#include "udev_ptr.hpp"

namespace kctl {

namespace detail {

namespace {

constexpr const char* subsystem = "kdemo";
constexpr const char* proc_root = "/proc/kdemo/";

[[noreturn]] void fail(int err, std::string_view device, const char* op) {
    throw error(err, std::string(device), "", op);
}

udev_ptr new_udev() {
    udev_ptr u(udev_new());
    if (!u)
        fail(errno ? errno : ENOMEM, "", "udev");
    return u;
}

device_entry make_entry(udev_device* dev) {
    auto e = std::make_shared<entry_data>();
    e->name = udev_device_get_sysname(dev);
    const char* node = udev_device_get_devnode(dev);
    e->node = node ? node : "";
    e->syspath = udev_device_get_syspath(dev);
    e->procdir = proc_root + e->name;
    const dev_t devnum = udev_device_get_devnum(dev);
    e->major = ::major(devnum);
    e->minor = ::minor(devnum);
    probe(*e);
    return make::entry(std::move(e));
}

bool in_subsystem(udev_device* dev) {
    const char* s = dev ? udev_device_get_subsystem(dev) : nullptr;
    return s && std::strcmp(s, subsystem) == 0;
}

udev_device_ptr from_path(udev* u, const std::string& path) {
    char* real = ::realpath(path.c_str(), nullptr);
    if (!real)
        return nullptr;
    const std::string resolved(real);
    std::free(real);
    if (is_sysfs_path(resolved))
        return udev_device_ptr(udev_device_new_from_syspath(u, resolved.c_str()));
    struct stat st {};
    if (::stat(resolved.c_str(), &st) != 0 || !S_ISCHR(st.st_mode))
        return nullptr;
    return udev_device_ptr(udev_device_new_from_devnum(u, 'c', st.st_rdev));
}

}  // namespace

}  // namespace detail

using namespace detail;

device_entry::device_entry() : data_(std::make_shared<const entry_data>()) {}

const std::string& device_entry::name() const noexcept {
    return data_->name;
}
const std::string& device_entry::node() const noexcept {
    return data_->node;
}
const std::string& device_entry::syspath() const noexcept {
    return data_->syspath;
}
const std::string& device_entry::procdir() const noexcept {
    return data_->procdir;
}
unsigned device_entry::major_number() const noexcept {
    return data_->major;
}
unsigned device_entry::minor_number() const noexcept {
    return data_->minor;
}

int device_entry::check(transport_kind kind, operation op) const noexcept {
    if (kind == transport_kind::automatic)
        return EINVAL;
    return data_->usable.at(kind, op);
}

access_mode device_entry::access(transport_kind kind) const noexcept {
    access_mode m;
    for (const operation op : all_operations)
        if (check(kind, op) == 0)
            (is_mutation(op) ? m.write : m.read) = true;
    return m;
}

std::vector<device_entry> list_devices() {
    const udev_ptr u = new_udev();
    const udev_enumerate_ptr en(udev_enumerate_new(u.get()));
    if (!en || udev_enumerate_add_match_subsystem(en.get(), subsystem) < 0 ||
        udev_enumerate_scan_devices(en.get()) < 0)
        fail(ENOMEM, "", "list");
    std::vector<device_entry> out;
    udev_list_entry* item = nullptr;
    udev_list_entry_foreach(item, udev_enumerate_get_list_entry(en.get())) {
        const udev_device_ptr dev(
            udev_device_new_from_syspath(u.get(), udev_list_entry_get_name(item)));
        if (in_subsystem(dev.get()))
            out.push_back(make_entry(dev.get()));
    }
    std::sort(out.begin(), out.end(), [](const device_entry& a, const device_entry& b) {
        return a.minor_number() != b.minor_number() ? a.minor_number() < b.minor_number()
                                                    : a.name() < b.name();
    });
    return out;
}

device_entry find_device(std::string_view name) {
    const std::string given = name.empty() ? default_device_name() : std::string(name);
    device_ref ref;
    if (const int err = classify_device_name(given, ref); err != 0)
        fail(ENODEV, given, "open");
    const udev_ptr u = new_udev();
    udev_device_ptr dev = ref.what == device_ref::kind::path
                              ? from_path(u.get(), ref.value)
                              : udev_device_ptr(udev_device_new_from_subsystem_sysname(
                                    u.get(), subsystem, ref.value.c_str()));
    if (!in_subsystem(dev.get()))
        fail(ENODEV, given, "open");
    return make_entry(dev.get());
}

std::string default_device_name() {
    const char* env = std::getenv("KCTL_DEVICE");
    return env && *env ? env : "kdemo0";
}

transport_kind default_transport() {
    const char* env = std::getenv("KCTL_TRANSPORT");
    if (!env || !*env)
        return transport_kind::automatic;
    if (const auto kind = parse_transport(env))
        return *kind;
    throw error(EINVAL, "", "", std::string("KCTL_TRANSPORT=") + env);
}

}  // namespace kctl
