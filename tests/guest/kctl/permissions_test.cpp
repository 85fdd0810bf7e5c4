// The permission model udev/70-kdemo.rules sets up, and what each user can
// do with it: root everything, kuser (group kdemo) the node and the writable
// sysfs attributes, outsider only reads through sysfs and proc.
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <kctl/kctl.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "kctl/fixture.hpp"
#include "kctl/preference.hpp"

namespace kt {
namespace {

using kctl::operation;
using T = kctl::transport_kind;

std::string mode_text(mode_t m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", m & 07777);
    return buf;
}

// "0660 0:990" for a path, "missing: ..." if stat fails.
std::string owner_mode(const std::string& path, bool follow = true) {
    struct stat st {};
    int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (rc != 0)
        return std::string("missing: ") + std::strerror(errno);
    return mode_text(st.st_mode) + " " + std::to_string(st.st_uid) + ":" +
           std::to_string(st.st_gid);
}

std::string expect_owner(const char* mode, gid_t gid) {
    return std::string(mode) + " 0:" + std::to_string(gid);
}

using UdevPermissions = KctlTest;

TEST_F(UdevPermissions, GroupKdemoIsTheGuestsGroup990) {
    struct group* g = ::getgrnam("kdemo");
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->gr_gid, kKdemoGid);
}

TEST_F(UdevPermissions, NodesAreRootKdemo0660WithASymlinkInDevKdemo) {
    for (int dev = 0; dev < 3; dev++) {
        std::string node = node_path(dev);
        std::string link = "/dev/kdemo/kdemo" + std::to_string(dev);
        SCOPED_TRACE(node);
        struct stat st {};
        ASSERT_EQ(::stat(node.c_str(), &st), 0);
        EXPECT_TRUE(S_ISCHR(st.st_mode));
        EXPECT_EQ(owner_mode(node), expect_owner("0660", kKdemoGid));
        struct stat lst {};
        ASSERT_EQ(::lstat(link.c_str(), &lst), 0);
        EXPECT_TRUE(S_ISLNK(lst.st_mode));
        char* real = ::realpath(link.c_str(), nullptr);
        ASSERT_NE(real, nullptr);
        EXPECT_EQ(std::string(real), node);
        std::free(real);
    }
}

struct FileMode {
    const char* file;
    const char* mode;
    bool kdemo;  // group kdemo, else root
};

// message, add and reset: the group may write them.
const FileMode kGrantedSysfs[] = {
    {"message", "0664", true}, {"add", "0220", true}, {"reset", "0220", true}};

// Every other attribute keeps the mode and owner the driver gave it.
const FileMode kOtherSysfs[] = {{"sum", "0444", false},
                                {"count", "0444", false},
                                {"generation", "0444", false},
                                {"msg_max", "0444", false},
                                {"random", "0444", false},
                                {"dev", "0444", false},
                                {"uevent", "0644", false},
                                {"stats/opens", "0444", false},
                                {"stats/ioctl_ops", "0444", false},
                                {"stats/sysfs_ops", "0444", false},
                                {"stats/proc_ops", "0444", false},
                                {"stats/netlink_ops", "0444", false},
                                {"stats/uring_ops", "0444", false}};

// proc is not udev's: root only for writing.
const FileMode kProc[] = {{"message", "0644", false},
                          {"sum", "0644", false},
                          {"count", "0444", false},
                          {"reset", "0200", false},
                          {"info", "0444", false}};

void expect_modes(const FileMode* begin, const FileMode* end, bool proc) {
    for (int dev = 0; dev < 3; dev++)
        for (const FileMode* f = begin; f != end; f++) {
            std::string path = proc ? proc_path(f->file, dev) : sysfs_path(f->file, dev);
            EXPECT_EQ(owner_mode(path), expect_owner(f->mode, f->kdemo ? kKdemoGid : 0)) << path;
        }
}

TEST_F(UdevPermissions, GroupKdemoMayWriteSysfsMessageAddAndReset) {
    expect_modes(std::begin(kGrantedSysfs), std::end(kGrantedSysfs), false);
}

TEST_F(UdevPermissions, EveryOtherSysfsAttributeKeepsItsModeAndOwner) {
    expect_modes(std::begin(kOtherSysfs), std::end(kOtherSysfs), false);
}

TEST_F(UdevPermissions, ProcFilesKeepTheirModesAndOwner) {
    expect_modes(std::begin(kProc), std::end(kProc), true);
    EXPECT_EQ(owner_mode("/proc/kdemo/kdemo0"), "0555 0:0");
}

// --- what each user can do through each transport -------------------------------

bool supported(T kind, operation op) {
    if (kind == T::mmap)
        return op == operation::sum;
    if (kind == T::netlink)
        return true;
    return !((kind == T::proc || kind == T::uring) && op == operation::watch);
}

// The model: the errno each user gets for each operation through each
// explicit transport.
int model(const std::string& user, T kind, operation op) {
    if (!supported(kind, op))
        return EOPNOTSUPP;
    bool node = user != "outsider";
    bool write = kctl::is_mutation(op);
    switch (kind) {
        case T::mmap:
        case T::ioctl:
        case T::uring:
            return node ? 0 : EACCES;
        case T::sysfs:
            return write && !node ? EACCES : 0;
        case T::proc:
            return write && user != "root" ? EACCES : 0;
        case T::netlink:  // reads for everyone, mutations CAP_NET_ADMIN (the probe: EPERM)
            return write && user != "root" ? EPERM : 0;
        default:
            return EINVAL;
    }
}

std::string line(T kind, operation op, int err) {
    return name_of(kind) + " " + name_of(op) + " " + err_name(err) + "\n";
}

class UserAccess : public KctlTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(UserAccess, EveryOperationThroughEveryTransportMatchesThePermissionModel) {
    std::string user = GetParam();
    std::string want;
    for (T kind : kctl::concrete_transports)
        for (operation op : kctl::all_operations)
            want += line(kind, op, model(user, kind, op));
    std::string got = as_user(user, [] {
        std::string out;
        for (T kind : kctl::concrete_transports)
            for (operation op : kctl::all_operations) {
                kctl::device d = open_with(kind);
                out += line(kind, op, run_op(d, op));
            }
        return out;
    });
    EXPECT_EQ(got, want);
}

// kctl list and access(2), asked independently, agree with the model.
std::string model_row(const std::string& user) {
    if (user == "root")
        return "mmap:r ioctl:rw sysfs:rw proc:rw netlink:rw uring:rw";
    if (user == "kuser")
        return "mmap:r ioctl:rw sysfs:rw proc:r netlink:r uring:rw";
    return "mmap:- ioctl:- sysfs:r proc:r netlink:r uring:-";
}

std::string rw(bool r, bool w) {
    if (!r && !w)
        return "-";
    return std::string(r ? "r" : "") + (w ? "w" : "");
}

bool ok(const std::string& path, int mode) {
    return ::access(path.c_str(), mode) == 0;
}

// One line per device from access(2) alone.
std::string access_rows() {
    std::string out;
    for (int dev = 0; dev < 3; dev++) {
        std::string node = node_path(dev);
        auto s = [dev](const char* f) { return sysfs_path(f, dev); };
        auto p = [dev](const char* f) { return proc_path(f, dev); };
        out += "kdemo" + std::to_string(dev) + " mmap:" + rw(ok(node, R_OK), false) +
               " ioctl:" + rw(ok(node, R_OK), ok(node, W_OK)) + " sysfs:" +
               rw(ok(s("message"), R_OK) && ok(s("sum"), R_OK),
                  ok(s("message"), W_OK) || ok(s("add"), W_OK) || ok(s("reset"), W_OK)) +
               " proc:" +
               rw(ok(p("message"), R_OK) && ok(p("info"), R_OK),
                  ok(p("message"), W_OK) || ok(p("sum"), W_OK) || ok(p("reset"), W_OK)) +
               // netlink has no files: reads for all, writes with CAP_NET_ADMIN (root here)
               " netlink:" + rw(true, ::geteuid() == 0) +
               " uring:" + rw(ok(node, R_OK), ok(node, W_OK)) + "\n";
    }
    return out;
}

std::string json_rows(const std::string& out) {
    std::string rows;
    nlohmann::json j = nlohmann::json::parse(out);
    for (const auto& d : j.at("devices")) {
        rows += d.at("name").get<std::string>();
        for (const char* t : {"mmap", "ioctl", "sysfs", "proc", "netlink", "uring"}) {
            const auto& a = d.at("transports").at(t);
            rows += std::string(" ") + t + ":" +
                    rw(a.at("read").get<bool>(), a.at("write").get<bool>());
        }
        rows += "\n";
    }
    return rows;
}

// "kdemo0 ..." rows from the table: the name and the access columns (one per transport).
std::string text_rows(const std::string& out) {
    std::string rows;
    std::istringstream in(out);
    std::string l;
    std::getline(in, l);  // header
    while (std::getline(in, l)) {
        std::istringstream words(l);
        std::vector<std::string> w;
        for (std::string x; words >> x;)
            w.push_back(x);
        if (w.size() != 3 + std::size(kctl::concrete_transports))
            return "bad row: " + l;
        rows += w[0];
        for (std::size_t i = 3; i < w.size(); ++i)
            rows += " " + w[i];
        rows += "\n";
    }
    return rows;
}

TEST_P(UserAccess, KctlListShowsWhatAccessSaysAndWhatTheModelSays) {
    std::string user = GetParam();
    std::string want;
    for (int dev = 0; dev < 3; dev++)
        want += "kdemo" + std::to_string(dev) + " " + model_row(user) + "\n";
    EXPECT_EQ(as_user(user, access_rows), want) << "access(2) as " << user;

    Proc json = kctl({"list", "--json"}, as(user));
    ASSERT_EQ(json.status, 0) << json.err;
    EXPECT_EQ(json_rows(json.out), want);
    Proc text = kctl({"list"}, as(user));
    ASSERT_EQ(text.status, 0) << text.err;
    EXPECT_EQ(text_rows(text.out), want) << text.out;
}

INSTANTIATE_TEST_SUITE_P(Udev, UserAccess, ::testing::Values("root", "kuser", "outsider"),
                         [](const auto& info) { return std::string(info.param); });

// --- kuser ------------------------------------------------------------------------

using UdevKuser = KctlTest;

TEST_F(UdevKuser, WritesTheGrantedSysfsAttributesRaw) {
    Sum before = state();
    std::string errs = as_user("kuser", [] {
        std::string out;
        out += err_name(write_file(sysfs_path("message"), "from kuser\n"));
        out += " " + err_name(write_file(sysfs_path("add"), "5 6"));
        out += " " + err_name(write_file(sysfs_path("reset"), "1"));
        out += " " + err_name(write_file(sysfs_path("add"), "-7"));
        return out;
    });
    EXPECT_EQ(errs, "ok ok ok ok");
    EXPECT_EQ(get_msg(ro.get()), "from kuser");
    Sum s = state();
    EXPECT_EQ(s.sum, -7);
    EXPECT_EQ(s.count, 1u);
    EXPECT_EQ(s.generation, before.generation + 4) << "message, add, reset, add";
}

TEST_F(UdevKuser, CannotWriteProc) {
    std::string errs = as_user("kuser", [] {
        std::string out;
        for (const char* f : {"message", "sum", "reset", "count", "info"})
            out += std::string(f) + "=" + err_name(open_errno(proc_path(f), O_WRONLY)) + " ";
        return out;
    });
    EXPECT_EQ(errs, "message=EACCES sum=EACCES reset=EACCES count=EACCES info=EACCES ");
}

TEST_F(UdevKuser, KctlWorksAndProcWritesAreRefused) {
    ExecOptions as_kuser = as("kuser");
    EXPECT_EQ(kctl({"set-msg", "kuser was here"}, as_kuser).status, 0);
    EXPECT_EQ(kctl({"add", "40", "2"}, as_kuser).status, 0);
    EXPECT_EQ(get_msg(ro.get()), "kuser was here");
    EXPECT_EQ(state().sum, 42);
    Proc sum = kctl({"-v", "sum"}, as_kuser);
    EXPECT_EQ(sum.out,
              "sum: 42\ncount: 2\ngeneration: " + std::to_string(state().generation) + "\n");
    EXPECT_EQ(sum.err, "kctl: sum: using mmap (fastest usable)\n");
    for (const char* t : {"ioctl", "sysfs"})
        EXPECT_EQ(kctl({"-t", t, "reset"}, as_kuser).status, 0) << t;
    Proc proc = kctl({"-t", "proc", "set-msg", "nope"}, as_kuser);
    EXPECT_EQ(proc.status, 1);
    EXPECT_EQ(proc.out, "");
    EXPECT_EQ(proc.err,
              std::string("kctl: set-msg: kdemo0 via proc: ") + std::strerror(EACCES) + "\n");
    EXPECT_EQ(get_msg(ro.get()), "kuser was here");
}

// --- outsider -----------------------------------------------------------------------

using UdevOutsider = KctlTest;

TEST_F(UdevOutsider, CannotOpenTheNode) {
    std::string errs = as_user("outsider", [] {
        std::string out;
        for (int flags : {O_RDONLY, O_WRONLY, O_RDWR})
            out += err_name(open_errno(node_path(), flags)) + " ";
        return out;
    });
    EXPECT_EQ(errs, "EACCES EACCES EACCES ");
}

TEST_F(UdevOutsider, CannotWriteAnySysfsAttribute) {
    Sum before = state();
    std::string errs = as_user("outsider", [] {
        std::string out;
        for (const auto* set : {kGrantedSysfs, kOtherSysfs}) {
            size_t n = set == kGrantedSysfs ? std::size(kGrantedSysfs) : std::size(kOtherSysfs);
            for (size_t i = 0; i < n; i++) {
                int err = open_errno(sysfs_path(set[i].file), O_WRONLY);
                if (err != EACCES)
                    out += std::string(set[i].file) + ": " + err_name(err) + "\n";
            }
        }
        return out;
    });
    EXPECT_EQ(errs, "") << "every attribute must refuse outsider's writes with EACCES";
    EXPECT_EQ(state().generation, before.generation);
}

TEST_F(UdevOutsider, ReadsEverySysfsAttributeAndProcFile) {
    ASSERT_EQ(set_msg(rw.get(), "readable"), 0);
    std::string report = as_user("outsider", [] {
        std::string out;
        for (const auto& f : {"message", "sum", "count", "generation", "msg_max", "random",
                              "stats/opens", "stats/ioctl_ops", "stats/sysfs_ops", "stats/proc_ops",
                              "stats/netlink_ops", "stats/uring_ops"}) {
            Io io = read_file(sysfs_path(f));
            if (io.err || io.data.empty())
                out += std::string("sysfs ") + f + ": " + std::strerror(io.err) + "\n";
        }
        for (const auto& f : {"message", "sum", "count", "info"}) {
            Io io = read_file(proc_path(f));
            if (io.err || io.data.empty())
                out += std::string("proc ") + f + ": " + std::strerror(io.err) + "\n";
        }
        return out + read_file(sysfs_path("message")).data + read_file(proc_path("message")).data;
    });
    EXPECT_EQ(report, "readable\nreadable\n");
}

TEST_F(UdevOutsider, KctlReadsThroughSysfsAndProc) {
    ASSERT_EQ(set_msg(rw.get(), "for everyone"), 0);
    ASSERT_EQ(add(rw.get(), -8), 0);
    ExecOptions as_outsider = as("outsider");
    Proc msg = kctl({"-v", "get-msg"}, as_outsider);
    EXPECT_EQ(msg.status, 0);
    EXPECT_EQ(msg.out, "for everyone\n");
    EXPECT_EQ(msg.err,
              "kctl: " +
                  chose(operation::get_msg, first_of(operation::get_msg, {T::sysfs, T::proc}),
                        {"ioctl not readable (EACCES)"}) +
                  "\n");
    Proc sum = kctl({"--json", "sum"}, as_outsider);
    EXPECT_EQ(sum.status, 0);
    EXPECT_EQ(sum.out,
              "{\"format\":\"kctl-sum\",\"version\":1,\"sum\":-8,\"count\":1,\"generation\":" +
                  std::to_string(state().generation) + "}\n");
    Proc info = kctl({"-v", "info"}, as_outsider);
    EXPECT_EQ(info.status, 0);
    EXPECT_NE(info.out.find("driver: kdemo\n"), std::string::npos) << info.out;
    EXPECT_EQ(info.err, "kctl: info: ioctl not readable (EACCES), using proc\n");
}

struct Refused {
    const char* test_name;
    std::vector<std::string> args;
    const char* command;
};

class OutsiderWrite : public KctlTest, public ::testing::WithParamInterface<Refused> {};

TEST_P(OutsiderWrite, KctlExits1WithPermissionDenied) {
    ASSERT_EQ(add(rw.get(), 3), 0);
    Sum before = state();
    Proc p = kctl(GetParam().args, as("outsider"));
    EXPECT_EQ(p.status, 1);
    EXPECT_EQ(p.out, "");
    EXPECT_EQ(p.err, std::string("kctl: ") + GetParam().command +
                         ": kdemo0 via auto: " + std::strerror(EACCES) +
                         "\nkctl: hint: not in group kdemo? see docs/ADMIN.md (sudo usermod -aG "
                         "kdemo USER)\n");
    EXPECT_EQ(state().generation, before.generation);
}

INSTANTIATE_TEST_SUITE_P(Udev, OutsiderWrite,
                         ::testing::Values(Refused{"SetMsg", {"set-msg", "x"}, "set-msg"},
                                           Refused{"Add", {"add", "1"}, "add"},
                                           Refused{"Reset", {"reset"}, "reset"}),
                         [](const auto& info) { return std::string(info.param.test_name); });

// A node the caller may read but not write: the ioctl transport opens it
// read-only and the kernel refuses mutations with EBADF.
class UdevReadOnlyNode : public KctlTest {
  protected:
    void SetUp() override {
        KctlTest::SetUp();
        ASSERT_EQ(::chmod(node_path().c_str(), 0664), 0);
    }
    void TearDown() override { EXPECT_EQ(::chmod(node_path().c_str(), 0660), 0); }
};

TEST_F(UdevReadOnlyNode, OutsiderGetsEBADFFromIoctlMutationsAndEACCESFromAuto) {
    Sum before = state();
    std::string report = as_user("outsider", [] {
        std::string out;
        kctl::device io = open_with(T::ioctl);
        out += line(T::ioctl, operation::sum, run_op(io, operation::sum));
        out += line(T::ioctl, operation::set_msg, run_op(io, operation::set_msg));
        out += line(T::ioctl, operation::add, run_op(io, operation::add));
        out += line(T::ioctl, operation::reset, run_op(io, operation::reset));
        kctl::device a = open_with(T::automatic);
        out += line(T::automatic, operation::sum, run_op(a, operation::sum));
        out += "sum served by " + name_of(a.last_transport(operation::sum)) + "\n";
        out += line(T::automatic, operation::set_msg, run_op(a, operation::set_msg));
        return out;
    });
    EXPECT_EQ(report,
              line(T::ioctl, operation::sum, 0) + line(T::ioctl, operation::set_msg, EBADF) +
                  line(T::ioctl, operation::add, EBADF) + line(T::ioctl, operation::reset, EBADF) +
                  line(T::automatic, operation::sum, 0) + "sum served by mmap\n" +
                  line(T::automatic, operation::set_msg, EACCES));
    EXPECT_EQ(state().generation, before.generation);
}

}  // namespace
}  // namespace kt
