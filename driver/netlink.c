// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - the generic netlink transport: family "kdemo"
 *
 * The family is described by driver/netlink/kdemo.yaml (the kernel's YNL
 * format); its UAPI enums, <linux/kdemo_netlink.h>, are generated from that
 * file. The policy below is written by hand because the generated kernel
 * code uses split ops, which 6.1 lacks; tests/netlink-spec checks that it
 * agrees with the spec.
 *
 * Every request names a device by KDEMO_A_DEV_INDEX and is parsed, passed to
 * the core and formatted, like the other transports. Reads are open to
 * everyone (as sysfs is); set-msg, add and reset carry GENL_ADMIN_PERM, so
 * they need CAP_NET_ADMIN. The family is not netns-aware: it exists in the
 * initial network namespace only.
 *
 * Limits: an attribute carries at most 65535 bytes with its header, so a
 * message travels only if it is at most KDEMO_MSG_NL_MAX bytes; get-msg of a
 * longer one fails with EMSGSIZE and an extack message.
 *
 * Every refusal carries an extack text: the policy's (range, length, unknown
 * attribute) from the netlink core, the others set here. The one exception is
 * EPERM for a mutation without CAP_NET_ADMIN: genetlink refuses it for
 * GENL_ADMIN_PERM before the family sees the request, without a text.
 *
 * Notifications: after every change the core calls kdemo_nl_notify(). If
 * the monitor group has listeners, it reads the state of one moment and
 * multicasts it under the device's nl_lock (never the core's lock), and only
 * if its generation is newer than the last one sent: events leave in
 * increasing generation order, each says what changed since the previous
 * one, and the last change of a burst is always announced. A listener whose
 * socket overflowed (ENOBUFS) reads the state once and goes on.
 */
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/genetlink.h>
#include <linux/kdemo_netlink.h>

#include "compat.h"
#include "internal.h"

static struct genl_family kdemo_nl_family;

/* Set while notifications may be sent; cleared (under each nl_lock) at exit. */
static bool kdemo_nl_live;

enum kdemo_nl_mcgrp {
	KDEMO_NL_MCGRP_MONITOR,
};

static const struct genl_multicast_group kdemo_nl_mcgrps[] = {
	[KDEMO_NL_MCGRP_MONITOR] = { .name = KDEMO_MCGRP_MONITOR },
};

/* The one policy of the family; a reply-only attribute is refused on input. */
static const struct nla_policy kdemo_nl_policy[KDEMO_A_MAX + 1] = {
	[KDEMO_A_DEV_INDEX] = NLA_POLICY_MAX(NLA_U32, KDEMO_DEV_INDEX_MAX),
	[KDEMO_A_MSG] = { .type = NLA_BINARY, .len = KDEMO_MSG_NL_MAX },
	[KDEMO_A_VALUE] = { .type = NLA_S64 },
};

/*
 * The device a request names: KDEMO_A_DEV_INDEX is required and must name
 * an existing device. The family exists only while every device does.
 */
static struct kdemo_dev *kdemo_nl_dev(struct genl_info *info)
{
	struct kdemo_dev *kd;

	if (GENL_REQ_ATTR_CHECK(info, KDEMO_A_DEV_INDEX)) {
		NL_SET_ERR_MSG_MOD(info->extack, "no device index (KDEMO_A_DEV_INDEX)");
		return ERR_PTR(-EINVAL);
	}
	kd = kdemo_lookup(nla_get_u32(info->attrs[KDEMO_A_DEV_INDEX]));
	if (!kd) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KDEMO_A_DEV_INDEX],
				    "no such kdemo device");
		return ERR_PTR(-ENODEV);
	}
	kdemo_count_op(kd, KDEMO_T_NETLINK);
	return kd;
}

static unsigned int kdemo_nl_index(struct kdemo_dev *kd)
{
	return MINOR(kd->dev->devt);
}

static int kdemo_nl_put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, KDEMO_A_PAD);
}

/* A reply to @info's request, @size bytes of attributes, or NULL. */
static struct sk_buff *kdemo_nl_reply(struct genl_info *info, size_t size,
				      void **hdr)
{
	struct sk_buff *skb = genlmsg_new(size, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put_reply(skb, info, &kdemo_nl_family, 0,
				 info->genlhdr->cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static int kdemo_nl_send(struct sk_buff *skb, void *hdr, struct genl_info *info,
			 int err)
{
	if (err) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

#define KDEMO_NL_U64_SIZE nla_total_size_64bit(sizeof(u64))

/* get-dev: index, name and the scalar state of one moment. */
#define KDEMO_NL_DEV_SIZE \
	(nla_total_size(sizeof(u32)) + nla_total_size(KDEMO_NAME_LEN) + \
	 5 * KDEMO_NL_U64_SIZE)

static int kdemo_nl_fill_dev(struct sk_buff *skb, struct kdemo_dev *kd)
{
	struct kdemo_state st;

	kdemo_msg_put(kd, kdemo_state_get(kd, &st));
	if (nla_put_u32(skb, KDEMO_A_DEV_INDEX, kdemo_nl_index(kd)) ||
	    nla_put_string(skb, KDEMO_A_DEV_NAME, dev_name(kd->dev)) ||
	    kdemo_nl_put_u64(skb, KDEMO_A_MSG_MAX, kd->msg_max) ||
	    kdemo_nl_put_u64(skb, KDEMO_A_MSG_LEN, st.msg_len) ||
	    kdemo_nl_put_u64(skb, KDEMO_A_SUM, (u64)st.sum) ||
	    kdemo_nl_put_u64(skb, KDEMO_A_COUNT, st.count) ||
	    kdemo_nl_put_u64(skb, KDEMO_A_GENERATION, st.generation))
		return -EMSGSIZE;
	return 0;
}

static int kdemo_nl_get_dev_doit(struct sk_buff *req, struct genl_info *info)
{
	struct kdemo_dev *kd = kdemo_nl_dev(info);
	struct sk_buff *skb;
	void *hdr;

	if (IS_ERR(kd))
		return PTR_ERR(kd);
	skb = kdemo_nl_reply(info, KDEMO_NL_DEV_SIZE, &hdr);
	if (!skb)
		return -ENOMEM;
	return kdemo_nl_send(skb, hdr, info, kdemo_nl_fill_dev(skb, kd));
}

/*
 * Every device, one message each; cb->args[0] is the next index. When the
 * last device is in, it returns 0 rather than the length: the netlink core
 * then puts NLMSG_DONE in the same skb, and a dump that fits is answered in
 * one read instead of two (a second pass of the dump for DONE alone doubled
 * the cost of listing four devices: docs/BENCHMARKS.md).
 */
static int kdemo_nl_get_dev_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct kdemo_dev *kd;
	void *hdr;

	for (; (kd = kdemo_lookup(cb->args[0])); cb->args[0]++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &kdemo_nl_family,
				  NLM_F_MULTI, KDEMO_CMD_GET_DEV);
		if (!hdr)
			return skb->len;
		kdemo_count_op(kd, KDEMO_T_NETLINK);
		if (kdemo_nl_fill_dev(skb, kd)) {
			genlmsg_cancel(skb, hdr);
			return skb->len;
		}
		genlmsg_end(skb, hdr);
	}
	return 0;
}

static int kdemo_nl_get_msg_doit(struct sk_buff *req, struct genl_info *info)
{
	struct kdemo_dev *kd = kdemo_nl_dev(info);
	struct kdemo_message *m;
	struct kdemo_state st;
	struct sk_buff *skb;
	size_t len;
	void *hdr;
	int err;

	if (IS_ERR(kd))
		return PTR_ERR(kd);
	/* a reference: the copy below may sleep in the allocator */
	m = kdemo_state_get(kd, &st);
	len = m ? m->len : 0;
	if (len > KDEMO_MSG_NL_MAX) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "message longer than a netlink attribute carries (KDEMO_MSG_NL_MAX)");
		err = -EMSGSIZE;
		goto out;
	}
	skb = kdemo_nl_reply(info, nla_total_size(sizeof(u32)) +
				   nla_total_size(len) + 2 * KDEMO_NL_U64_SIZE,
			     &hdr);
	if (!skb) {
		err = -ENOMEM;
		goto out;
	}
	err = nla_put_u32(skb, KDEMO_A_DEV_INDEX, kdemo_nl_index(kd)) ||
	      nla_put(skb, KDEMO_A_MSG, len, m ? m->data : "") ||
	      kdemo_nl_put_u64(skb, KDEMO_A_MSG_LEN, len) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_GENERATION, st.generation);
	err = kdemo_nl_send(skb, hdr, info, err);
out:
	kdemo_msg_put(kd, m);
	return err;
}

static int kdemo_nl_set_msg_doit(struct sk_buff *req, struct genl_info *info)
{
	struct kdemo_dev *kd = kdemo_nl_dev(info);
	struct nlattr *attr;
	struct iov_iter from;
	struct kvec kv;
	int err;

	if (IS_ERR(kd))
		return PTR_ERR(kd);
	if (GENL_REQ_ATTR_CHECK(info, KDEMO_A_MSG)) {
		NL_SET_ERR_MSG_MOD(info->extack, "no message (KDEMO_A_MSG)");
		return -EINVAL;
	}
	attr = info->attrs[KDEMO_A_MSG];
	kv.iov_base = nla_data(attr);
	kv.iov_len = nla_len(attr);
	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, kv.iov_len);
	err = kdemo_set_msg(kd, &from, false);
	if (err == -EMSGSIZE)
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "message is longer than msg_max");
	return err;
}

static int kdemo_nl_add_doit(struct sk_buff *req, struct genl_info *info)
{
	struct kdemo_dev *kd = kdemo_nl_dev(info);
	const struct nlattr *attr, *last = NULL;
	size_t n = 0;
	s64 *values;
	int rem, err;

	if (IS_ERR(kd))
		return PTR_ERR(kd);
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) == KDEMO_A_VALUE) {
			n++;
			last = attr;
		}
	}
	if (!n) {
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, KDEMO_A_VALUE);
		NL_SET_ERR_MSG_MOD(info->extack, "no value to add");
		return -EINVAL;
	}
	if (n > KDEMO_BATCH_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, last,
				    "more than KDEMO_BATCH_MAX values");
		return -E2BIG;
	}
	values = kvmalloc_array(n, sizeof(*values), GFP_KERNEL);
	if (!values)
		return -ENOMEM;
	n = 0;
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(attr) == KDEMO_A_VALUE)
			values[n++] = nla_get_s64(attr);
	err = kdemo_add(kd, values, n);
	kvfree(values);
	if (err == -ERANGE)
		NL_SET_ERR_MSG_MOD(info->extack,
				   "the sum would overflow 64 bits; nothing was added");
	return err;
}

static int kdemo_nl_get_sum_doit(struct sk_buff *req, struct genl_info *info)
{
	struct kdemo_dev *kd = kdemo_nl_dev(info);
	struct kdemo_sum s;
	struct sk_buff *skb;
	void *hdr;
	int err;

	if (IS_ERR(kd))
		return PTR_ERR(kd);
	kdemo_read_sum(kd, &s);
	skb = kdemo_nl_reply(info, nla_total_size(sizeof(u32)) +
				   3 * KDEMO_NL_U64_SIZE, &hdr);
	if (!skb)
		return -ENOMEM;
	err = nla_put_u32(skb, KDEMO_A_DEV_INDEX, kdemo_nl_index(kd)) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_SUM, (u64)s.sum) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_COUNT, s.count) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_GENERATION, s.generation);
	return kdemo_nl_send(skb, hdr, info, err);
}

static int kdemo_nl_reset_doit(struct sk_buff *req, struct genl_info *info)
{
	struct kdemo_dev *kd = kdemo_nl_dev(info);

	if (IS_ERR(kd))
		return PTR_ERR(kd);
	return kdemo_reset(kd);
}

#define KDEMO_NL_INFO_SIZE \
	(2 * nla_total_size(sizeof(u32)) + 3 * nla_total_size(KDEMO_NAME_LEN) + \
	 13 * KDEMO_NL_U64_SIZE)

static int kdemo_nl_get_info_doit(struct sk_buff *req, struct genl_info *info)
{
	struct kdemo_dev *kd = kdemo_nl_dev(info);
	struct kdemo_info *i;
	struct sk_buff *skb;
	void *hdr;
	int err;

	if (IS_ERR(kd))
		return PTR_ERR(kd);
	i = kmalloc(sizeof(*i), GFP_KERNEL);
	if (!i)
		return -ENOMEM;
	kdemo_fill_info(kd, i);
	skb = kdemo_nl_reply(info, KDEMO_NL_INFO_SIZE, &hdr);
	if (!skb) {
		kfree(i);
		return -ENOMEM;
	}
	err = nla_put_u32(skb, KDEMO_A_DEV_INDEX, kdemo_nl_index(kd)) ||
	      nla_put_string(skb, KDEMO_A_DRIVER, i->driver) ||
	      nla_put_string(skb, KDEMO_A_VERSION, i->version) ||
	      nla_put_u32(skb, KDEMO_A_ABI, i->abi_version) ||
	      nla_put_string(skb, KDEMO_A_DEV_NAME, i->device) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_MSG_MAX, i->msg_max) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_MSG_LEN, i->msg_len) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_SUM, (u64)i->sum) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_COUNT, i->count) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_GENERATION, i->generation) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_OPENS, i->opens) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_IOCTL_OPS, i->ioctl_ops) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_SYSFS_OPS, i->sysfs_ops) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_PROC_OPS, i->proc_ops) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_NETLINK_OPS, i->netlink_ops) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_URING_OPS, i->uring_ops) ||
	      kdemo_nl_put_u64(skb, KDEMO_A_RANDOM, i->random);
	kfree(i);
	return kdemo_nl_send(skb, hdr, info, err);
}

/*
 * The state of one moment as a change-ntf message: the message goes along
 * when it changed since the event sent last (@since) and fits an attribute.
 */
static struct sk_buff *kdemo_nl_event(struct kdemo_dev *kd, u64 since,
				      u64 *generation)
{
	struct kdemo_message *m;
	struct kdemo_state st;
	unsigned int changed = 0;
	struct sk_buff *skb = NULL;
	size_t len, size;
	bool with_msg;
	void *hdr;

	m = kdemo_state_get(kd, &st);
	*generation = st.generation;
	if (st.generation <= since)
		goto out;	/* announced already */
	if (st.msg_generation > since)
		changed |= KDEMO_CHANGE_MSG;
	if (st.acc_generation > since)
		changed |= KDEMO_CHANGE_ACC;
	len = m ? m->len : 0;
	with_msg = (changed & KDEMO_CHANGE_MSG) && len <= KDEMO_MSG_NL_MAX;
	size = 2 * nla_total_size(sizeof(u32)) + 4 * KDEMO_NL_U64_SIZE +
	       (with_msg ? nla_total_size(len) : 0);
	skb = genlmsg_new(size, GFP_KERNEL);
	if (!skb)
		goto out;
	hdr = genlmsg_put(skb, 0, 0, &kdemo_nl_family, 0, KDEMO_CMD_CHANGE_NTF);
	if (!hdr ||
	    nla_put_u32(skb, KDEMO_A_DEV_INDEX, kdemo_nl_index(kd)) ||
	    kdemo_nl_put_u64(skb, KDEMO_A_GENERATION, st.generation) ||
	    nla_put_u32(skb, KDEMO_A_CHANGED, changed) ||
	    kdemo_nl_put_u64(skb, KDEMO_A_SUM, (u64)st.sum) ||
	    kdemo_nl_put_u64(skb, KDEMO_A_COUNT, st.count) ||
	    kdemo_nl_put_u64(skb, KDEMO_A_MSG_LEN, len) ||
	    (with_msg && nla_put(skb, KDEMO_A_MSG, len, m ? m->data : ""))) {
		nlmsg_free(skb);
		skb = NULL;
		goto out;
	}
	genlmsg_end(skb, hdr);
out:
	kdemo_msg_put(kd, m);
	return skb;
}

/**
 * kdemo_nl_notify - announce the device's current state to the monitor group
 * @kd: the device, whose state just changed
 *
 * Called by the core after every change, without kd->lock. Does nothing
 * unless the monitor group has listeners. Sleeps (GFP_KERNEL, nl_lock).
 */
void kdemo_nl_notify(struct kdemo_dev *kd)
{
	struct sk_buff *skb;
	u64 generation;

	if (!READ_ONCE(kdemo_nl_live) ||
	    !genl_has_listeners(&kdemo_nl_family, &init_net,
				KDEMO_NL_MCGRP_MONITOR))
		return;
	mutex_lock(&kd->nl_lock);
	if (kdemo_nl_live) {
		skb = kdemo_nl_event(kd, kd->nl_sent, &generation);
		if (skb) {
			kd->nl_sent = generation;
			genlmsg_multicast(&kdemo_nl_family, skb, 0,
					  KDEMO_NL_MCGRP_MONITOR, GFP_KERNEL);
		}
	}
	mutex_unlock(&kd->nl_lock);
}

static const struct genl_ops kdemo_nl_ops[] = {
	{
		.cmd = KDEMO_CMD_GET_DEV,
		.doit = kdemo_nl_get_dev_doit,
		.dumpit = kdemo_nl_get_dev_dumpit,
	},
	{
		.cmd = KDEMO_CMD_GET_MSG,
		.doit = kdemo_nl_get_msg_doit,
	},
	{
		.cmd = KDEMO_CMD_SET_MSG,
		.doit = kdemo_nl_set_msg_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KDEMO_CMD_ADD,
		.doit = kdemo_nl_add_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KDEMO_CMD_GET_SUM,
		.doit = kdemo_nl_get_sum_doit,
	},
	{
		.cmd = KDEMO_CMD_RESET,
		.doit = kdemo_nl_reset_doit,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KDEMO_CMD_GET_INFO,
		.doit = kdemo_nl_get_info_doit,
	},
};

static struct genl_family kdemo_nl_family __ro_after_init = {
	.name = KDEMO_FAMILY_NAME,
	.version = KDEMO_FAMILY_VERSION,
	.maxattr = KDEMO_A_MAX,
	.policy = kdemo_nl_policy,
	.module = THIS_MODULE,
	.ops = kdemo_nl_ops,
	.n_ops = ARRAY_SIZE(kdemo_nl_ops),
	/* strict validation of every command, dumps included */
	.resv_start_op = KDEMO_CMD_MAX + 1,
	.mcgrps = kdemo_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kdemo_nl_mcgrps),
	.parallel_ops = true,
};

/**
 * kdemo_nl_init - register the family, once every device exists
 *
 * Return: 0 or the errno of genl_register_family().
 */
int kdemo_nl_init(void)
{
	int ret;

	/*
	 * The spec's constants are the limits of the module and of netlink:
	 * the highest device index is KDEMO_NDEVS_MAX - 1, and nla_len (u16)
	 * counts the attribute header too.
	 */
	BUILD_BUG_ON(KDEMO_NDEVS_MAX - KDEMO_DEV_INDEX_MAX != 1);
	BUILD_BUG_ON(U16_MAX - NLA_HDRLEN - KDEMO_MSG_NL_MAX != 0);
	ret = genl_register_family(&kdemo_nl_family);

	if (!ret)
		WRITE_ONCE(kdemo_nl_live, true);
	return ret;
}

/**
 * kdemo_nl_exit - unregister the family, before any device goes
 *
 * Notifications stop first: once every device's nl_lock has been taken
 * after kdemo_nl_live was cleared, no sender can reach the family any more.
 * genl_unregister_family() then waits for the requests in flight and drops
 * every subscription of the monitor group.
 */
void kdemo_nl_exit(void)
{
	struct kdemo_dev *kd;
	unsigned int i;

	WRITE_ONCE(kdemo_nl_live, false);
	for (i = 0; (kd = kdemo_lookup(i)); i++) {
		mutex_lock(&kd->nl_lock);
		mutex_unlock(&kd->nl_lock);
	}
	genl_unregister_family(&kdemo_nl_family);
}
