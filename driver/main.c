// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - module parameters, the class and the lifecycle of the devices
 *
 * No object whose release is module code outlives the module: the class
 * (class_create()), the devices (device_create_with_groups()) and the cdev
 * (cdev_alloc()) are allocated and released by the driver core, which may
 * release them late (CONFIG_DEBUG_KOBJECT_RELEASE delays every kobject
 * release by 1 to 4 s). struct kdemo_dev is the driver's own and is freed
 * when its device is destroyed, after device_unregister() and proc_remove()
 * have waited for every sysfs and proc caller and the notification work is
 * cancelled; an open node pins the module through the file operations'
 * owner (rmmod: EBUSY), so no ioctl, poll or mapping can outlive it either.
 *
 * The generic netlink family is registered once every device exists and
 * unregistered before any goes, so a request always finds its device.
 * One cdev serves every minor, and adding it is the last step of the load
 * that can fail: no node can be opened before every device exists, so a
 * failing load never has to take a device away from an opener. Init
 * unwinds exactly what it did, in reverse; exit mirrors init.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "compat.h"
#include "internal.h"

static unsigned int ndevs = 1;
module_param(ndevs, uint, 0444);
MODULE_PARM_DESC(ndevs, "number of devices /dev/kdemoN to create (1..64, default 1)");

static unsigned int msg_max = 4095;
module_param(msg_max, uint, 0444);
MODULE_PARM_DESC(msg_max, "largest message in bytes (1..1048576, default 4095)");

static struct class *kdemo_class;
static dev_t kdemo_devt;
static struct cdev *kdemo_cdev;
static struct kdemo_dev **kdemo_devs;

/**
 * kdemo_lookup - the device of a minor number, for open()
 * @minor: the minor number
 *
 * Open can only reach this once the load has succeeded (the cdev is added
 * last), when every device exists.
 *
 * Return: the device, or NULL if there is none of that minor.
 */
struct kdemo_dev *kdemo_lookup(unsigned int minor)
{
	return minor < ndevs ? kdemo_devs[minor] : NULL;
}

static void kdemo_free(struct kdemo_dev *kd)
{
	kdemo_core_release(kd);
	kfree(kd);
}

/*
 * Create device @index: its state, the device with its attribute groups
 * (present before the uevent), then the proc files. Its node opens once the
 * load has added the cdev.
 */
static int kdemo_create(unsigned int index)
{
	dev_t devt = MKDEV(MAJOR(kdemo_devt), index);
	struct kdemo_dev *kd;
	int ret;

	kd = kzalloc(sizeof(*kd), GFP_KERNEL);
	if (!kd)
		return -ENOMEM;
	ret = kdemo_core_init(kd, msg_max);
	if (ret) {
		kfree(kd);
		return ret;
	}

	kd->dev = device_create_with_groups(kdemo_class, NULL, devt, kd,
					    kdemo_groups, KDEMO_NAME "%u",
					    index);
	if (IS_ERR(kd->dev)) {
		ret = PTR_ERR(kd->dev);
		goto err_free;
	}
	ret = kdemo_sysfs_add(kd);
	if (ret)
		goto err_device;
	ret = kdemo_proc_add(kd);
	if (ret)
		goto err_device;
	kdemo_devs[index] = kd;
	return 0;

err_device:
	device_unregister(kd->dev);	/* drains sysfs callers */
	kdemo_core_stop(kd);
	kdemo_sysfs_remove(kd);
err_free:
	kdemo_free(kd);
	return ret;
}

/*
 * Undo kdemo_create(). Proc and sysfs callers are drained first; a change
 * they made may have queued a notification, cancelled once they are all
 * gone and before the attribute nodes are let go.
 */
static void kdemo_destroy(unsigned int index)
{
	struct kdemo_dev *kd = kdemo_devs[index];

	kdemo_proc_remove(kd);
	device_unregister(kd->dev);	/* drains sysfs callers */
	kdemo_core_stop(kd);
	kdemo_sysfs_remove(kd);
	kdemo_devs[index] = NULL;
	kdemo_free(kd);
}

/* The one cdev of every minor: the load's last step that can fail. */
static int kdemo_cdev_add(void)
{
	int ret;

	kdemo_cdev = cdev_alloc();
	if (!kdemo_cdev)
		return -ENOMEM;
	kdemo_cdev->ops = &kdemo_fops;
	kdemo_cdev->owner = THIS_MODULE;
	ret = cdev_add(kdemo_cdev, kdemo_devt, ndevs);
	if (ret)
		kobject_put(&kdemo_cdev->kobj);
	return ret;
}

static int __init kdemo_init(void)
{
	unsigned int i;
	int ret;

	if (ndevs < 1 || ndevs > KDEMO_NDEVS_MAX) {
		pr_err("ndevs=%u is out of range (1..%u)\n", ndevs,
		       KDEMO_NDEVS_MAX);
		return -EINVAL;
	}
	if (msg_max < 1 || msg_max > KDEMO_MSG_MAX_LIMIT) {
		pr_err("msg_max=%u is out of range (1..%u)\n", msg_max,
		       KDEMO_MSG_MAX_LIMIT);
		return -EINVAL;
	}

	ret = alloc_chrdev_region(&kdemo_devt, 0, ndevs, KDEMO_NAME);
	if (ret)
		return ret;
	kdemo_class = kdemo_class_create(KDEMO_NAME);
	if (IS_ERR(kdemo_class)) {
		ret = PTR_ERR(kdemo_class);
		goto err_region;
	}
	ret = kdemo_proc_init();
	if (ret)
		goto err_class;
	kdemo_devs = kcalloc(ndevs, sizeof(*kdemo_devs), GFP_KERNEL);
	if (!kdemo_devs) {
		ret = -ENOMEM;
		goto err_proc;
	}
	for (i = 0; i < ndevs; i++) {
		ret = kdemo_create(i);
		if (ret)
			goto err_devs;
	}
	ret = kdemo_nl_init();
	if (ret)
		goto err_devs;
	ret = kdemo_cdev_add();
	if (ret)
		goto err_nl;

	for (i = 0; i < ndevs; i++)
		dev_info(kdemo_devs[i]->dev,
			 "version %s ready: msg_max %u, ABI %d\n", KDEMO_VERSION,
			 msg_max, KDEMO_ABI_VERSION);
	return 0;

err_nl:
	kdemo_nl_exit();
err_devs:
	while (i--)
		kdemo_destroy(i);
	kfree(kdemo_devs);
err_proc:
	kdemo_proc_exit();
err_class:
	class_destroy(kdemo_class);
err_region:
	unregister_chrdev_region(kdemo_devt, ndevs);
	return ret;
}

static void __exit kdemo_exit(void)
{
	unsigned int i = ndevs;

	cdev_del(kdemo_cdev);
	kdemo_nl_exit();
	while (i--) {
		dev_info(kdemo_devs[i]->dev, "removed\n");
		kdemo_destroy(i);
	}
	kfree(kdemo_devs);
	kdemo_proc_exit();
	class_destroy(kdemo_class);
	unregister_chrdev_region(kdemo_devt, ndevs);
}

module_init(kdemo_init);
module_exit(kdemo_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kdemo developers");
MODULE_DESCRIPTION("Demonstrates ioctl, sysfs, procfs, poll, mmap and generic netlink side by side");
MODULE_VERSION(KDEMO_VERSION);
