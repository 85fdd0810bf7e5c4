// lseek(2) on every sysfs and proc file of a device, opened for each access
// its mode grants: it may succeed or fail, but must never crash the kernel.
//
// Found by the hardening work: seq_lseek() on a /proc/kdemo/kdemoN file
// generates the file's text (traverse() calls ->show()) even when the file is
// open for writing only, and the write-only `reset` file has no show function,
// so kdemo_proc_show() calls a NULL pointer: an oops in the caller's context.
//
// This file is named zz_ so that it is compiled, linked and therefore run
// last: if the oops happens, the dead task never releases the proc entry
// (its use count stays raised), so the module can never be unloaded again
// and any later unload would hang for good. The test then pins the module
// with a process that holds /dev/kdemo0 open, so that the next rmmod fails at
// once instead of hanging the guest until its timeout.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/hardening.hpp"
#include "common/kdemo.hpp"

namespace kt {
namespace {

// Keep the module loaded for the rest of the guest's life: a process in its
// own session, so that the rig's kill of the command's group spares it.
void pin_module() {
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setsid();
        int fd = ::open("/dev/kdemo0", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            ::_exit(1);
        for (;;)
            ::pause();
    }
}

TEST(ProcSeek, SeekingAnyKdemoFileNeverCrashesTheKernel) {
    if (!kernel_broken().empty())
        GTEST_SKIP() << "the kernel oopsed earlier: " << kernel_broken();
    ensure_module();
    KmsgWatch kmsg;
    // one child per file, so that an oops kills one child and says which file
    struct Case {
        std::string path;
        int flags;
    };
    const Case cases[] = {
        {proc_path("message"), O_RDONLY}, {proc_path("message"), O_WRONLY},
        {proc_path("message"), O_RDWR},   {proc_path("sum"), O_RDONLY},
        {proc_path("sum"), O_WRONLY},     {proc_path("sum"), O_RDWR},
        {proc_path("count"), O_RDONLY},   {proc_path("info"), O_RDONLY},
        {sysfs_path("message"), O_RDWR},  {sysfs_path("add"), O_WRONLY},
        {sysfs_path("reset"), O_WRONLY},  {sysfs_path("sum"), O_RDONLY},
        {proc_path("reset"), O_WRONLY},  // last: the one that oopses
    };
    bool crashed = false;
    for (const auto& c : cases) {
        pid_t pid = fork_child([&] {
            Fd fd = open_file(c.path, c.flags);
            for (int whence : {SEEK_SET, SEEK_CUR, SEEK_END})
                for (off_t off : {off_t{1}, off_t{0}, off_t{4096}, off_t{-1}})
                    (void)::lseek(fd.get(), off, whence);  // any result but a crash
        });
        int status = wait_child(pid, std::chrono::seconds(60));
        const bool killed = status < 0 || WIFSIGNALED(status);
        EXPECT_FALSE(killed) << "lseek on " << c.path << " (flags " << c.flags
                             << ") killed the caller: "
                             << (status < 0 ? std::string("it hung")
                                            : std::string(strsignal(WTERMSIG(status))))
                             << "; see the kernel log (NULL pointer dereference in "
                                "kdemo_proc_show, called by seq_lseek/traverse)";
        EXPECT_TRUE(killed || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
            << c.path << ": status " << status;
        crashed = crashed || killed;
    }
    for (const auto& p : kernel_problems(kmsg.records()))
        ADD_FAILURE() << "kernel log: " << p;
    if (crashed) {
        set_kernel_broken("ProcSeek: lseek oopsed the kernel");
        pin_module();
        ADD_FAILURE() << "the oops left /proc/kdemo/kdemo0/reset in use for good: unloading "
                         "kdemo would hang, so a process now holds /dev/kdemo0 open and the "
                         "next rmmod fails at once";
        return;
    }
    // the files still work
    EXPECT_EQ(write_file(proc_path("reset"), "1"), 0);
    EXPECT_EQ(write_file(proc_path("sum"), "2"), 0);
    EXPECT_EQ(read_value(proc_path("sum")), "2");
}

}  // namespace
}  // namespace kt
