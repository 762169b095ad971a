/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * Small helpers the tools share.
 */
#include <errno.h>
#include <stdlib.h>

#include "zc.h"

/*
 * A byte count as tools take it: a number (C notation: 0x.. is hex) with
 * an optional k, m or g suffix, powers of 1024.  Return: 0, or -EINVAL for
 * anything else, or 0.
 */
int zc_parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	switch (*end) {
	case 'g':
		v <<= 10;
		/* fall through */
	case 'm':
		v <<= 10;
		/* fall through */
	case 'k':
		v <<= 10;
		end++;
		break;
	}
	if (errno || end == s || *end || !v)
		return -EINVAL;
	*out = v;
	return 0;
}
