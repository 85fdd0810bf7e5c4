// The generic netlink family "kdemo": every operation against the state the
// other transports see, one case per refusal, the monitor group, and the
// family's life with the module. Raw netlink through libmnl (common/genl).
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "common/genl.hpp"
#include "common/kdemo.hpp"
#include "common/process.hpp"

namespace kt {
namespace {

using namespace std::chrono_literals;

class NetlinkTest : public KdemoTest {
  protected:
    // After the module is (re)loaded: the family's ids belong to one load.
    void SetUp() override {
        KdemoTest::SetUp();
        if (!HasFatalFailure())
            nl.emplace();
    }
    std::optional<Genl> nl;
};

TEST_F(NetlinkTest, FamilyOffersEveryOperationAndTheMonitorGroup) {
    for (int cmd : {KDEMO_CMD_GET_DEV, KDEMO_CMD_GET_MSG, KDEMO_CMD_SET_MSG, KDEMO_CMD_ADD,
                    KDEMO_CMD_GET_SUM, KDEMO_CMD_RESET, KDEMO_CMD_GET_INFO})
        EXPECT_EQ(nl->ops().count(cmd), 1U) << "command " << cmd;
    EXPECT_NE(nl->monitor_group(), 0U);
    for (int cmd : {KDEMO_CMD_SET_MSG, KDEMO_CMD_ADD, KDEMO_CMD_RESET})
        EXPECT_TRUE(nl->ops().at(cmd) & GENL_ADMIN_PERM) << "command " << cmd;
    for (int cmd : {KDEMO_CMD_GET_DEV, KDEMO_CMD_GET_MSG, KDEMO_CMD_GET_SUM, KDEMO_CMD_GET_INFO})
        EXPECT_FALSE(nl->ops().at(cmd) & GENL_ADMIN_PERM) << "command " << cmd;
}

TEST_F(NetlinkTest, SetMsgIsWhatIoctlSysfsAndProcRead) {
    const std::string msg("bytes\0and more", 14);
    GenlAnswer a =
        nl->request(KDEMO_CMD_SET_MSG, 0, [&](nlmsghdr* h) { put_bytes(h, KDEMO_A_MSG, msg); });
    ASSERT_EQ(a.err, 0) << a.extack;
    EXPECT_EQ(get_msg(rw.get()), msg);
    ASSERT_EQ(set_msg(rw.get(), "text"), 0);
    a = nl->request(KDEMO_CMD_SET_MSG, 0, [](nlmsghdr* h) { put_bytes(h, KDEMO_A_MSG, "hello"); });
    ASSERT_EQ(a.err, 0);
    EXPECT_EQ(read_value(sysfs_path("message")), "hello");
    EXPECT_EQ(read_value(proc_path("message")), "hello");
}

TEST_F(NetlinkTest, GetMsgReturnsTheMessageAndItsGeneration) {
    const std::string msg("any\0byte\n", 9);
    ASSERT_EQ(set_msg(rw.get(), msg), 0);
    GenlAnswer a = nl->request(KDEMO_CMD_GET_MSG, 0);
    ASSERT_EQ(a.err, 0) << a.extack;
    ASSERT_EQ(a.replies.size(), 1U);
    EXPECT_EQ(a.replies[0].attrs.at(KDEMO_A_MSG), msg);
    EXPECT_EQ(a.replies[0].u64(KDEMO_A_MSG_LEN), msg.size());
    EXPECT_EQ(a.replies[0].u64(KDEMO_A_GENERATION), state().generation);
}

TEST_F(NetlinkTest, EmptyMessageTravelsBothWays) {
    ASSERT_EQ(set_msg(rw.get(), "x"), 0);
    GenlAnswer a =
        nl->request(KDEMO_CMD_SET_MSG, 0, [](nlmsghdr* h) { put_bytes(h, KDEMO_A_MSG, ""); });
    ASSERT_EQ(a.err, 0) << a.extack;
    EXPECT_EQ(get_msg(rw.get()), "");
    a = nl->request(KDEMO_CMD_GET_MSG, 0);
    ASSERT_EQ(a.err, 0);
    EXPECT_EQ(a.replies.at(0).attrs.at(KDEMO_A_MSG), "");
}

TEST_F(NetlinkTest, AddListIsAddedAsOneChange) {
    const Sum before = state();
    GenlAnswer a = nl->request(KDEMO_CMD_ADD, 0, [](nlmsghdr* h) {
        for (int64_t v : {5, -2, 100})
            put_u64(h, KDEMO_A_VALUE, static_cast<uint64_t>(v));
    });
    ASSERT_EQ(a.err, 0) << a.extack;
    const Sum after = state();
    EXPECT_EQ(after.sum, 103);
    EXPECT_EQ(after.count, 3U);
    EXPECT_EQ(after.generation, before.generation + 1);
    EXPECT_EQ(read_value(sysfs_path("sum")), "103");
}

TEST_F(NetlinkTest, GetSumMatchesIoctl) {
    ASSERT_EQ(add(rw.get(), -7), 0);
    ASSERT_EQ(add(rw.get(), 3), 0);
    GenlAnswer a = nl->request(KDEMO_CMD_GET_SUM, 0);
    ASSERT_EQ(a.err, 0) << a.extack;
    const Sum s = state();
    EXPECT_EQ(static_cast<int64_t>(a.replies.at(0).u64(KDEMO_A_SUM)), -4);
    EXPECT_EQ(a.replies[0].u64(KDEMO_A_COUNT), 2U);
    EXPECT_EQ(a.replies[0].u64(KDEMO_A_GENERATION), s.generation);
    EXPECT_EQ(a.replies[0].u32(KDEMO_A_DEV_INDEX), 0U);
}

TEST_F(NetlinkTest, ResetZeroesTheAccumulator) {
    ASSERT_EQ(add(rw.get(), 42), 0);
    GenlAnswer a = nl->request(KDEMO_CMD_RESET, 0);
    ASSERT_EQ(a.err, 0) << a.extack;
    const Sum s = state();
    EXPECT_EQ(s.sum, 0);
    EXPECT_EQ(s.count, 0U);
}

TEST_F(NetlinkTest, GetInfoMatchesIoctlInfo) {
    ASSERT_EQ(set_msg(rw.get(), "four"), 0);
    ASSERT_EQ(add(rw.get(), 9), 0);
    GenlAnswer a = nl->request(KDEMO_CMD_GET_INFO, 0);
    ASSERT_EQ(a.err, 0) << a.extack;
    const kdemo_info i = get_info(rw.get());
    const GenlMsg& r = a.replies.at(0);
    EXPECT_EQ(r.str(KDEMO_A_DRIVER), i.driver);
    EXPECT_EQ(r.str(KDEMO_A_VERSION), i.version);
    EXPECT_EQ(r.str(KDEMO_A_DEV_NAME), i.device);
    EXPECT_EQ(r.u32(KDEMO_A_ABI), i.abi_version);
    EXPECT_EQ(r.u64(KDEMO_A_MSG_MAX), i.msg_max);
    EXPECT_EQ(r.u64(KDEMO_A_MSG_LEN), 4U);
    EXPECT_EQ(static_cast<int64_t>(r.u64(KDEMO_A_SUM)), 9);
    EXPECT_EQ(r.u64(KDEMO_A_COUNT), 1U);
    EXPECT_EQ(r.u64(KDEMO_A_GENERATION), i.generation);
    EXPECT_EQ(r.u64(KDEMO_A_OPENS), i.opens);
    EXPECT_GE(i.netlink_ops, r.u64(KDEMO_A_NETLINK_OPS));
    EXPECT_GE(r.u64(KDEMO_A_NETLINK_OPS), 1U);
    for (int t : {KDEMO_A_IOCTL_OPS, KDEMO_A_SYSFS_OPS, KDEMO_A_PROC_OPS, KDEMO_A_URING_OPS,
                  KDEMO_A_RANDOM})
        EXPECT_TRUE(r.has(t)) << "attribute " << t;
}

TEST_F(NetlinkTest, EveryRequestCountsInNetlinkOps) {
    const uint64_t before = get_info(rw.get()).netlink_ops;
    for (int cmd : {KDEMO_CMD_GET_SUM, KDEMO_CMD_GET_MSG, KDEMO_CMD_GET_DEV, KDEMO_CMD_RESET})
        ASSERT_EQ(nl->request(cmd, 0).err, 0);
    EXPECT_EQ(nl->request(KDEMO_CMD_ADD, 0).err, EINVAL);  // refused, still counted
    EXPECT_EQ(get_info(rw.get()).netlink_ops, before + 5);
    EXPECT_EQ(read_value(sysfs_path("stats/netlink_ops")), std::to_string(before + 5));
}

TEST_F(NetlinkTest, GetDevReportsTheScalarState) {
    ASSERT_EQ(set_msg(rw.get(), "abc"), 0);
    ASSERT_EQ(add(rw.get(), 11), 0);
    GenlAnswer a = nl->request(KDEMO_CMD_GET_DEV, 0);
    ASSERT_EQ(a.err, 0) << a.extack;
    const GenlMsg& r = a.replies.at(0);
    EXPECT_EQ(r.str(KDEMO_A_DEV_NAME), "kdemo0");
    EXPECT_EQ(r.u64(KDEMO_A_MSG_LEN), 3U);
    EXPECT_EQ(r.u64(KDEMO_A_MSG_MAX), 4095U);
    EXPECT_EQ(static_cast<int64_t>(r.u64(KDEMO_A_SUM)), 11);
    EXPECT_EQ(r.u64(KDEMO_A_GENERATION), state().generation);
}

class NetlinkFourDevices : public NetlinkTest {
  protected:
    ModuleConfig config() const override { return {.ndevs = 4}; }
};

TEST_F(NetlinkFourDevices, DumpListsEveryDeviceInOrder) {
    GenlAnswer a = nl->request(KDEMO_CMD_GET_DEV, -1, {}, true);
    ASSERT_EQ(a.err, 0) << a.extack;
    ASSERT_EQ(a.replies.size(), 4U);
    for (unsigned i = 0; i < 4; ++i) {
        EXPECT_EQ(a.replies[i].u32(KDEMO_A_DEV_INDEX), i);
        EXPECT_EQ(a.replies[i].str(KDEMO_A_DEV_NAME), "kdemo" + std::to_string(i));
    }
}

// The dump returns 0 after the last device: NLMSG_DONE then travels in the
// same skb, and the whole listing is one read (not a second pass for DONE).
TEST_F(NetlinkFourDevices, ADumpThatFitsIsAnsweredInOneRead) {
    std::vector<char> req;
    nlmsghdr* h = genl_header(req, nl->family(), KDEMO_CMD_GET_DEV, NLM_F_DUMP);
    h->nlmsg_seq = 4242;
    ASSERT_EQ(::send(nl->fd(), h, h->nlmsg_len, 0), static_cast<ssize_t>(h->nlmsg_len));
    std::vector<char> buf(64 * 1024);
    const ssize_t n = ::recv(nl->fd(), buf.data(), buf.size(), 0);
    ASSERT_GT(n, 0) << std::strerror(errno);
    std::vector<int> types;
    int len = static_cast<int>(n);
    for (auto* m = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(m, len);
         m = mnl_nlmsg_next(m, &len)) {
        EXPECT_EQ(m->nlmsg_seq, 4242U);
        types.push_back(m->nlmsg_type);
    }
    const int f = nl->family(), done = NLMSG_DONE;
    EXPECT_EQ(types, (std::vector<int>{f, f, f, f, done}));
    EXPECT_EQ(::recv(nl->fd(), buf.data(), buf.size(), MSG_DONTWAIT), -1) << "nothing more";
    EXPECT_EQ(errno, EAGAIN);
}

TEST_F(NetlinkFourDevices, RequestsReachOnlyTheNamedDevice) {
    Fd three = open_file(node_path(3), O_RDWR);
    ASSERT_EQ(reset(three.get()), 0);
    ASSERT_EQ(nl->request(KDEMO_CMD_ADD, 3, [](nlmsghdr* h) { put_u64(h, KDEMO_A_VALUE, 77); }).err,
              0);
    EXPECT_EQ(get_sum(three.get()).sum, 77);
    EXPECT_EQ(state().sum, 0);
}

// Refusals, one case each.
TEST_F(NetlinkTest, UnknownDeviceIndexIsENODEVNamingTheAttribute) {
    const Sum before = state();
    GenlAnswer a = nl->request(KDEMO_CMD_RESET, 5);
    EXPECT_EQ(a.err, ENODEV);
    EXPECT_EQ(a.bad_attr, KDEMO_A_DEV_INDEX);
    EXPECT_FALSE(a.extack.empty());
    EXPECT_EQ(state().generation, before.generation);
}

// The policy's range check answers ERANGE, as for every netlink family.
TEST_F(NetlinkTest, OutOfRangeDeviceIndexIsERANGENamingTheAttribute) {
    GenlAnswer a = nl->request(KDEMO_CMD_GET_SUM, KDEMO_DEV_INDEX_MAX + 1);
    EXPECT_EQ(a.err, ERANGE);
    EXPECT_EQ(a.bad_attr, KDEMO_A_DEV_INDEX);
    EXPECT_FALSE(a.extack.empty());
}

TEST_F(NetlinkTest, MissingDeviceIndexIsEINVALNamingTheAttribute) {
    GenlAnswer a = nl->request(KDEMO_CMD_GET_SUM, -1);
    EXPECT_EQ(a.err, EINVAL);
    EXPECT_EQ(a.missing_attr, KDEMO_A_DEV_INDEX);
    EXPECT_FALSE(a.extack.empty());
}

TEST_F(NetlinkTest, SetMsgWithoutMessageIsEINVALNamingTheAttribute) {
    const Sum before = state();
    GenlAnswer a = nl->request(KDEMO_CMD_SET_MSG, 0);
    EXPECT_EQ(a.err, EINVAL);
    EXPECT_EQ(a.missing_attr, KDEMO_A_MSG);
    EXPECT_FALSE(a.extack.empty());
    EXPECT_EQ(state().generation, before.generation);
}

TEST_F(NetlinkTest, AddWithoutValuesIsEINVALNamingTheAttribute) {
    GenlAnswer a = nl->request(KDEMO_CMD_ADD, 0);
    EXPECT_EQ(a.err, EINVAL);
    EXPECT_EQ(a.missing_attr, KDEMO_A_VALUE);
    EXPECT_FALSE(a.extack.empty());
}

TEST_F(NetlinkTest, ValueOfTheWrongSizeIsEINVALNamingTheAttribute) {
    const Sum before = state();
    GenlAnswer a = nl->request(KDEMO_CMD_ADD, 0, [](nlmsghdr* h) {
        put_u64(h, KDEMO_A_VALUE, 1);
        put_u32(h, KDEMO_A_VALUE, 2);
    });
    EXPECT_EQ(a.err, EINVAL);
    EXPECT_EQ(a.bad_attr, KDEMO_A_VALUE);
    EXPECT_FALSE(a.extack.empty());
    EXPECT_EQ(state().generation, before.generation);
}

TEST_F(NetlinkTest, ReplyOnlyAttributeInARequestIsEINVAL) {
    GenlAnswer a = nl->request(KDEMO_CMD_RESET, 0, [](nlmsghdr* h) { put_u64(h, KDEMO_A_SUM, 1); });
    EXPECT_EQ(a.err, EINVAL);
    EXPECT_EQ(a.bad_attr, KDEMO_A_SUM);
    EXPECT_FALSE(a.extack.empty());
}

TEST_F(NetlinkTest, MessageOverMsgMaxIsEMSGSIZEAndChangesNothing) {
    ASSERT_EQ(set_msg(rw.get(), "keep"), 0);
    const Sum before = state();
    GenlAnswer a = nl->request(KDEMO_CMD_SET_MSG, 0, [](nlmsghdr* h) {
        put_bytes(h, KDEMO_A_MSG, std::string(4096, 'x'));
    });
    EXPECT_EQ(a.err, EMSGSIZE);
    EXPECT_EQ(a.bad_attr, KDEMO_A_MSG);
    EXPECT_FALSE(a.extack.empty());
    EXPECT_EQ(get_msg(rw.get()), "keep");
    EXPECT_EQ(state().generation, before.generation);
}

TEST_F(NetlinkTest, OverflowIsERANGEAndChangesNothing) {
    ASSERT_EQ(add(rw.get(), INT64_MAX - 1), 0);
    const Sum before = state();
    GenlAnswer a = nl->request(KDEMO_CMD_ADD, 0, [](nlmsghdr* h) {
        put_u64(h, KDEMO_A_VALUE, 5);
        put_u64(h, KDEMO_A_VALUE, static_cast<uint64_t>(-10));
    });
    EXPECT_EQ(a.err, ERANGE);
    EXPECT_FALSE(a.extack.empty());
    const Sum after = state();
    EXPECT_EQ(after.sum, before.sum);
    EXPECT_EQ(after.count, before.count);
    EXPECT_EQ(after.generation, before.generation);
}

TEST_F(NetlinkTest, TooManyValuesIsE2BIGAndChangesNothing) {
    const Sum before = state();
    GenlAnswer a = nl->request(KDEMO_CMD_ADD, 0, [](nlmsghdr* h) {
        for (int i = 0; i <= KDEMO_BATCH_MAX; ++i)
            put_u64(h, KDEMO_A_VALUE, 1);
    });
    EXPECT_EQ(a.err, E2BIG);
    EXPECT_FALSE(a.extack.empty());
    EXPECT_EQ(state().generation, before.generation);
}

TEST_F(NetlinkTest, MutationsWithoutCapNetAdminAreEPERMReadsWork) {
    for (const char* user : {"kuser", "outsider"}) {
        const std::string out = as_user(user, [] {
            Genl n;
            std::string r;
            r += std::to_string(n.request(KDEMO_CMD_SET_MSG, 0,
                                          [](nlmsghdr* h) { put_bytes(h, KDEMO_A_MSG, "no"); })
                                    .err) +
                 " ";
            r += std::to_string(
                     n.request(KDEMO_CMD_ADD, 0, [](nlmsghdr* h) { put_u64(h, KDEMO_A_VALUE, 1); })
                         .err) +
                 " ";
            r += std::to_string(n.request(KDEMO_CMD_RESET, 0).err) + " ";
            r += std::to_string(n.request(KDEMO_CMD_GET_SUM, 0).err) + " ";
            r += std::to_string(n.request(KDEMO_CMD_GET_MSG, 0).err) + " ";
            r += std::to_string(n.request(KDEMO_CMD_GET_INFO, 0).err);
            return r;
        });
        EXPECT_EQ(out, std::to_string(EPERM) + " " + std::to_string(EPERM) + " " +
                           std::to_string(EPERM) + " 0 0 0")
            << user;
    }
    EXPECT_EQ(get_msg(rw.get()), "");
    EXPECT_EQ(state().count, 0U);
}

TEST_F(NetlinkTest, MalformedMessagesAreRefused) {
    // a header that claims more than was sent, and one shorter than genlmsghdr
    std::vector<char> buf;
    nlmsghdr* h = genl_header(buf, nl->family(), KDEMO_CMD_GET_SUM, NLM_F_ACK);
    put_u32(h, KDEMO_A_DEV_INDEX, 0);
    GenlAnswer a = nl->raw(buf.data(), h->nlmsg_len - 2);
    EXPECT_NE(a.err, 0);
    h = genl_header(buf, nl->family(), KDEMO_CMD_GET_SUM, NLM_F_ACK);
    h->nlmsg_len = sizeof(nlmsghdr) + 2;
    a = nl->raw(buf.data(), h->nlmsg_len);
    EXPECT_NE(a.err, 0);
    // the family still answers
    EXPECT_EQ(nl->request(KDEMO_CMD_GET_SUM, 0).err, 0);
}

class NetlinkLongMessages : public NetlinkTest {
  protected:
    ModuleConfig config() const override { return {.msg_max = 100000}; }
};

TEST_F(NetlinkLongMessages, GetMsgLongerThanAnAttributeIsEMSGSIZE) {
    const std::string longest(KDEMO_MSG_NL_MAX, 'a');
    ASSERT_EQ(set_msg(rw.get(), longest), 0);
    GenlAnswer a = nl->request(KDEMO_CMD_GET_MSG, 0);
    ASSERT_EQ(a.err, 0) << a.extack;
    EXPECT_EQ(a.replies.at(0).attrs.at(KDEMO_A_MSG), longest);
    ASSERT_EQ(set_msg(rw.get(), std::string(KDEMO_MSG_NL_MAX + 1, 'b')), 0);
    a = nl->request(KDEMO_CMD_GET_MSG, 0);
    EXPECT_EQ(a.err, EMSGSIZE);
    EXPECT_FALSE(a.extack.empty());
}

// The monitor group.
TEST_F(NetlinkTest, EventCarriesGenerationWhatChangedAndTheNewState) {
    nl->subscribe();
    ASSERT_EQ(set_msg(rw.get(), "hi"), 0);
    std::optional<GenlMsg> e = nl->event(kHangGuard);
    ASSERT_TRUE(e);
    Sum s = state();
    EXPECT_EQ(e->u32(KDEMO_A_DEV_INDEX), 0U);
    EXPECT_EQ(e->u64(KDEMO_A_GENERATION), s.generation);
    // what changed since the last event sent (the fixture's reset went unannounced)
    EXPECT_TRUE(e->u32(KDEMO_A_CHANGED) & KDEMO_CHANGE_MSG);
    EXPECT_EQ(e->attrs.at(KDEMO_A_MSG), "hi");
    EXPECT_EQ(e->u64(KDEMO_A_MSG_LEN), 2U);

    ASSERT_EQ(write_file(sysfs_path("add"), "3 4"), 0);
    e = nl->event(kHangGuard);
    ASSERT_TRUE(e);
    s = state();
    EXPECT_EQ(e->u64(KDEMO_A_GENERATION), s.generation);
    EXPECT_EQ(e->u32(KDEMO_A_CHANGED), static_cast<uint32_t>(KDEMO_CHANGE_ACC));
    EXPECT_FALSE(e->has(KDEMO_A_MSG));
    EXPECT_EQ(static_cast<int64_t>(e->u64(KDEMO_A_SUM)), 7);
    EXPECT_EQ(e->u64(KDEMO_A_COUNT), 2U);
    EXPECT_EQ(e->u64(KDEMO_A_MSG_LEN), 2U);
}

TEST_F(NetlinkTest, AFailedChangeSendsNoEvent) {
    nl->subscribe();
    ASSERT_EQ(add(rw.get(), INT64_MAX), 0);
    ASSERT_TRUE(nl->event(kHangGuard));
    EXPECT_EQ(add(rw.get(), 1), ERANGE);
    ASSERT_EQ(set_msg(rw.get(), "after"), 0);
    std::optional<GenlMsg> e = nl->event(kHangGuard);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->attrs.at(KDEMO_A_MSG), "after");  // the next event is the next change
}

TEST_F(NetlinkTest, TwoListenersConvergeOnTheFinalStateOfABurst) {
    Genl l1, l2;
    l1.subscribe(8 << 20);
    l2.subscribe(8 << 20);
    constexpr int kWriters = 4, kChanges = 150;
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([w] {
            Fd fd = open_file(node_path(), O_RDWR);
            for (int i = 0; i < kChanges; ++i) {
                if (w == 0)
                    set_msg(fd.get(), "w" + std::to_string(i));
                else if (w == 1)
                    write_file(sysfs_path("add"), "1");
                else
                    add(fd.get(), w);
            }
        });
    for (auto& t : writers)
        t.join();
    const Sum final_state = state();
    const std::string final_msg = get_msg(rw.get());
    for (Genl* l : {&l1, &l2}) {
        uint64_t last = 0;
        std::string msg;
        bool overflow = false, ordered = true;
        GenlMsg newest;
        while (last < final_state.generation) {
            std::optional<GenlMsg> e = l->event(kHangGuard, &overflow);
            if (!e)
                break;
            const uint64_t g = e->u64(KDEMO_A_GENERATION);
            ordered = ordered && g > last;
            last = g;
            if (e->has(KDEMO_A_MSG))
                msg = e->attrs.at(KDEMO_A_MSG);
            newest = *e;
        }
        EXPECT_FALSE(overflow);
        EXPECT_TRUE(ordered) << "events left the kernel out of generation order";
        ASSERT_EQ(last, final_state.generation);
        EXPECT_EQ(static_cast<int64_t>(newest.u64(KDEMO_A_SUM)), final_state.sum);
        EXPECT_EQ(newest.u64(KDEMO_A_COUNT), final_state.count);
        EXPECT_EQ(msg, final_msg);
    }
}

// Unload with sockets open and subscribed: clean, and the family is gone.
TEST(NetlinkLifecycle, UnloadWithOpenAndSubscribedSocketsIsCleanAndTheFamilyGoes) {
    ensure_module();
    {
        Genl reader, listener;
        listener.subscribe();
        ASSERT_EQ(reader.request(KDEMO_CMD_GET_SUM, 0).err, 0);
        ASSERT_EQ(unload_module(), 0);
        EXPECT_FALSE(listener.event(100ms));
        GenlAnswer a = reader.request(KDEMO_CMD_GET_SUM, 0);
        EXPECT_NE(a.err, 0);  // the family id names nothing any more
        try {
            Genl again;
            ADD_FAILURE() << "family kdemo still resolves after rmmod";
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code().value(), ENOENT);
        }
    }
    ensure_module();
    Genl fresh;
    EXPECT_EQ(fresh.request(KDEMO_CMD_GET_SUM, 0).err, 0);
}

}  // namespace
}  // namespace kt
