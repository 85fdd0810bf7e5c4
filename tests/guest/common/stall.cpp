#include "common/stall.hpp"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kt {

size_t UffdRegion::page_size() {
    return static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

UffdRegion::UffdRegion(size_t pages, size_t first)
    : page_(page_size()), first_(std::min(first, pages)) {
    size_ = pages * page_;
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        error_ = std::string("mmap: ") + std::strerror(errno);
        return;
    }
    base_ = static_cast<char*>(p);
    // Root may handle faults of kernel accesses (no UFFD_USER_MODE_ONLY).
    uffd_ = static_cast<int>(::syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
    if (uffd_ < 0) {
        error_ = std::string("userfaultfd: ") + std::strerror(errno);
        return;
    }
    uffdio_api api{};
    api.api = UFFD_API;
    if (::ioctl(uffd_, UFFDIO_API, &api) != 0) {
        error_ = std::string("UFFDIO_API: ") + std::strerror(errno);
        return;
    }
    uffdio_register reg{};
    reg.range.start = reinterpret_cast<uintptr_t>(stalled());
    reg.range.len = size_ - first_ * page_;
    reg.mode = UFFDIO_REGISTER_MODE_MISSING;
    if (::ioctl(uffd_, UFFDIO_REGISTER, &reg) != 0)
        error_ = std::string("UFFDIO_REGISTER: ") + std::strerror(errno);
}

UffdRegion::~UffdRegion() {
    release();
    if (base_)
        ::munmap(base_, size_);
}

std::optional<uintptr_t> UffdRegion::wait_fault(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (uffd_ >= 0) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
        pollfd p{uffd_, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return std::nullopt;
        uffd_msg msg{};
        if (::read(uffd_, &msg, sizeof(msg)) != static_cast<ssize_t>(sizeof(msg)))
            continue;  // EAGAIN: another reader took it
        if (msg.event == UFFD_EVENT_PAGEFAULT)
            return static_cast<uintptr_t>(msg.arg.pagefault.address);
    }
    return std::nullopt;
}

int UffdRegion::resolve(std::string_view bytes) {
    if (uffd_ < 0)
        return EBADF;
    const size_t len = size_ - first_ * page_;
    // the source of UFFDIO_COPY: page-aligned, as the destination
    void* src = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (src == MAP_FAILED)
        return errno;
    std::memcpy(src, bytes.data(), std::min(bytes.size(), len));
    int err = 0;
    size_t done = 0;
    while (done < len) {
        uffdio_copy copy{};
        copy.dst = reinterpret_cast<uintptr_t>(stalled()) + done;
        copy.src = reinterpret_cast<uintptr_t>(src) + done;
        copy.len = len - done;
        if (::ioctl(uffd_, UFFDIO_COPY, &copy) == 0) {
            done = len;
        } else if (errno == EAGAIN && copy.copy >= 0) {
            done += static_cast<size_t>(copy.copy);  // the mm changed: go on
        } else {
            err = errno;
            break;
        }
    }
    ::munmap(src, len);
    return err;
}

void UffdRegion::release() {
    if (uffd_ >= 0)
        ::close(uffd_);
    uffd_ = -1;
}

Job::Job(std::function<std::string()> fn, std::function<void()> unblock)
    : unblock_(std::move(unblock)) {
    std::packaged_task<std::string()> task(std::move(fn));
    future_ = task.get_future();
    thread_ = std::thread(std::move(task));
}

Job::~Job() {
    if (!result_ && future_.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
        unblock_)
        unblock_();
    thread_.join();
}

bool Job::wait(std::chrono::milliseconds timeout) {
    return result_ || future_.wait_for(timeout) == std::future_status::ready;
}

const std::string& Job::result() {
    if (!result_) {
        try {
            result_ = future_.get();
        } catch (const std::exception& e) {
            result_ = std::string("exception: ") + e.what();
        }
    }
    return *result_;
}

}  // namespace kt
