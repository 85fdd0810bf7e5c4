// SPDX-License-Identifier: GPL-2.0-or-later
#include "metrics.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <functional>
#include <utility>

#include "context.hpp"

namespace kctl::cli {

device_sample sample_of(std::string device, const kctl::info& info) {
    using F = kctl::info_field;
    device_sample s;
    s.device = std::move(device);
    s.driver = info.text(F::driver);
    s.version = info.text(F::version);
    s.abi = info.number(F::abi);
    if (info.has(F::sum))
        s.sum = info.sum();
    s.count = info.number(F::count);
    s.generation = info.number(F::generation);
    s.msg_len = info.number(F::msg_len);
    s.msg_max = info.number(F::msg_max);
    s.opens = info.number(F::opens);
    s.ioctl_ops = info.number(F::ioctl_ops);
    s.sysfs_ops = info.number(F::sysfs_ops);
    s.proc_ops = info.number(F::proc_ops);
    s.netlink_ops = info.number(F::netlink_ops);
    s.uring_ops = info.number(F::uring_ops);
    return s;
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

namespace {

// One metric family: its samples are appended by `fill` for each device.
struct family {
    std::string_view name;
    std::string_view type;
    std::string_view help;
    std::function<void(const device_sample&, std::string& samples)> fill;
};

std::string device_label(const device_sample& d) {
    return fmt::format("device=\"{}\"", escape_label_value(d.device));
}

// A family of one number per device, from the field `field` when the device has it.
template <typename T>
family per_device(std::string_view name, std::string_view type, std::string_view help,
                  std::optional<T> device_sample::*field) {
    return {name, type, help, [name, field](const device_sample& d, std::string& out) {
                if (d.error == 0 && (d.*field).has_value())
                    out += fmt::format("{}{{{}}} {}\n", name, device_label(d), *(d.*field));
            }};
}

std::vector<family> families() {
    std::vector<family> f;
    f.push_back(
        {"kdemo_device_up", "gauge", "Whether the device's state could be read (1) or not (0).",
         [](const device_sample& d, std::string& out) {
             out +=
                 fmt::format("kdemo_device_up{{{}}} {}\n", device_label(d), d.error == 0 ? 1 : 0);
         }});
    f.push_back({"kdemo_info", "gauge",
                 "Driver name, driver version and ABI version of the device; always 1.",
                 [](const device_sample& d, std::string& out) {
                     if (d.error != 0 || !d.driver || !d.version || !d.abi)
                         return;
                     out +=
                         fmt::format("kdemo_info{{{},driver=\"{}\",version=\"{}\",abi=\"{}\"}} 1\n",
                                     device_label(d), escape_label_value(*d.driver),
                                     escape_label_value(*d.version), *d.abi);
                 }});
    f.push_back(per_device("kdemo_accumulator", "gauge",
                           "Sum of the values added since the last reset (kctl sum: sum).",
                           &device_sample::sum));
    f.push_back(per_device("kdemo_accumulator_values_total", "counter",
                           "Values added to the accumulator since the last reset, which "
                           "starts it again at 0 (kctl sum: count).",
                           &device_sample::count));
    f.push_back(per_device("kdemo_changes_total", "counter",
                           "Changes of the message or the accumulator since the module was "
                           "loaded (kctl sum: generation).",
                           &device_sample::generation));
    f.push_back(per_device("kdemo_message_length_bytes", "gauge", "Length of the message.",
                           &device_sample::msg_len));
    f.push_back(per_device("kdemo_message_max_bytes", "gauge",
                           "Largest message the device accepts (module parameter msg_max).",
                           &device_sample::msg_max));
    f.push_back(per_device("kdemo_open_files", "gauge",
                           "Open files of the device node /dev/kdemoN right now.",
                           &device_sample::opens));
    f.push_back(
        {"kdemo_operations_total", "counter",
         "Operations the device served since the module was loaded, by transport; "
         "reading the metrics counts too.",
         [](const device_sample& d, std::string& out) {
             if (d.error != 0)
                 return;
             const std::pair<std::string_view, const std::optional<std::uint64_t>*> ops[] = {
                 {"ioctl", &d.ioctl_ops},
                 {"sysfs", &d.sysfs_ops},
                 {"proc", &d.proc_ops},
                 {"netlink", &d.netlink_ops},
                 {"uring", &d.uring_ops}};
             for (const auto& [transport, value] : ops) {
                 if (value->has_value())
                     out += fmt::format("kdemo_operations_total{{{},transport=\"{}\"}} {}\n",
                                        device_label(d), transport, **value);
             }
         }});
    return f;
}

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, const std::string& samples) {
    if (samples.empty())
        return;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    out += samples;
}

}  // namespace

std::string exposition(const std::vector<device_sample>& devices, bool up) {
    std::string out;
    append_family(out, "kdemo_up", "gauge",
                  "Whether kctl found the kdemo devices and read every one of them (1) or "
                  "not (0).",
                  fmt::format("kdemo_up {}\n", up ? 1 : 0));
    for (const family& f : families()) {
        std::string samples;
        for (const device_sample& d : devices)
            f.fill(d, samples);
        append_family(out, f.name, f.type, f.help, samples);
    }
    return out;
}

void write_atomically(const std::string& dir, const std::string& name, std::string_view text) {
    const std::string path = dir + "/" + name;
    std::string temp = dir + "/." + name + ".XXXXXX";
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0)
        throw failure(errno, "cannot create a temporary file in " + dir);

    int err = 0;
    std::string_view rest = text;
    while (err == 0 && !rest.empty()) {
        const ssize_t n = ::write(fd, rest.data(), rest.size());
        if (n < 0 && errno != EINTR)
            err = errno;
        else if (n > 0)
            rest.remove_prefix(static_cast<std::size_t>(n));
    }
    // mkostemp() made it 0600; node_exporter reads it as another user.
    if (err == 0 && ::fchmod(fd, 0644) != 0)
        err = errno;
    if (::close(fd) != 0 && err == 0)
        err = errno;
    if (err == 0 && ::rename(temp.c_str(), path.c_str()) != 0)
        err = errno;
    if (err != 0) {
        ::unlink(temp.c_str());
        throw failure(err, "cannot write " + path);
    }
}

}  // namespace kctl::cli
