// SPDX-License-Identifier: GPL-2.0-or-later
// The proc transport against a fake /proc/kdemo/kdemo0.
#include <gtest/gtest.h>

#include <cerrno>

#include "info_data.hpp"
#include "temp_dir.hpp"
#include "transport.hpp"

namespace kctl::detail {
namespace {

const char* const info_text =
    "driver: kdemo\nversion: 1.0.0\nabi: 1\ndevice: kdemo0\nmsg_max: 8192\nmsg_len: 5\n"
    "sum: 40\ncount: 4\ngeneration: 17\nopens: 0\nioctl_ops: 0\nsysfs_ops: 0\nproc_ops: 9\n"
    "netlink_ops: 0\nuring_ops: 0\nrandom: 7\n";

class ProcTransport : public testing::Test {
  protected:
    ProcTransport() {
        for (const char* f : {"message", "sum", "reset"})
            dir.write(f, "");
        dir.write("count", "4\n");
        dir.write("info", info_text);
    }

    test::temp_dir dir;
    std::unique_ptr<transport> t = make_proc_transport(dir.path());
};

TEST_F(ProcTransport, CarriesMessagesLargerThanSysfs) {
    const std::string big(8000, 'm');
    ASSERT_EQ(t->set_msg(big), 0);
    EXPECT_EQ(dir.read("message"), big + "\n");
    std::string back;
    ASSERT_EQ(t->get_msg(back), 0);
    EXPECT_EQ(back, big);
}

TEST_F(ProcTransport, GetMsgReadsAMessageOfAnySizeWhole) {
    const std::string big(100000, 'q');
    dir.write("message", big + "\n");
    std::string back;
    ASSERT_EQ(t->get_msg(back), 0);
    EXPECT_EQ(back, big);
}

TEST_F(ProcTransport, AddWritesValuesToSum) {
    const std::int64_t values[] = {-9223372036854775807 - 1, 5};
    ASSERT_EQ(t->add(values), 0);
    EXPECT_EQ(dir.read("sum"), "-9223372036854775808 5\n");
}

TEST_F(ProcTransport, AddOfAFullBatchFitsOneWrite) {
    const std::vector<std::int64_t> values(batch_max, INT64_MIN);
    ASSERT_EQ(t->add(values), 0);
    EXPECT_EQ(dir.read("sum").size(), batch_max * 21);
}

TEST_F(ProcTransport, AddOfNothingIsEinval) {
    EXPECT_EQ(t->add({}), EINVAL);
}

TEST_F(ProcTransport, SumComesFromOneReadOfInfo) {
    sum_result r;
    ASSERT_EQ(t->sum(r), 0);
    EXPECT_EQ(r.sum, 40);
    EXPECT_EQ(r.count, 4U);
    EXPECT_EQ(r.generation, 17U);
}

TEST_F(ProcTransport, InfoIsComplete) {
    info_data d;
    ASSERT_EQ(t->info(d), 0);
    EXPECT_EQ(d.present, all_info_fields);
    EXPECT_EQ(d.num[index(info_field::msg_max)], 8192U);
}

TEST_F(ProcTransport, MalformedInfoIsEproto) {
    dir.write("info", "driver: kdemo\n");
    info_data d;
    EXPECT_EQ(t->info(d), EPROTO);
}

TEST_F(ProcTransport, ResetWritesOne) {
    ASSERT_EQ(t->reset(), 0);
    EXPECT_EQ(dir.read("reset"), "1\n");
}

TEST_F(ProcTransport, HasNoWatch) {
    std::unique_ptr<watch_source> w;
    EXPECT_EQ(t->watch(w), EOPNOTSUPP);
}

}  // namespace
}  // namespace kctl::detail
