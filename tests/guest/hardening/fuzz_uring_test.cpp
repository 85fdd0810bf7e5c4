// Fuzzing the io_uring passthrough against the ioctl path, differentially: each random
// command goes to kdemo0 as IORING_OP_URING_CMD and to kdemo1 through ioctl(2). The two
// devices start equal; the command's arguments are laid out identically in two memory
// regions (one per path, each followed by a PROT_NONE guard page), so after every command
// the two outcomes, the bytes the kernel wrote into the two regions and the two devices'
// states must agree. The ioctl path is model-checked by fuzz_test.cpp; this one is
// checked against it, with the documented differences of docs/URING.md predicted
// directly (ADD's value in the SQE, GET_ABI's res, GET_SUM without a pointer, RESET's
// argument, the reserved word, the SQE128 tail). Rings: plain, CQE32 and SQE128; SQEs
// sometimes carry IOSQE_ASYNC, which sends the command to an io-wq worker.
//
// KDEMO_FUZZ_SEED overrides the seed (printed); KDEMO_STRESS_SECONDS bounds the time.
#include <fcntl.h>
#include <liburing.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "common/hardening.hpp"
#include "common/kdemo.hpp"

namespace kt {
namespace {

constexpr size_t kPage = 4096;
constexpr size_t kRegion = 4 * kPage;

// Two regions of kRegion bytes, each followed by a guard page.
class Regions {
  public:
    Regions() {
        void* p = ::mmap(nullptr, 2 * (kRegion + kPage), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::system_error(errno, std::generic_category(), "mmap");
        base_ = static_cast<unsigned char*>(p);
        ::mprotect(at(0) + kRegion, kPage, PROT_NONE);
        ::mprotect(at(1) + kRegion, kPage, PROT_NONE);
    }
    ~Regions() { ::munmap(base_, 2 * (kRegion + kPage)); }
    Regions(const Regions&) = delete;
    Regions& operator=(const Regions&) = delete;
    unsigned char* at(int i) const { return base_ + i * (kRegion + kPage); }
    uint64_t addr(int i, uint64_t off) const { return reinterpret_cast<uintptr_t>(at(i)) + off; }
    // Equal, but for the 8-byte pointer fields at @slots, which point into each one's own.
    bool same(const std::vector<uint64_t>& slots) const {
        for (uint64_t off : slots)
            std::memcpy(at(1) + off, at(0) + off, 8);
        return std::memcmp(at(0), at(1), kRegion) == 0;
    }
    void sync() { std::memcpy(at(1), at(0), kRegion); }
    // The same bytes at the same offset of both regions.
    void put(uint64_t off, const void* data, size_t n) {
        std::memcpy(at(0) + off, data, n);
        std::memcpy(at(1) + off, data, n);
    }

  private:
    unsigned char* base_ = nullptr;
};

// A pointer, resolved per region: inside a region it moves with the region.
struct Ptr {
    enum Kind { Null, Small, Kernel, Region, Guard, Straddle } kind = Null;
    uint64_t value = 0;  // Small, Kernel: the address; Region, Straddle: the offset
    uint64_t resolve(const Regions& r, int i) const {
        switch (kind) {
            case Null:
                return 0;
            case Small:
            case Kernel:
                return value;
            case Region:
            case Straddle:
                return r.addr(i, value);
            case Guard:
                return r.addr(i, kRegion + value);
        }
        return 0;
    }
};

class Gen {
  public:
    explicit Gen(uint64_t seed) : rng(seed) {}
    uint64_t u64() { return rng(); }
    uint64_t below(uint64_t n) { return n ? rng() % n : 0; }
    bool chance(unsigned percent) { return below(100) < percent; }
    // A pointer for @need bytes: valid most of the time.
    Ptr pointer(size_t need) {
        need = std::max<size_t>(need, 1);
        if (chance(75))
            return {Ptr::Region, below(kRegion - std::min(need, kRegion) + 1) & ~uint64_t{7}};
        switch (below(5)) {
            case 0:
                return {Ptr::Null, 0};
            case 1:
                return {Ptr::Small, 1 + below(kPage - 1)};
            case 2:
                return {Ptr::Kernel, 0xffff888000000000ULL + below(kPage)};
            case 3:
                return {Ptr::Guard, below(kPage)};
            default:
                return {Ptr::Straddle, kRegion - 1 - below(std::min(need, kRegion) - 1 + 1)};
        }
    }
    uint32_t length() {
        switch (below(6)) {
            case 0:
                return 0;
            case 1:
                return static_cast<uint32_t>(u64());
            case 2:
                return 4094 + static_cast<uint32_t>(below(4));  // around msg_max 4095
            default:
                return static_cast<uint32_t>(1 + below(64));
        }
    }
    template <typename T>
    T must_be_zero() {
        return chance(90) ? T{0} : static_cast<T>(T{1} << below(sizeof(T) * 8));
    }
    int64_t value() {
        switch (below(6)) {
            case 0:
                return INT64_MAX - static_cast<int64_t>(below(3));
            case 1:
                return INT64_MIN + static_cast<int64_t>(below(3));
            default:
                return static_cast<int64_t>(below(2001)) - 1000;
        }
    }
    std::mt19937_64 rng;
};

const unsigned kKnown[] = {KDEMO_IOC_GET_ABI,   KDEMO_IOC_GET_INFO, KDEMO_IOC_GET_MSG,
                           KDEMO_IOC_SET_MSG,   KDEMO_IOC_GET_SUM,  KDEMO_IOC_ADD,
                           KDEMO_IOC_ADD_BATCH, KDEMO_IOC_RESET};

// Command types the VFS answers itself for ioctl(2): never generated.
bool vfs_type(unsigned type) {
    return type == 0x00 || type == 0x12 || type == 0x15 || type == 'T' || type == 'X' ||
           type == 'f' || type == 0x94;
}

class Ring {
  public:
    explicit Ring(unsigned flags) {
        io_uring_params p{};
        p.flags = flags;
        err = -io_uring_queue_init_params(8, &ring, &p);
    }
    ~Ring() {
        if (err == 0)
            io_uring_queue_exit(&ring);
    }
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;
    io_uring ring{};
    int err = 0;
};

// Seeds/FuzzUring.X/Fixed runs the fixed seed (the regression case),
// .../Fresh a fresh one (KDEMO_FUZZ_SEED, else random), both printed with the
// command that replays them.
class FuzzUring : public KdemoTest, public ::testing::WithParamInterface<bool> {
  protected:
    ModuleConfig config() const override { return {2, 4095, false}; }
    void SetUp() override {
        if (!kernel_broken().empty())
            GTEST_SKIP() << "the kernel oopsed earlier: " << kernel_broken();
        KdemoTest::SetUp();
        if (HasFatalFailure())
            return;
        const bool fresh = GetParam();
        seed = fresh ? fuzz_fresh_seed() : 0x6b64656d6f;
        const char* flavour = std::getenv("KDEMO_KERNEL_FLAVOUR");
        std::printf("kdemo-fuzz-uring: seed %" PRIu64
                    "; replay: tests/vm/suite -k %s --env "
                    "KDEMO_STRESS_SECONDS=%g%s --filter 'Seeds/FuzzUring.*/%s'\n",
                    seed, flavour && *flavour ? flavour : "6.1", stress_seconds(),
                    fresh ? (" --env KDEMO_FUZZ_SEED=" + std::to_string(seed)).c_str() : "",
                    fresh ? "Fresh" : "Fixed");
    }
    void TearDown() override {
        if (!kernel_broken().empty())
            return;
        rw.reset();
        ro.reset();
        ensure_module();
    }
    void finding(const std::string& what) {
        if (++findings <= 30)
            ADD_FAILURE() << what;
    }
    uint64_t seed = 0;
    uint64_t findings = 0;
};

TEST_P(FuzzUring, RandomCommandsAgreeWithTheIoctlPath) {
    Gen g(seed);
    Regions mem;
    KmsgWatch kmsg;
    const double seconds = stress_seconds();
    Budget budget(seconds, static_cast<uint64_t>(4000 * seconds));
    Fd fds[2][3];
    for (int dev = 0; dev < 2; ++dev) {
        fds[dev][0] = open_file(node_path(dev), O_RDONLY);
        fds[dev][1] = open_file(node_path(dev), O_RDWR);
        fds[dev][2] = open_file(node_path(dev), O_WRONLY);
    }
    Ring plain(0), cqe32(IORING_SETUP_CQE32), sqe128(IORING_SETUP_SQE128);
    ASSERT_EQ(plain.err, 0);
    ASSERT_EQ(cqe32.err, 0);
    ASSERT_EQ(sqe128.err, 0);
    Ring* rings[] = {&plain, &cqe32, &sqe128};
    uint64_t compared = 0, predicted = 0, succeeded = 0, async = 0;
    const bool trace = env_u64("KDEMO_FUZZ_TRACE", 0) != 0;  // each command on stderr
    // The fixture changed kdemo0 to reach its start state: resets bring kdemo1's generation
    // level with it (GET_SUM, GET_MSG and GET_INFO report it), the rest is equal already.
    while (get_sum(fds[1][0].get()).generation < get_sum(fds[0][0].get()).generation)
        ASSERT_EQ(reset(fds[1][1].get()), 0);
    ASSERT_EQ(get_sum(fds[1][0].get()).generation, get_sum(fds[0][0].get()).generation);
    ASSERT_EQ(get_sum(fds[0][0].get()).sum, 0);
    ASSERT_EQ(get_msg(fds[1][0].get()), get_msg(fds[0][0].get()));

    while (budget.next()) {
        const int fdk = static_cast<int>(g.below(3));
        Ring& r = *rings[g.below(3)];
        const bool is_cqe32 = &r == &cqe32;
        const bool is_sqe128 = &r == &sqe128;

        unsigned cmd;
        if (g.chance(85)) {
            cmd = kKnown[g.below(std::size(kKnown))];
        } else {
            do {
                cmd = _IOC(static_cast<unsigned>(g.below(4)),
                           g.chance(50) ? KDEMO_IOC_MAGIC : static_cast<unsigned>(g.below(256)),
                           static_cast<unsigned>(g.chance(70) ? g.below(0x20) : g.below(256)),
                           static_cast<unsigned>(g.below(1 << 14)));
            } while (vfs_type(_IOC_TYPE(cmd)));
        }
        bool known = false;
        for (unsigned k : kKnown)
            known |= k == cmd ||
                     (k == KDEMO_IOC_GET_INFO && (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) ==
                                                     (k & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)));
        const bool writes = cmd == KDEMO_IOC_SET_MSG || cmd == KDEMO_IOC_ADD ||
                            cmd == KDEMO_IOC_ADD_BATCH || cmd == KDEMO_IOC_RESET;
        const uint64_t reserved = g.must_be_zero<uint64_t>();
        const bool tail = is_sqe128 && g.chance(10);

        // The argument, laid out identically in both regions.
        Ptr p = g.pointer(32);
        std::vector<uint64_t> slots;  // where the arguments hold pointers into the region
        uint64_t uarg = 0;            // what the SQE carries (resolved for region 0)
        bool uarg_is_ptr = true;
        const unsigned nr = _IOC_NR(cmd);
        // Structures in the first page, what they point to in the others: a message or a
        // list of values that overlapped its own structure would hold the pointer, which
        // differs between the regions.
        if (p.kind == Ptr::Region)
            p.value = g.below(kPage / 8 - 4) * 8;
        auto far = [&g](Ptr q, size_t need) {
            if (q.kind == Ptr::Region) {
                const size_t fit = std::min(need, kRegion - kPage);
                q.value = kPage + g.below(kRegion - kPage - fit + 1);
            }
            return q;
        };
        if (known && cmd == KDEMO_IOC_ADD) {
            const int64_t v = g.value();
            p = {Ptr::Region, g.below(kRegion / 8) * 8};
            mem.put(p.value, &v, sizeof v);
            uarg = static_cast<uint64_t>(v);
            uarg_is_ptr = false;
        } else if (known && cmd == KDEMO_IOC_RESET) {
            uarg = g.chance(90) ? 0 : 1 + g.below(100);
            uarg_is_ptr = false;
        } else if (known && (cmd == KDEMO_IOC_GET_MSG || cmd == KDEMO_IOC_SET_MSG) &&
                   p.kind == Ptr::Region && p.value + sizeof(kdemo_msg) <= kRegion) {
            kdemo_msg m{};
            const uint32_t len = g.length();
            const Ptr data = far(g.pointer(std::min<size_t>(len, kRegion)), len);
            m.len = len;
            m.flags = g.must_be_zero<uint32_t>();
            m.generation = cmd == KDEMO_IOC_SET_MSG ? g.must_be_zero<uint64_t>() : g.u64();
            m.reserved = g.must_be_zero<uint64_t>();
            for (int i = 0; i < 2; ++i) {
                m.data = data.resolve(mem, i);
                std::memcpy(mem.at(i) + p.value, &m, sizeof m);
            }
            slots.push_back(p.value + offsetof(kdemo_msg, data));
        } else if (known && cmd == KDEMO_IOC_ADD_BATCH && p.kind == Ptr::Region &&
                   p.value + sizeof(kdemo_batch) <= kRegion) {
            kdemo_batch b{};
            const uint32_t count = g.chance(10) ? g.length() : static_cast<uint32_t>(g.below(64));
            const Ptr values = far(g.pointer(size_t{count} * 8), size_t{count} * 8);
            if (values.kind == Ptr::Region)
                for (uint64_t o = values.value; o + 8 <= kRegion && o < values.value + count * 8;
                     o += 8) {
                    const int64_t v = g.value();
                    mem.put(o, &v, sizeof v);
                }
            b.count = count;
            b.flags = g.must_be_zero<uint32_t>();
            b.reserved[1] = g.must_be_zero<uint64_t>();
            for (int i = 0; i < 2; ++i) {
                b.values = values.resolve(mem, i);
                std::memcpy(mem.at(i) + p.value, &b, sizeof b);
            }
            slots.push_back(p.value + offsetof(kdemo_batch, values));
        } else if (known && nr == _IOC_NR(KDEMO_IOC_GET_INFO) && p.kind == Ptr::Region &&
                   p.value + 4 <= kRegion) {
            static const uint32_t sizes[] = {0, 183, 184, 200, 4096, 4097};
            const uint32_t size = g.chance(80) ? sizes[g.below(6)] : static_cast<uint32_t>(g.u64());
            mem.put(p.value, &size, sizeof size);
        }
        if (uarg_is_ptr)
            uarg = p.resolve(mem, 0);

        // Where docs/URING.md says the uring path answers on its own, predict it.
        int want = -1;  // -1: the ioctl path's answer
        if (!known)
            want = ENOTTY;
        else if (writes && fdk == 0)
            want = EBADF;
        else if (reserved || tail)
            want = EINVAL;
        else if (cmd == KDEMO_IOC_RESET && uarg != 0)
            want = EINVAL;
        else if (cmd == KDEMO_IOC_GET_SUM && uarg == 0)
            want = is_cqe32 ? 0 : EINVAL;
        else if (cmd == KDEMO_IOC_GET_ABI && uarg == 0)
            want = 0;

        // The uring path, on kdemo0.
        io_uring_sqe* sqe = io_uring_get_sqe(&r.ring);
        ASSERT_NE(sqe, nullptr);
        io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fds[0][fdk].get(), nullptr, 0, 0);
        sqe->cmd_op = cmd;
        if (g.chance(20)) {
            sqe->flags |= IOSQE_ASYNC;
            async++;
        }
        std::memset(sqe->cmd, 0, is_sqe128 ? 80 : 16);  // the slot's last use left its bytes
        auto* uc = reinterpret_cast<kdemo_uring_cmd*>(sqe->cmd);
        uc->arg = uarg;
        uc->reserved = reserved;
        if (tail)
            sqe->cmd[16 + g.below(64)] = static_cast<__u8>(1 + g.below(255));
        if (trace)
            std::fprintf(stderr,
                         "kdemo-fuzz-uring: %" PRIu64
                         ": cmd %#x fd %d ring %d flags %#x arg %#" PRIx64 " reserved %#" PRIx64
                         "\n",
                         budget.iterations(), cmd, fdk,
                         is_cqe32    ? 32
                         : is_sqe128 ? 128
                                     : 0,
                         sqe->flags, uarg, reserved);
        ASSERT_GE(io_uring_submit_and_wait(&r.ring, 1), 1);
        io_uring_cqe* cqe = nullptr;
        ASSERT_EQ(io_uring_wait_cqe(&r.ring, &cqe), 0);
        int ures = cqe->res;
        const uint64_t extra1 = is_cqe32 ? cqe->big_cqe[0] : 0;
        io_uring_cqe_seen(&r.ring, cqe);
        if (known && cmd == KDEMO_IOC_GET_ABI && ures == KDEMO_ABI_VERSION)
            ures = 0;
        const int uerr = ures < 0 ? -ures : (ures > 0 ? 10000 + ures : 0);
        const std::string head = "iteration " + std::to_string(budget.iterations()) + ": cmd " +
                                 std::to_string(cmd) + " fd " + std::to_string(fdk);

        if (want >= 0) {
            predicted++;
            if (uerr != want)
                finding(head + ": uring gave " + std::to_string(uerr) + ", docs/URING.md says " +
                        std::to_string(want));
            if (!mem.same(slots))
                finding(head + ": a refused uring command wrote to user memory");
            mem.sync();
            // no change on the uring side: undo nothing, but the devices must still agree
        } else {
            // The ioctl path, on kdemo1, with the same argument in region 1.
            const uint64_t iarg = p.resolve(mem, 1);
            const int ierr = ::ioctl(fds[1][fdk].get(), cmd, iarg) == 0 ? 0 : errno;
            compared++;
            if (uerr != ierr)
                finding(head + ": uring gave " + std::to_string(uerr) + ", ioctl " +
                        std::to_string(ierr));
            if (known && nr == _IOC_NR(KDEMO_IOC_GET_INFO)) {
                // The info structs differ in device, counters and random (also in what a
                // copy cut short by the guard page wrote): compare the state they report.
                if (uerr != 0) {
                    mem.sync();
                } else {
                    kdemo_info a{}, b{};
                    std::memcpy(&a, mem.at(0) + p.value, std::min(sizeof a, kRegion - p.value));
                    std::memcpy(&b, mem.at(1) + p.value, std::min(sizeof b, kRegion - p.value));
                    if (a.size != b.size || a.sum != b.sum || a.count != b.count ||
                        a.generation != b.generation || a.msg_len != b.msg_len)
                        finding(head + ": GET_INFO results differ");
                }
            } else if (!mem.same(slots)) {
                finding(head + ": the two paths wrote different bytes");
            }
            mem.sync();
        }
        if (uerr == 0)
            succeeded++;
        if (is_cqe32 && uerr == 0 && cmd == KDEMO_IOC_GET_SUM &&
            static_cast<int64_t>(extra1) != get_sum(fds[0][0].get()).sum)
            finding(head + ": extra1 is not the sum");

        // The two devices agree, so the next command starts from the same state.
        const Sum s0 = get_sum(fds[0][0].get());
        const Sum s1 = get_sum(fds[1][0].get());
        if (s0.sum != s1.sum || s0.count != s1.count || s0.generation != s1.generation) {
            finding(head + ": states differ: uring " + std::to_string(s0.sum) + "/" +
                    std::to_string(s0.count) + "/" + std::to_string(s0.generation) + ", ioctl " +
                    std::to_string(s1.sum) + "/" + std::to_string(s1.count) + "/" +
                    std::to_string(s1.generation));
            break;
        }
        if ((cmd == KDEMO_IOC_SET_MSG || budget.iterations() % 64 == 0) &&
            get_msg(fds[0][0].get()) != get_msg(fds[1][0].get())) {
            finding(head + ": messages differ");
            break;
        }
    }
    EXPECT_EQ(findings, 0u);
    auto problems = expect_clean_kernel_log(kmsg, "the uring fuzzer");

    Figures f("fuzz-uring");
    f.add("seed", seed);
    f.add("iterations", budget.iterations());
    f.add("compared", compared);
    f.add("predicted", predicted);
    f.add("succeeded", succeeded);
    f.add("async", async);
    f.add("unexpected", findings);
    f.add("reports", problems.size());
    f.print();
}

INSTANTIATE_TEST_SUITE_P(Seeds, FuzzUring, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                             return p.param ? "Fresh" : "Fixed";
                         });

}  // namespace
}  // namespace kt
