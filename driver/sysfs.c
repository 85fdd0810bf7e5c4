// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - the sysfs transport: /sys/class/kdemo/kdemoN/
 *
 * The attributes are the device's default groups, so the driver core
 * creates them before the uevent announces the device. Every show uses
 * sysfs_emit().
 *
 * The writable attributes (message, add, reset) are binary attributes,
 * because only a binary attribute's write() sees the file offset: a write
 * at a non-zero offset (a second write(2) on one open file) fails with
 * EINVAL, as it does in /proc. Their text is the same as any attribute's.
 * message is read through the same kind of attribute: it copies raw bytes
 * (a message may hold any byte, including NUL), each read(2) from one
 * moment, and fails with EFBIG when the message and its newline do not fit
 * in PAGE_SIZE - 1 bytes, the most a text attribute returns.
 */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/random.h>
#include <linux/sysfs.h>
#include <linux/uio.h>

#include "internal.h"

/*
 * Every write goes through here: it must start at offset 0 (a second write(2)
 * on the same open file is refused, so no value is silently split in two)
 * and be shorter than a page, since kernfs cuts a longer write(2) to one page
 * and reports a short write: a page-long write cannot be told from the first
 * piece of a longer one.
 */
static ssize_t kdemo_sysfs_write(struct kobject *kobj, const char *buf,
				 loff_t off, size_t count,
				 int (*op)(struct kdemo_dev *kd,
					   const char *buf, size_t len))
{
	struct kdemo_dev *kd = to_kdemo_dev(kobj_to_dev(kobj));
	int ret;

	kdemo_count_op(kd, KDEMO_T_SYSFS);
	if (off)
		return -EINVAL;
	if (count >= PAGE_SIZE)
		return -E2BIG;
	ret = op(kd, buf, count);
	return ret ?: count;
}

static ssize_t message_read(struct file *filp, struct kobject *kobj,
			    struct bin_attribute *attr, char *buf, loff_t off,
			    size_t count)
{
	struct kdemo_dev *kd = to_kdemo_dev(kobj_to_dev(kobj));
	ssize_t ret;

	if (!off)
		kdemo_count_op(kd, KDEMO_T_SYSFS);
	ret = kdemo_text_read_msg(kd, buf, off, count, PAGE_SIZE - 1);
	return ret == -ERANGE ? -EFBIG : ret;
}

static int kdemo_sysfs_set_msg(struct kdemo_dev *kd, const char *buf,
			       size_t len)
{
	struct iov_iter from;
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };

	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, len);
	return kdemo_set_msg(kd, &from, true);
}

static ssize_t message_write(struct file *filp, struct kobject *kobj,
			     struct bin_attribute *attr, char *buf, loff_t off,
			     size_t count)
{
	return kdemo_sysfs_write(kobj, buf, off, count, kdemo_sysfs_set_msg);
}
static BIN_ATTR_RW(message, 0);

static ssize_t add_write(struct file *filp, struct kobject *kobj,
			 struct bin_attribute *attr, char *buf, loff_t off,
			 size_t count)
{
	return kdemo_sysfs_write(kobj, buf, off, count, kdemo_text_add);
}
static BIN_ATTR_WO(add, 0);

static ssize_t reset_write(struct file *filp, struct kobject *kobj,
			   struct bin_attribute *attr, char *buf, loff_t off,
			   size_t count)
{
	return kdemo_sysfs_write(kobj, buf, off, count, kdemo_text_reset);
}
static BIN_ATTR_WO(reset, 0);

/* sum, count and generation: one consistent lockless read each */
#define KDEMO_SUM_ATTR(_field, _fmt)					\
static ssize_t _field##_show(struct device *dev,			\
			     struct device_attribute *attr, char *buf)	\
{									\
	struct kdemo_dev *kd = to_kdemo_dev(dev);			\
	struct kdemo_sum sum;						\
									\
	kdemo_count_op(kd, KDEMO_T_SYSFS);				\
	kdemo_read_sum(kd, &sum);					\
	return sysfs_emit(buf, _fmt "\n", sum._field);			\
}									\
static DEVICE_ATTR_RO(_field)

KDEMO_SUM_ATTR(sum, "%lld");
KDEMO_SUM_ATTR(count, "%llu");
KDEMO_SUM_ATTR(generation, "%llu");

static ssize_t msg_max_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct kdemo_dev *kd = to_kdemo_dev(dev);

	kdemo_count_op(kd, KDEMO_T_SYSFS);
	return sysfs_emit(buf, "%zu\n", kd->msg_max);
}
static DEVICE_ATTR_RO(msg_max);

static ssize_t random_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	kdemo_count_op(to_kdemo_dev(dev), KDEMO_T_SYSFS);
	return sysfs_emit(buf, "%llu\n", get_random_u64());
}
static DEVICE_ATTR_RO(random);

static struct attribute *kdemo_attrs[] = {
	&dev_attr_sum.attr,
	&dev_attr_count.attr,
	&dev_attr_generation.attr,
	&dev_attr_msg_max.attr,
	&dev_attr_random.attr,
	NULL,
};

/* binary attributes only because their write() sees the file offset */
static struct bin_attribute *kdemo_bin_attrs[] = {
	&bin_attr_message,
	&bin_attr_add,
	&bin_attr_reset,
	NULL,
};

static const struct attribute_group kdemo_group = {
	.attrs = kdemo_attrs,
	.bin_attrs = kdemo_bin_attrs,
};

/* stats/: reading a counter is not itself counted */
#define KDEMO_STAT_ATTR(_name, _value)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct kdemo_dev *kd = to_kdemo_dev(dev);			\
									\
	return sysfs_emit(buf, "%llu\n", (u64)(_value));		\
}									\
static DEVICE_ATTR_RO(_name)

KDEMO_STAT_ATTR(opens, atomic64_read(&kd->opens));
KDEMO_STAT_ATTR(ioctl_ops, kdemo_ops(kd, KDEMO_T_IOCTL));
KDEMO_STAT_ATTR(sysfs_ops, kdemo_ops(kd, KDEMO_T_SYSFS));
KDEMO_STAT_ATTR(proc_ops, kdemo_ops(kd, KDEMO_T_PROC));
KDEMO_STAT_ATTR(netlink_ops, kdemo_ops(kd, KDEMO_T_NETLINK));
KDEMO_STAT_ATTR(uring_ops, kdemo_ops(kd, KDEMO_T_URING));

static struct attribute *kdemo_stats_attrs[] = {
	&dev_attr_opens.attr,
	&dev_attr_ioctl_ops.attr,
	&dev_attr_sysfs_ops.attr,
	&dev_attr_proc_ops.attr,
	&dev_attr_netlink_ops.attr,
	&dev_attr_uring_ops.attr,
	NULL,
};

static const struct attribute_group kdemo_stats_group = {
	.name = "stats",
	.attrs = kdemo_stats_attrs,
};

const struct attribute_group *kdemo_groups[] = {
	&kdemo_group,
	&kdemo_stats_group,
	NULL,
};

/* Keep the nodes the core notifies, so a change needs no name lookup. */
int kdemo_sysfs_add(struct kdemo_dev *kd)
{
	struct kernfs_node *dir = kd->dev->kobj.sd;
	struct kernfs_node *message, *sum, *generation;

	message = sysfs_get_dirent(dir, "message");
	sum = sysfs_get_dirent(dir, "sum");
	generation = sysfs_get_dirent(dir, "generation");
	if (!message || !sum || !generation) {
		sysfs_put(message);
		sysfs_put(sum);
		sysfs_put(generation);
		return -ENOENT;
	}
	WRITE_ONCE(kd->kn_message, message);
	WRITE_ONCE(kd->kn_sum, sum);
	WRITE_ONCE(kd->kn_generation, generation);
	return 0;
}

/* Called once the attributes are gone, so nothing can notify any more. */
void kdemo_sysfs_remove(struct kdemo_dev *kd)
{
	sysfs_put(kd->kn_message);
	sysfs_put(kd->kn_sum);
	sysfs_put(kd->kn_generation);
	kd->kn_message = NULL;
	kd->kn_sum = NULL;
	kd->kn_generation = NULL;
}
