// SPDX-License-Identifier: LGPL-2.1-or-later
// The mmap transport: one read-only page of /dev/kdemoN, read with the seqcount protocol.
// Serves sum only, with no system call at all.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fd.hpp"
#include "snapshot.hpp"
#include "transport.hpp"

namespace kctl::detail {

namespace {

class mmap_transport final : public transport {
  public:
    explicit mmap_transport(std::string node) noexcept
        : transport(transport_kind::mmap), node_(std::move(node)) {}
    ~mmap_transport() override {
        if (page_)
            ::munmap(const_cast<kdemo_snapshot*>(page_), length_);
    }

    int sum(sum_result& out) noexcept override {
        if (!page_) [[unlikely]] {
            if (const int err = map(); err != 0)
                return err;
        }
        snapshot_values v;
        read_snapshot(*page_, v);
        out = {v.sum, v.count, v.generation};
        return 0;
    }

    sum_shortcut shortcut() const noexcept override { return {page_, -1}; }

  private:
    int map() noexcept {
        const unique_fd fd(::open(node_.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd)
            return errno;
        const long page_size = ::sysconf(_SC_PAGESIZE);
        length_ = page_size > 0 ? static_cast<std::size_t>(page_size) : 4096;
        void* p = ::mmap(nullptr, length_, PROT_READ, MAP_SHARED, fd.get(), 0);
        if (p == MAP_FAILED)
            return errno;  // the mapping keeps the file open; the descriptor is not needed
        page_ = static_cast<const kdemo_snapshot*>(p);
        if (snapshot_impl::load(page_->abi_version, std::memory_order_relaxed) !=
            KDEMO_ABI_VERSION) {
            ::munmap(p, length_);
            page_ = nullptr;
            return EPROTO;
        }
        return 0;
    }

    std::string node_;
    const kdemo_snapshot* page_ = nullptr;
    std::size_t length_ = 0;
};

}  // namespace

std::unique_ptr<transport> make_mmap_transport(std::string node) {
    return std::make_unique<mmap_transport>(std::move(node));
}

}  // namespace kctl::detail
