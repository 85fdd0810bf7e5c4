// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo from a 32-bit process: every ioctl of <linux/kdemo.h>, the mmap'ed
 * snapshot page and poll() must work exactly as from a 64-bit one, and wrong
 * sizes, reserved fields and bad pointers must be refused the same way
 * (the driver's compat_ioctl is compat_ptr_ioctl: the layouts have no
 * implicit padding, so nothing is translated).
 *
 * Built with gcc -m32 -static (tests/guest/CMakeLists.txt), so the guest
 * needs no 32-bit libc. Debian ships no 32-bit GoogleTest: this is plain C
 * that speaks enough of GoogleTest's protocol for tests/vm/suite: the
 * console lines ("[ RUN      ] ...", "[       OK ] ...", "[  FAILED  ] ..."),
 * --gtest_filter (patterns separated by ':', negative ones after '-'),
 * --gtest_output=json:FILE (the fields the suite reads) and exit status 1
 * if a test failed. kdemo-suite loads kdemo.ko with its defaults (ndevs=1,
 * msg_max=4095) before it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/kdemo.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define NODE "/dev/kdemo0"
#define MSG_MAX 4095

/* --- a very small test harness ----------------------------------------- */

struct test {
	const char *suite, *name;
	void (*fn)(void);
};

static char failure[2048]; /* the failures of the running test */
static int failed;

static void fail_at(int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	size_t used = strlen(failure);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("compat32_test.c:%d: Failure\n%s\n", line, msg);
	if (used < sizeof(failure) - 1)
		snprintf(failure + used, sizeof(failure) - used, "%scompat32_test.c:%d\n%s",
			 used ? "\n" : "", line, msg);
	failed = 1;
}

#define EXPECT(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond))                                                   \
			fail_at(__LINE__, "expected " #cond ": " __VA_ARGS__); \
	} while (0)
#define ASSERT(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fail_at(__LINE__, "expected " #cond ": " __VA_ARGS__); \
			return;                                                \
		}                                                              \
	} while (0)

/* ioctl(): 0 or errno */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) == 0 ? 0 : errno;
}

/* ioctl() with an argument given as a number (a pointer the caller forged) */
static int xioctl_raw(int fd, unsigned long cmd, unsigned long arg)
{
	return ioctl(fd, cmd, arg) == 0 ? 0 : errno;
}

static uint64_t ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static int rw_fd = -1, ro_fd = -1;

static struct kdemo_sum get_sum(int fd)
{
	struct kdemo_sum s;

	memset(&s, 0xa5, sizeof(s));
	if (xioctl(fd, KDEMO_IOC_GET_SUM, &s))
		fail_at(__LINE__, "GET_SUM failed: %s", strerror(errno));
	return s;
}

static int set_msg(int fd, const void *data, uint32_t len)
{
	struct kdemo_msg m = { .data = ptr(data), .len = len };

	return xioctl(fd, KDEMO_IOC_SET_MSG, &m);
}

/* the message, into @buf of @cap bytes: its length, or -errno */
static long get_msg(int fd, char *buf, uint32_t cap)
{
	struct kdemo_msg m = { .data = ptr(buf), .len = cap };
	int err = xioctl(fd, KDEMO_IOC_GET_MSG, &m);

	return err ? -err : (long)m.len;
}

/* --- the ABI seen from 32 bits ---------------------------------------- */

static void process_is_32_bit(void)
{
	EXPECT(sizeof(void *) == 4, "sizeof(void *) is %zu", sizeof(void *));
	EXPECT(sizeof(long) == 4, "sizeof(long) is %zu", sizeof(long));
}

/* The sizes and offsets are those of x86-64 (checked there by the same
 * numbers in docs/IOCTL.md), so the command numbers, which encode the
 * size, are the same too.
 */
static void layout_is_the_64_bit_one(void)
{
	EXPECT(sizeof(struct kdemo_msg) == 32, "%zu", sizeof(struct kdemo_msg));
	EXPECT(offsetof(struct kdemo_msg, generation) == 16, "");
	EXPECT(sizeof(struct kdemo_sum) == 24, "%zu", sizeof(struct kdemo_sum));
	EXPECT(sizeof(struct kdemo_batch) == 32, "%zu", sizeof(struct kdemo_batch));
	EXPECT(offsetof(struct kdemo_batch, reserved) == 16, "");
	EXPECT(sizeof(struct kdemo_info) == KDEMO_INFO_SIZE_VER1, "%zu",
	       sizeof(struct kdemo_info));
	EXPECT(offsetof(struct kdemo_info, msg_max) == 104, "%zu",
	       offsetof(struct kdemo_info, msg_max));
	EXPECT(offsetof(struct kdemo_info, random) == 176, "");
	EXPECT(offsetof(struct kdemo_info, netlink_ops) == 184, "");
	EXPECT(offsetof(struct kdemo_info, uring_ops) == 192, "");
	EXPECT(sizeof(struct kdemo_snapshot) == 40, "%zu", sizeof(struct kdemo_snapshot));
	EXPECT(offsetof(struct kdemo_snapshot, sum) == 8, "");
	EXPECT(KDEMO_IOC_GET_ABI == 0x8004de00u, "%#x", (unsigned)KDEMO_IOC_GET_ABI);
	EXPECT(KDEMO_IOC_GET_INFO == 0xc0c8de01u, "%#x", (unsigned)KDEMO_IOC_GET_INFO);
	EXPECT(KDEMO_IOC_GET_MSG == 0xc020de02u, "%#x", (unsigned)KDEMO_IOC_GET_MSG);
	EXPECT(KDEMO_IOC_SET_MSG == 0x4020de03u, "%#x", (unsigned)KDEMO_IOC_SET_MSG);
	EXPECT(KDEMO_IOC_GET_SUM == 0x8018de04u, "%#x", (unsigned)KDEMO_IOC_GET_SUM);
	EXPECT(KDEMO_IOC_ADD == 0x4008de05u, "%#x", (unsigned)KDEMO_IOC_ADD);
	EXPECT(KDEMO_IOC_ADD_BATCH == 0x4020de06u, "%#x", (unsigned)KDEMO_IOC_ADD_BATCH);
	EXPECT(KDEMO_IOC_RESET == 0x0000de07u, "%#x", (unsigned)KDEMO_IOC_RESET);
}

/* --- every ioctl -------------------------------------------------------- */

static void get_abi(void)
{
	uint32_t abi = 0;

	ASSERT(xioctl(ro_fd, KDEMO_IOC_GET_ABI, &abi) == 0, "%s", strerror(errno));
	EXPECT(abi == KDEMO_ABI_VERSION, "%u", abi);
}

static void get_info_fills_every_field(void)
{
	struct kdemo_info i;
	int64_t v = 42;

	ASSERT(xioctl(rw_fd, KDEMO_IOC_ADD, &v) == 0, "");
	ASSERT(set_msg(rw_fd, "abc", 3) == 0, "");
	memset(&i, 0xa5, sizeof(i));
	i.size = sizeof(i);
	ASSERT(xioctl(ro_fd, KDEMO_IOC_GET_INFO, &i) == 0, "%s", strerror(errno));
	EXPECT(i.size == KDEMO_INFO_SIZE_VER1, "%u", i.size);
	EXPECT(i.abi_version == KDEMO_ABI_VERSION, "%u", i.abi_version);
	EXPECT(strcmp(i.driver, "kdemo") == 0, "'%.32s'", i.driver);
	EXPECT(strcmp(i.device, "kdemo0") == 0, "'%.32s'", i.device);
	EXPECT(i.version[0] != 0, "empty version");
	EXPECT(i.msg_max == MSG_MAX, "%llu", (unsigned long long)i.msg_max);
	EXPECT(i.msg_len == 3, "%llu", (unsigned long long)i.msg_len);
	EXPECT(i.sum == 42 && i.count == 1, "sum %lld count %llu", (long long)i.sum,
	       (unsigned long long)i.count);
	EXPECT(i.generation == get_sum(ro_fd).generation, "");
	EXPECT(i.opens >= 2, "opens %llu", (unsigned long long)i.opens);
	EXPECT(i.ioctl_ops > 0, "");
}

/* A caller that knows a larger struct: the kernel fills its own size, says
 * so in size and zeroes the rest; below 184 or above a page: EINVAL.
 */
static void get_info_sizes(void)
{
	unsigned char buf[512];
	struct kdemo_info *i = (struct kdemo_info *)buf;
	size_t b;

	memset(buf, 0xff, sizeof(buf));
	i->size = 300;
	ASSERT(xioctl_raw(ro_fd, _IOC(_IOC_READ | _IOC_WRITE, KDEMO_IOC_MAGIC, 0x01, 300),
			  (unsigned long)buf) == 0,
	       "GET_INFO with size 300: %s", strerror(errno));
	EXPECT(i->size == KDEMO_INFO_SIZE_VER1, "%u", i->size);
	for (b = KDEMO_INFO_SIZE_VER1; b < 300; b++)
		if (buf[b]) {
			fail_at(__LINE__, "byte %zu beyond the struct is %#x", b, buf[b]);
			break;
		}
	EXPECT(buf[300] == 0xff, "GET_INFO wrote past the size given");
	i->size = KDEMO_INFO_SIZE_VER0 - 1;
	EXPECT(xioctl(ro_fd, KDEMO_IOC_GET_INFO, buf) == EINVAL, "size 183");
	i->size = 4097;
	EXPECT(xioctl(ro_fd, KDEMO_IOC_GET_INFO, buf) == EINVAL, "size 4097");
	i->size = 0;
	EXPECT(xioctl(ro_fd, KDEMO_IOC_GET_INFO, buf) == EINVAL, "size 0");
}

static void set_and_get_msg(void)
{
	static const char text[] = "hello from a 32-bit process";
	char buf[MSG_MAX + 1];
	struct kdemo_sum before = get_sum(ro_fd);
	struct kdemo_msg m = { .data = ptr(buf), .len = sizeof(buf) };

	ASSERT(set_msg(rw_fd, text, sizeof(text) - 1) == 0, "%s", strerror(errno));
	memset(buf, 0, sizeof(buf));
	ASSERT(xioctl(ro_fd, KDEMO_IOC_GET_MSG, &m) == 0, "%s", strerror(errno));
	EXPECT(m.len == sizeof(text) - 1, "len %u", m.len);
	EXPECT(memcmp(buf, text, sizeof(text) - 1) == 0, "'%s'", buf);
	EXPECT(m.generation == before.generation + 1, "generation %llu, was %llu",
	       (unsigned long long)m.generation, (unsigned long long)before.generation);

	/* binary bytes, and the longest message */
	memset(buf, 0, sizeof(buf));
	for (size_t k = 0; k < MSG_MAX; k++)
		buf[k] = (char)(k * 7 + 1);
	ASSERT(set_msg(rw_fd, buf, MSG_MAX) == 0, "%s", strerror(errno));
	{
		char out[MSG_MAX];

		EXPECT(get_msg(ro_fd, out, sizeof(out)) == MSG_MAX, "");
		EXPECT(memcmp(out, buf, MSG_MAX) == 0, "the message differs");
	}
}

static void get_msg_too_small_is_erange_with_the_length(void)
{
	char buf[4];
	struct kdemo_msg m = { .data = ptr(buf), .len = sizeof(buf) };

	ASSERT(set_msg(rw_fd, "0123456789", 10) == 0, "");
	EXPECT(xioctl(ro_fd, KDEMO_IOC_GET_MSG, &m) == ERANGE, "");
	EXPECT(m.len == 10, "len reported %u", m.len);
}

static void msg_refusals_change_nothing(void)
{
	static char big[MSG_MAX + 1];
	char buf[16];
	struct kdemo_sum before;
	struct kdemo_msg m;

	ASSERT(set_msg(rw_fd, "kept", 4) == 0, "");
	before = get_sum(ro_fd);

	m = (struct kdemo_msg){ .data = ptr("x"), .len = 1, .flags = 1 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_SET_MSG, &m) == EINVAL, "SET_MSG flags");
	m = (struct kdemo_msg){ .data = ptr("x"), .len = 1, .generation = 1 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_SET_MSG, &m) == EINVAL, "SET_MSG generation");
	m = (struct kdemo_msg){ .data = ptr("x"), .len = 1, .reserved = 1ULL << 63 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_SET_MSG, &m) == EINVAL, "SET_MSG reserved");
	memset(big, 'b', sizeof(big));
	EXPECT(set_msg(rw_fd, big, MSG_MAX + 1) == EMSGSIZE, "SET_MSG msg_max + 1");
	m = (struct kdemo_msg){ .data = 1, .len = 1 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_SET_MSG, &m) == EFAULT, "SET_MSG data 1");
	/* a pointer with bits above 32 set is not the process's memory */
	m = (struct kdemo_msg){ .data = ptr("x") | (1ULL << 32), .len = 1 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_SET_MSG, &m) == EFAULT, "SET_MSG data above 4 GiB");

	m = (struct kdemo_msg){ .data = ptr(buf), .len = sizeof(buf), .flags = 2 };
	EXPECT(xioctl(ro_fd, KDEMO_IOC_GET_MSG, &m) == EINVAL, "GET_MSG flags");
	m = (struct kdemo_msg){ .data = ptr(buf), .len = sizeof(buf), .reserved = 1 };
	EXPECT(xioctl(ro_fd, KDEMO_IOC_GET_MSG, &m) == EINVAL, "GET_MSG reserved");
	m = (struct kdemo_msg){ .data = ptr(buf) | (1ULL << 40), .len = sizeof(buf) };
	EXPECT(xioctl(ro_fd, KDEMO_IOC_GET_MSG, &m) == EFAULT, "GET_MSG data above 4 GiB");
	EXPECT(xioctl_raw(ro_fd, KDEMO_IOC_GET_MSG, 0) == EFAULT, "GET_MSG NULL");

	{
		struct kdemo_sum after = get_sum(ro_fd);

		EXPECT(after.generation == before.generation, "a refusal changed the state");
		EXPECT(get_msg(ro_fd, buf, sizeof(buf)) == 4 && memcmp(buf, "kept", 4) == 0,
		       "the message changed");
	}
}

static void add_get_sum_and_reset(void)
{
	struct kdemo_sum s0 = get_sum(ro_fd), s;
	int64_t v = 5;

	ASSERT(xioctl(rw_fd, KDEMO_IOC_ADD, &v) == 0, "%s", strerror(errno));
	v = -2;
	ASSERT(xioctl(rw_fd, KDEMO_IOC_ADD, &v) == 0, "");
	s = get_sum(ro_fd);
	EXPECT(s.sum == 3 && s.count == 2, "sum %lld count %llu", (long long)s.sum,
	       (unsigned long long)s.count);
	EXPECT(s.generation == s0.generation + 2, "");
	/* a 64-bit value: the upper half must arrive too */
	v = INT64_C(0x100000000);
	ASSERT(xioctl(rw_fd, KDEMO_IOC_ADD, &v) == 0, "");
	EXPECT(get_sum(ro_fd).sum == INT64_C(0x100000003), "%lld",
	       (long long)get_sum(ro_fd).sum);
	ASSERT(xioctl_raw(rw_fd, KDEMO_IOC_RESET, 0) == 0, "%s", strerror(errno));
	s = get_sum(ro_fd);
	EXPECT(s.sum == 0 && s.count == 0, "");
	EXPECT(s.generation == s0.generation + 4, "");
}

static void add_overflow_is_erange(void)
{
	int64_t v = INT64_MAX;
	struct kdemo_sum s;

	ASSERT(xioctl(rw_fd, KDEMO_IOC_ADD, &v) == 0, "");
	v = 1;
	EXPECT(xioctl(rw_fd, KDEMO_IOC_ADD, &v) == ERANGE, "");
	s = get_sum(ro_fd);
	EXPECT(s.sum == INT64_MAX && s.count == 1, "");
	EXPECT(xioctl_raw(rw_fd, KDEMO_IOC_ADD, 0) == EFAULT, "ADD NULL");
}

static void add_batch(void)
{
	int64_t values[KDEMO_BATCH_MAX + 1];
	struct kdemo_batch b = { .values = ptr(values), .count = 3 };
	struct kdemo_sum s0, s;
	int k;

	for (k = 0; k <= KDEMO_BATCH_MAX; k++)
		values[k] = k + 1;
	values[2] = INT64_C(1) << 40;
	ASSERT(xioctl(rw_fd, KDEMO_IOC_ADD_BATCH, &b) == 0, "%s", strerror(errno));
	s = get_sum(ro_fd);
	EXPECT(s.sum == 3 + (INT64_C(1) << 40) && s.count == 3, "sum %lld count %llu",
	       (long long)s.sum, (unsigned long long)s.count);
	values[2] = 3;
	b.count = KDEMO_BATCH_MAX;
	ASSERT(xioctl(rw_fd, KDEMO_IOC_ADD_BATCH, &b) == 0, "4096 values: %s", strerror(errno));
	EXPECT(get_sum(ro_fd).count == 3 + KDEMO_BATCH_MAX, "");

	s0 = get_sum(ro_fd);
	b = (struct kdemo_batch){ .values = ptr(values), .count = 0 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_ADD_BATCH, &b) == EINVAL, "count 0");
	b = (struct kdemo_batch){ .values = ptr(values), .count = KDEMO_BATCH_MAX + 1 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_ADD_BATCH, &b) == E2BIG, "count 4097");
	b = (struct kdemo_batch){ .values = ptr(values), .count = 1, .flags = 1 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_ADD_BATCH, &b) == EINVAL, "flags");
	b = (struct kdemo_batch){ .values = ptr(values), .count = 1, .reserved = { 0, 1 } };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_ADD_BATCH, &b) == EINVAL, "reserved[1]");
	b = (struct kdemo_batch){ .values = ptr(values) | (1ULL << 33), .count = 1 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_ADD_BATCH, &b) == EFAULT, "values above 4 GiB");
	values[0] = INT64_MAX;
	b = (struct kdemo_batch){ .values = ptr(values), .count = 2 };
	EXPECT(xioctl(rw_fd, KDEMO_IOC_ADD_BATCH, &b) == ERANGE, "overflow");
	s = get_sum(ro_fd);
	EXPECT(s.sum == s0.sum && s.count == s0.count && s.generation == s0.generation,
	       "a refused batch changed the state");
}

static void mutations_need_a_writable_descriptor(void)
{
	int64_t v = 1;
	struct kdemo_batch b = { .values = ptr(&v), .count = 1 };
	struct kdemo_msg m = { .data = ptr("x"), .len = 1 };
	struct kdemo_sum s0 = get_sum(ro_fd), s;

	EXPECT(xioctl(ro_fd, KDEMO_IOC_SET_MSG, &m) == EBADF, "SET_MSG");
	EXPECT(xioctl(ro_fd, KDEMO_IOC_ADD, &v) == EBADF, "ADD");
	EXPECT(xioctl(ro_fd, KDEMO_IOC_ADD_BATCH, &b) == EBADF, "ADD_BATCH");
	EXPECT(xioctl_raw(ro_fd, KDEMO_IOC_RESET, 0) == EBADF, "RESET");
	s = get_sum(ro_fd);
	EXPECT(s.generation == s0.generation, "");
}

/* A known number with another size or direction, another magic or an
 * unknown number: ENOTTY, as from 64 bits.
 */
static void wrong_sizes_and_numbers_are_enotty(void)
{
	unsigned char buf[256];
	struct kdemo_sum s0 = get_sum(ro_fd);

	memset(buf, 0, sizeof(buf));
	EXPECT(xioctl(rw_fd, _IOR(KDEMO_IOC_MAGIC, 0x04, struct kdemo_msg), buf) == ENOTTY,
	       "GET_SUM, size 32");
	EXPECT(xioctl(rw_fd, _IOW(KDEMO_IOC_MAGIC, 0x05, uint32_t), buf) == ENOTTY,
	       "ADD, size 4 (a 32-bit long)");
	EXPECT(xioctl(rw_fd, _IOC(_IOC_WRITE, KDEMO_IOC_MAGIC, 0x03, 28), buf) == ENOTTY,
	       "SET_MSG, size 28 (i386 packing)");
	EXPECT(xioctl(rw_fd, _IOW(KDEMO_IOC_MAGIC, 0x04, struct kdemo_sum), buf) == ENOTTY,
	       "GET_SUM as a write");
	EXPECT(xioctl(rw_fd, _IO(KDEMO_IOC_MAGIC, 0x1f), buf) == ENOTTY, "number 0x1f");
	EXPECT(xioctl(rw_fd, _IO(KDEMO_IOC_MAGIC, 0xff), buf) == ENOTTY, "the null ioctl");
	EXPECT(xioctl(rw_fd, _IOR(0xDD, 0x04, struct kdemo_sum), buf) == ENOTTY, "magic 0xDD");
	EXPECT(get_sum(ro_fd).generation == s0.generation, "");
}

/* --- mmap and poll -------------------------------------------------------- */

/* The seqcount read of docs/IOCTL.md, with 32-bit loads: an atomic 64-bit
 * load on i386 may be a locked cmpxchg8b, which writes and so faults on a
 * read-only page; the sequence counter makes the halves consistent anyway.
 */
static uint64_t load64(const volatile void *p)
{
	const volatile uint32_t *w = p;

	return w[0] | ((uint64_t)w[1] << 32);
}

static struct kdemo_snapshot read_snapshot(const void *map)
{
	const volatile struct kdemo_snapshot *s = map;
	struct kdemo_snapshot c;
	uint32_t seq;

	do {
		seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		c.abi_version = s->abi_version;
		c.sum = (int64_t)load64(&s->sum);
		c.count = load64(&s->count);
		c.generation = load64(&s->generation);
		c.msg_len = load64(&s->msg_len);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((seq & 1) || __atomic_load_n(&s->seq, __ATOMIC_RELAXED) != seq);
	c.seq = seq;
	return c;
}

static void snapshot_page_matches_get_sum(void)
{
	void *map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro_fd, 0);
	struct kdemo_snapshot c;
	struct kdemo_sum s;
	int64_t v = -(INT64_C(1) << 35);

	ASSERT(map != MAP_FAILED, "mmap: %s", strerror(errno));
	ASSERT(set_msg(rw_fd, "snap", 4) == 0, "");
	ASSERT(xioctl(rw_fd, KDEMO_IOC_ADD, &v) == 0, "");
	c = read_snapshot(map);
	s = get_sum(ro_fd);
	EXPECT(c.abi_version == KDEMO_ABI_VERSION, "%u", c.abi_version);
	EXPECT(c.sum == s.sum && c.count == s.count && c.generation == s.generation,
	       "page sum %lld count %llu generation %llu, GET_SUM %lld %llu %llu",
	       (long long)c.sum, (unsigned long long)c.count,
	       (unsigned long long)c.generation, (long long)s.sum,
	       (unsigned long long)s.count, (unsigned long long)s.generation);
	EXPECT(c.msg_len == 4, "%llu", (unsigned long long)c.msg_len);
	EXPECT(munmap(map, 4096) == 0, "");
}

static int mmap_errno(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

static void mapping_refusals(void)
{
	int e;

	e = mmap_errno(rw_fd, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	EXPECT(e == EACCES || e == EPERM, "shared writable: %s", strerror(e));
	e = mmap_errno(rw_fd, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	EXPECT(e == EACCES || e == EPERM, "private writable: %s", strerror(e));
	EXPECT(mmap_errno(ro_fd, 4096, PROT_READ, MAP_SHARED, 4096) == EINVAL, "offset 4096");
	EXPECT(mmap_errno(ro_fd, 8192, PROT_READ, MAP_SHARED, 0) == EINVAL, "two pages");
	{
		void *map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro_fd, 0);

		ASSERT(map != MAP_FAILED, "");
		EXPECT(mprotect(map, 4096, PROT_READ | PROT_WRITE) != 0 &&
			       (errno == EACCES || errno == EPERM),
		       "mprotect(PROT_WRITE) was allowed");
		munmap(map, 4096);
	}
}

static void poll_reports_a_change_and_rearms(void)
{
	struct pollfd p = { .fd = ro_fd, .events = POLLIN | POLLPRI };
	int64_t v = 1;

	(void)get_sum(ro_fd); /* re-arms: this descriptor has seen the generation */
	EXPECT(poll(&p, 1, 0) == 0, "revents %#x before a change", p.revents);
	ASSERT(xioctl(rw_fd, KDEMO_IOC_ADD, &v) == 0, "");
	p.revents = 0;
	EXPECT(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN) && (p.revents & POLLPRI),
	       "revents %#x after a change", p.revents);
	(void)get_sum(ro_fd);
	p.revents = 0;
	EXPECT(poll(&p, 1, 0) == 0, "revents %#x after reading", p.revents);
}

/* --- the runner ------------------------------------------------------------ */

static const struct test tests[] = {
	{ "Abi32", "ProcessIs32Bit", process_is_32_bit },
	{ "Abi32", "LayoutAndNumbersAreThe64BitOnes", layout_is_the_64_bit_one },
	{ "Ioctl32", "GetAbi", get_abi },
	{ "Ioctl32", "GetInfoFillsEveryField", get_info_fills_every_field },
	{ "Ioctl32", "GetInfoLargerSizeIsZeroedAndBadSizesRefused", get_info_sizes },
	{ "Ioctl32", "SetMsgAndGetMsgCarryEveryByte", set_and_get_msg },
	{ "Ioctl32", "GetMsgTooSmallIsErangeWithTheLength",
	  get_msg_too_small_is_erange_with_the_length },
	{ "Ioctl32", "MessageRefusalsChangeNothing", msg_refusals_change_nothing },
	{ "Ioctl32", "AddGetSumAndReset", add_get_sum_and_reset },
	{ "Ioctl32", "AddOverflowIsErange", add_overflow_is_erange },
	{ "Ioctl32", "AddBatchAndItsRefusals", add_batch },
	{ "Ioctl32", "MutationsNeedAWritableDescriptor", mutations_need_a_writable_descriptor },
	{ "Ioctl32", "WrongSizesAndNumbersAreEnotty", wrong_sizes_and_numbers_are_enotty },
	{ "Mmap32", "SnapshotPageMatchesGetSum", snapshot_page_matches_get_sum },
	{ "Mmap32", "WritableMappingsAreRefused", mapping_refusals },
	{ "Poll32", "ReportsAChangeAndRearms", poll_reports_a_change_and_rearms },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

/* GoogleTest's filter: positive patterns, then '-' and negative ones. */
static int selected(const char *filter, const char *full)
{
	char buf[1024], *neg, *pat, *save;
	int pos = 0;

	if (!filter || !*filter)
		return 1;
	snprintf(buf, sizeof(buf), "%s", filter);
	neg = strchr(buf, '-');
	if (neg)
		*neg++ = 0;
	if (!*buf)
		pos = 1;
	for (pat = strtok_r(buf, ":", &save); pat; pat = strtok_r(NULL, ":", &save))
		if (fnmatch(pat, full, 0) == 0)
			pos = 1;
	if (!pos)
		return 0;
	if (neg)
		for (pat = strtok_r(neg, ":", &save); pat; pat = strtok_r(NULL, ":", &save))
			if (fnmatch(pat, full, 0) == 0)
				return 0;
	return 1;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int main(int argc, char **argv)
{
	const char *filter = NULL, *json = NULL;
	static char failures[NTESTS][sizeof(failure)];
	int ran[NTESTS] = { 0 }, bad[NTESTS] = { 0 };
	int a, nfailed = 0, nran = 0;
	size_t t;

	for (a = 1; a < argc; a++) {
		if (!strncmp(argv[a], "--gtest_filter=", 15))
			filter = argv[a] + 15;
		else if (!strncmp(argv[a], "--gtest_output=json:", 20))
			json = argv[a] + 20;
		else if (!strcmp(argv[a], "--gtest_list_tests")) {
			for (t = 0; t < NTESTS; t++)
				printf("%s.\n  %s\n", tests[t].suite, tests[t].name);
			return 0;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	rw_fd = open(NODE, O_RDWR | O_CLOEXEC);
	ro_fd = open(NODE, O_RDONLY | O_CLOEXEC);
	printf("[==========] Running %zu tests from a 32-bit process.\n", NTESTS);
	for (t = 0; t < NTESTS; t++) {
		char full[128];

		snprintf(full, sizeof(full), "%s.%s", tests[t].suite, tests[t].name);
		if (!selected(filter, full))
			continue;
		printf("[ RUN      ] %s\n", full);
		failure[0] = 0;
		failed = 0;
		if (t < 2) {
			tests[t].fn(); /* no device needed */
		} else if (rw_fd < 0 || ro_fd < 0) {
			fail_at(__LINE__, "cannot open " NODE ": %s", strerror(errno));
		} else {
			/* every device test starts from an empty message and sum */
			if (set_msg(rw_fd, "", 0) || xioctl_raw(rw_fd, KDEMO_IOC_RESET, 0))
				fail_at(__LINE__, "cannot clear the device: %s", strerror(errno));
			else
				tests[t].fn();
		}
		ran[t] = 1;
		nran++;
		bad[t] = failed;
		memcpy(failures[t], failure, sizeof(failure));
		nfailed += failed;
		printf("[  %s ] %s (0 ms)\n", failed ? "FAILED " : "     OK", full);
	}
	printf("[==========] %d tests ran.\n[  PASSED  ] %d tests.\n", nran, nran - nfailed);
	if (nfailed)
		printf("[  FAILED  ] %d tests.\n", nfailed);

	if (json) {
		FILE *f = fopen(json, "w");
		const char *suite = NULL;

		if (!f) {
			perror(json);
			return 1;
		}
		fprintf(f, "{\"tests\": %d, \"failures\": %d, \"testsuites\": [", nran, nfailed);
		for (t = 0; t < NTESTS; t++) {
			if (!ran[t])
				continue;
			if (!suite || strcmp(suite, tests[t].suite)) {
				fprintf(f, "%s{\"name\": ", suite ? "]}, " : "");
				json_string(f, tests[t].suite);
				fputs(", \"testsuite\": [", f);
				suite = tests[t].suite;
			} else {
				fputs(", ", f);
			}
			fputs("{\"name\": ", f);
			json_string(f, tests[t].name);
			fputs(", \"status\": \"RUN\", \"result\": \"COMPLETED\"", f);
			if (bad[t]) {
				fputs(", \"failures\": [{\"failure\": ", f);
				json_string(f, failures[t]);
				fputs(", \"type\": \"\"}]", f);
			}
			fputc('}', f);
		}
		fprintf(f, "%s]}\n", suite ? "]}" : "");
		if (fclose(f)) {
			perror(json);
			return 1;
		}
	}
	if (rw_fd >= 0)
		close(rw_fd);
	if (ro_fd >= 0)
		close(ro_fd);
	return nfailed ? 1 : 0;
}
