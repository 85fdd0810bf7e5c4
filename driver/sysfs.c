// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - the sysfs transport: /sys/class/kdemo/kdemoN/
 *
 * The attributes are the class's default groups, so the driver core creates
 * them before the uevent announces the device. Every show uses sysfs_emit()
 * except message, which copies raw bytes (a message may hold any byte,
 * including NUL) and fails with EFBIG when the message and its newline do
 * not fit in what sysfs can return (PAGE_SIZE - 1 bytes).
 *
 * Every store refuses PAGE_SIZE bytes or more with E2BIG: kernfs cuts a
 * longer write(2) to one page and reports a short write, so the caller would
 * write the rest as a second, separate value (half a message, or a number
 * split in two). A page-long store cannot be told from such a piece.
 */
#include <linux/device.h>
#include <linux/random.h>
#include <linux/sysfs.h>
#include <linux/uio.h>

#include "internal.h"

/* Whether a store can be a whole write(2), not the first page of a longer one */
static bool kdemo_sysfs_whole(size_t count)
{
	return count < PAGE_SIZE;
}

static ssize_t message_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct kdemo_dev *kd = to_kdemo_dev(dev);
	ssize_t ret;

	kdemo_count_op(kd, KDEMO_T_SYSFS);
	ret = kdemo_text_get_msg(kd, buf, PAGE_SIZE - 1);
	return ret == -ERANGE ? -EFBIG : ret;
}

static ssize_t message_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct kdemo_dev *kd = to_kdemo_dev(dev);
	struct iov_iter from;
	struct kvec kv;
	int ret;

	kdemo_count_op(kd, KDEMO_T_SYSFS);
	if (!kdemo_sysfs_whole(count))
		return -E2BIG;
	kv.iov_base = (void *)buf;
	kv.iov_len = count;
	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, count);
	ret = kdemo_set_msg(kd, &from, true, NULL);
	return ret ?: count;
}
static DEVICE_ATTR_RW(message);

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

static ssize_t add_store(struct device *dev, struct device_attribute *attr,
			 const char *buf, size_t count)
{
	struct kdemo_dev *kd = to_kdemo_dev(dev);
	int ret;

	kdemo_count_op(kd, KDEMO_T_SYSFS);
	if (!kdemo_sysfs_whole(count))
		return -E2BIG;
	ret = kdemo_text_add(kd, buf, count);
	return ret ?: count;
}
static DEVICE_ATTR_WO(add);

static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct kdemo_dev *kd = to_kdemo_dev(dev);
	int ret;

	kdemo_count_op(kd, KDEMO_T_SYSFS);
	if (!kdemo_sysfs_whole(count))
		return -E2BIG;
	ret = kdemo_text_reset(kd, buf, count);
	return ret ?: count;
}
static DEVICE_ATTR_WO(reset);

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
	&dev_attr_message.attr,
	&dev_attr_sum.attr,
	&dev_attr_count.attr,
	&dev_attr_add.attr,
	&dev_attr_reset.attr,
	&dev_attr_generation.attr,
	&dev_attr_msg_max.attr,
	&dev_attr_random.attr,
	NULL,
};

static const struct attribute_group kdemo_group = {
	.attrs = kdemo_attrs,
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

static struct attribute *kdemo_stats_attrs[] = {
	&dev_attr_opens.attr,
	&dev_attr_ioctl_ops.attr,
	&dev_attr_sysfs_ops.attr,
	&dev_attr_proc_ops.attr,
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
