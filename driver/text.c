// SPDX-License-Identifier: GPL-2.0
/*
 * kdemo - the text conventions that sysfs and procfs share
 *
 * Numbers are decimal signed 64-bit with an optional sign, separated by
 * spaces, tabs or newlines. Any other token is EINVAL, a number outside the
 * 64-bit range ERANGE; a write without any number is EINVAL, one with more
 * than KDEMO_BATCH_MAX numbers E2BIG. Nothing is added unless the whole
 * write parses. A write may end with one '\n'; a read ends with one '\n'.
 */
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "internal.h"

static bool kdemo_text_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Parse the token @p[0..@len) (len >= 1) as a decimal signed 64-bit number. */
static int kdemo_text_parse_s64(const char *p, size_t len, s64 *value)
{
	bool neg = p[0] == '-';
	size_t i = (p[0] == '-' || p[0] == '+') ? 1 : 0;
	u64 limit = neg ? (u64)S64_MAX + 1 : S64_MAX;
	u64 acc = 0;
	bool range = false;

	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		unsigned int digit = p[i] - '0';

		if (digit > 9)
			return -EINVAL;
		if (acc > (limit - digit) / 10)
			range = true;	/* keep going: a later bad char is EINVAL */
		else
			acc = acc * 10 + digit;
	}
	if (range)
		return -ERANGE;
	*value = neg ? (s64)(0 - acc) : (s64)acc;
	return 0;
}

/*
 * Parse every number of @buf into @values (which may be NULL to only check
 * and count them). Returns how many there are, or a negative errno.
 */
static int kdemo_text_parse_values(const char *buf, size_t len, s64 *values)
{
	size_t i = 0, start;
	int n = 0, ret;
	s64 value;

	while (i < len) {
		if (kdemo_text_is_space(buf[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && !kdemo_text_is_space(buf[i]))
			i++;
		ret = kdemo_text_parse_s64(buf + start, i - start, &value);
		if (ret)
			return ret;
		if (n == KDEMO_BATCH_MAX)
			return -E2BIG;
		if (values)
			values[n] = value;
		n++;
	}
	return n;
}

/**
 * kdemo_text_add - add the numbers written to a text file
 * @kd: the device
 * @buf: the text
 * @len: its length
 *
 * Return: 0, -EINVAL (a token is not a number, or there is none), -ERANGE
 * (a number or a running sum out of range), -E2BIG (more than
 * KDEMO_BATCH_MAX numbers), -ENOMEM or -EINTR. Nothing is added on error.
 */
int kdemo_text_add(struct kdemo_dev *kd, const char *buf, size_t len)
{
	s64 small[8], *values = small;
	int n, ret;

	n = kdemo_text_parse_values(buf, len, NULL);
	if (n < 0)
		return n;
	if (!n)
		return -EINVAL;
	if ((size_t)n > ARRAY_SIZE(small)) {
		values = kvmalloc_array(n, sizeof(*values),
					GFP_KERNEL_ACCOUNT);
		if (!values)
			return -ENOMEM;
	}
	kdemo_text_parse_values(buf, len, values);

	ret = kdemo_add(kd, values, n);
	if (values != small)
		kvfree(values);
	return ret;
}

/**
 * kdemo_text_reset - reset the accumulator if @buf says "1"
 * @kd: the device
 * @buf: the text: "1", optionally followed by a newline
 * @len: its length
 *
 * Return: 0, -EINVAL for any other text, or -EINTR.
 */
int kdemo_text_reset(struct kdemo_dev *kd, const char *buf, size_t len)
{
	if (len && buf[len - 1] == '\n')
		len--;
	if (len != 1 || buf[0] != '1')
		return -EINVAL;
	return kdemo_reset(kd);
}

/**
 * kdemo_text_read_msg - read (part of) the message followed by one newline
 * @kd: the device
 * @buf: where to put it
 * @off: offset in the text to start at
 * @count: room in @buf
 * @max: the longest text (message and newline) the caller can carry
 *
 * Return: the number of bytes written (0 at or past the end of the text),
 * or -ERANGE if the text is longer than @max.
 */
ssize_t kdemo_text_read_msg(struct kdemo_dev *kd, char *buf, loff_t off,
			    size_t count, size_t max)
{
	struct kdemo_message *m = kdemo_msg_get(kd, NULL);
	size_t len = m ? m->len : 0;
	ssize_t ret = 0;

	if (len + 1 > max) {
		ret = -ERANGE;
	} else if (off < len + 1) {
		ret = min_t(size_t, count, len + 1 - off);
		if (off < len)
			memcpy(buf, m->data + off, min_t(size_t, ret, len - off));
		if (off + ret == len + 1)
			buf[ret - 1] = '\n';
	}
	kdemo_msg_put(kd, m);
	return ret;
}
