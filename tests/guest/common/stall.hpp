// Stalling the driver on user memory: pages whose first touch blocks until
// the test says so (userfaultfd), and calls run on their own thread so that
// a test can wait for them with a hang guard instead of hanging itself.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace kt {

// An anonymous private mapping of @pages pages whose pages from @first on are
// registered with userfaultfd in missing mode: the first access to one of
// them, by this process or by the kernel on its behalf (copy_to_user,
// get_user), blocks until resolve() fills them or release() gives up on
// them. Nothing reads the userfaultfd but wait_fault(), so a fault stays
// unresolved for as long as the test wants.
class UffdRegion {
  public:
    explicit UffdRegion(size_t pages, size_t first = 0);
    ~UffdRegion();
    UffdRegion(const UffdRegion&) = delete;
    UffdRegion& operator=(const UffdRegion&) = delete;

    // Empty if the region is armed; else why not (no userfaultfd here, ...).
    const std::string& error() const { return error_; }
    char* data() const { return base_; }
    size_t size() const { return size_; }
    // The first registered page.
    char* stalled() const { return base_ + first_ * page_; }
    static size_t page_size();

    // The address of the next fault reported within @timeout, or nullopt.
    std::optional<uintptr_t> wait_fault(std::chrono::milliseconds timeout);
    // Fills the registered pages with @bytes (the rest zero) and wakes
    // whoever waits on them (UFFDIO_COPY). 0 or errno.
    int resolve(std::string_view bytes = {});
    // Closes the userfaultfd: waiters retry and find ordinary zero pages.
    // For cleaning up after a failure; idempotent.
    void release();

  private:
    char* base_ = nullptr;
    size_t size_ = 0;
    size_t page_ = 0;
    size_t first_ = 0;
    int uffd_ = -1;
    std::string error_;
};

// A call that may block in the kernel, running on its own thread. It
// returns "" on success, else what went wrong. The destructor calls
// @unblock if the call has not returned (to end the stall it is blocked
// behind), then joins the thread.
class Job {
  public:
    explicit Job(std::function<std::string()> fn, std::function<void()> unblock = {});
    ~Job();
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;

    // True once the call has returned, waiting at most @timeout.
    bool wait(std::chrono::milliseconds timeout);
    // What the call returned; only after wait() returned true.
    const std::string& result();

  private:
    std::future<std::string> future_;
    std::thread thread_;
    std::function<void()> unblock_;
    std::optional<std::string> result_;
};

}  // namespace kt
