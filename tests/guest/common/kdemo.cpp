#include "common/kdemo.hpp"

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace kt {

namespace {
uint64_t ptr(const void* p) {
    return reinterpret_cast<uintptr_t>(p);
}

void check(int err, const char* what) {
    if (err)
        throw std::system_error(err, std::generic_category(), what);
}
}  // namespace

int set_msg(int fd, std::string_view msg) {
    kdemo_msg m{};
    m.data = ptr(msg.data());
    m.len = static_cast<uint32_t>(msg.size());
    return xioctl(fd, KDEMO_IOC_SET_MSG, &m);
}

int get_msg(int fd, std::string& out, uint64_t* generation) {
    out.assign(64, '\0');
    for (;;) {
        kdemo_msg m{};
        m.data = ptr(out.data());
        m.len = static_cast<uint32_t>(out.size());
        int err = xioctl(fd, KDEMO_IOC_GET_MSG, &m);
        if (err == ERANGE && m.len > out.size()) {
            out.assign(m.len, '\0');
            continue;
        }
        if (err)
            return err;
        out.resize(m.len);
        if (generation)
            *generation = m.generation;
        return 0;
    }
}

int add(int fd, int64_t value) {
    return xioctl(fd, KDEMO_IOC_ADD, &value);
}

int add_batch(int fd, std::span<const int64_t> values) {
    kdemo_batch b{};
    b.values = ptr(values.data());
    b.count = static_cast<uint32_t>(values.size());
    return xioctl(fd, KDEMO_IOC_ADD_BATCH, &b);
}

int reset(int fd) {
    return xioctl(fd, KDEMO_IOC_RESET, 0UL);
}

Sum get_sum(int fd) {
    kdemo_sum s{};
    check(xioctl(fd, KDEMO_IOC_GET_SUM, &s), "KDEMO_IOC_GET_SUM");
    return {s.sum, s.count, s.generation};
}

std::string get_msg(int fd) {
    std::string out;
    check(get_msg(fd, out), "KDEMO_IOC_GET_MSG");
    return out;
}

kdemo_info get_info(int fd) {
    kdemo_info info{};
    info.size = sizeof(info);
    check(xioctl(fd, KDEMO_IOC_GET_INFO, &info), "KDEMO_IOC_GET_INFO");
    return info;
}

kdemo_snapshot read_snapshot(const kdemo_snapshot* s) {
    // the page is read-only; atomic_ref needs a non-const object to name it
    auto* m = const_cast<kdemo_snapshot*>(s);
    kdemo_snapshot c{};
    uint32_t seq;
    do {
        seq = std::atomic_ref<__u32>(m->seq).load(std::memory_order_acquire);
        c.abi_version = std::atomic_ref<__u32>(m->abi_version).load(std::memory_order_relaxed);
        c.sum = std::atomic_ref<__s64>(m->sum).load(std::memory_order_relaxed);
        c.count = std::atomic_ref<__u64>(m->count).load(std::memory_order_relaxed);
        c.generation = std::atomic_ref<__u64>(m->generation).load(std::memory_order_relaxed);
        c.msg_len = std::atomic_ref<__u64>(m->msg_len).load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
    } while ((seq & 1) || std::atomic_ref<__u32>(m->seq).load(std::memory_order_relaxed) != seq);
    c.seq = seq;
    return c;
}

std::string read_value(const std::string& path) {
    Io io = read_file(path);
    if (io.err) {
        ADD_FAILURE() << "read " << path << ": " << std::strerror(io.err);
        return {};
    }
    if (io.data.empty() || io.data.back() != '\n') {
        ADD_FAILURE() << path << " does not end with a newline: '" << io.data << "'";
        return io.data;
    }
    io.data.pop_back();
    return io.data;
}

void KdemoTest::SetUp() {
    ensure_module(config());
    rw = open_file(node_path(), O_RDWR);
    ro = open_file(node_path(), O_RDONLY);
    ASSERT_EQ(set_msg(rw.get(), ""), 0);
    ASSERT_EQ(reset(rw.get()), 0);
}

}  // namespace kt
