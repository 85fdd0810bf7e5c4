/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	driver/netlink/kdemo.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_KDEMO_NETLINK_H
#define _UAPI_LINUX_KDEMO_NETLINK_H

#define KDEMO_FAMILY_NAME	"kdemo"
#define KDEMO_FAMILY_VERSION	1

#define KDEMO_DEV_INDEX_MAX	63
#define KDEMO_MSG_NL_MAX	65531

/**
 * enum kdemo_change - What a change notification reports as changed.
 * @KDEMO_CHANGE_MSG: the message was replaced
 * @KDEMO_CHANGE_ACC: the accumulator (sum and count) changed
 */
enum kdemo_change {
	KDEMO_CHANGE_MSG = 1,
	KDEMO_CHANGE_ACC = 2,
};

enum {
	KDEMO_A_PAD = 1,
	KDEMO_A_DEV_INDEX,
	KDEMO_A_DEV_NAME,
	KDEMO_A_MSG,
	KDEMO_A_MSG_LEN,
	KDEMO_A_MSG_MAX,
	KDEMO_A_SUM,
	KDEMO_A_COUNT,
	KDEMO_A_GENERATION,
	KDEMO_A_VALUE,
	KDEMO_A_CHANGED,
	KDEMO_A_DRIVER,
	KDEMO_A_VERSION,
	KDEMO_A_ABI,
	KDEMO_A_OPENS,
	KDEMO_A_IOCTL_OPS,
	KDEMO_A_SYSFS_OPS,
	KDEMO_A_PROC_OPS,
	KDEMO_A_NETLINK_OPS,
	KDEMO_A_URING_OPS,
	KDEMO_A_RANDOM,

	__KDEMO_A_MAX,
	KDEMO_A_MAX = (__KDEMO_A_MAX - 1)
};

enum {
	KDEMO_CMD_GET_DEV = 1,
	KDEMO_CMD_GET_MSG,
	KDEMO_CMD_SET_MSG,
	KDEMO_CMD_ADD,
	KDEMO_CMD_GET_SUM,
	KDEMO_CMD_RESET,
	KDEMO_CMD_GET_INFO,
	KDEMO_CMD_CHANGE_NTF,

	__KDEMO_CMD_MAX,
	KDEMO_CMD_MAX = (__KDEMO_CMD_MAX - 1)
};

#define KDEMO_MCGRP_MONITOR	"monitor"

#endif /* _UAPI_LINUX_KDEMO_NETLINK_H */
