/*
 * fuzz_socks5 - the SOCKS5 reply parsers on arbitrary proxy output.
 *
 * Each parser is given every prefix of the input in a buffer of exactly
 * that size (so that AddressSanitizer sees any read past what arrived),
 * and must be consistent: a prefix that decides (a length or -1) decides
 * the same for the whole input, a length is never more than was given,
 * and a failure always has words. Then the input is fed as conn_socks.c
 * does, a chunk at a time, method reply first and CONNECT reply after;
 * and the CONNECT request is built for a host name taken from the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/socks5.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef long (*parser)(const unsigned char *, size_t, const char **);

/* parse_exact - p's verdict on n bytes held in a buffer of n bytes. */
static long parse_exact(parser p, const uint8_t *data, size_t n)
{
	unsigned char *copy = malloc(n > 0 ? n : 1);
	const char *err = NULL;
	long got;

	if (copy == NULL)
		__builtin_trap();
	memcpy(copy, data, n);
	got = p(copy, n, &err);
	free(copy);
	if (got < -1 || (got > 0 && (size_t)got > n))
		__builtin_trap();
	if (got == -1 && (err == NULL || err[0] == '\0'))
		__builtin_trap();
	return got;
}

/* prefixes - every prefix agrees with the whole, once it decides. */
static void prefixes(parser p, const uint8_t *data, size_t size)
{
	long whole = parse_exact(p, data, size), got;
	size_t k;

	for (k = 0; k < size; k++) {
		got = parse_exact(p, data, k);
		if (got != 0 && got != whole)
			__builtin_trap();
		if (got != 0)
			return;
	}
}

/* as_conn - conn_socks_read()'s loop, the input arriving in chunks. */
static void as_conn(const uint8_t *data, size_t size, size_t chunk)
{
	size_t have = 0, used_total = 0, n;
	int connect_phase = 0;
	long used;

	while (have < size) {
		n = size - have < chunk ? size - have : chunk;
		have += n;
		for (;;) {
			used = parse_exact(connect_phase ? socks5_connect_reply :
			    socks5_method_reply, data + used_total,
			    have - used_total);
			if (used <= 0)
				break;
			used_total += (size_t)used;
			if (connect_phase)
				return;
			connect_phase = 1;
		}
		if (used < 0)
			return;
	}
}

/* request - the CONNECT for a name from the input: 7 bytes around it. */
static void request(const uint8_t *data, size_t size)
{
	char host[300];
	size_t len = size < sizeof(host) - 1 ? size : sizeof(host) - 1;
	struct buf b;
	int port = size > 0 ? data[0] * 256 + (size > 1 ? data[1] : 0) : 0;

	memcpy(host, data, len);
	host[len] = '\0';
	len = strlen(host);
	buf_init(&b);
	if (socks5_connect(&b, host, port) == 0) {
		if (len > 255 || b.len != 7 + len ||
		    (unsigned char)b.data[4] != len ||
		    memcmp(b.data + 5, host, len) != 0)
			__builtin_trap();
	} else if (len <= 255) {
		__builtin_trap();
	}
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk;

	if (size < 1)
		return 0;
	chunk = 1 + data[0] % 16;
	data++;
	size--;
	prefixes(socks5_method_reply, data, size);
	prefixes(socks5_connect_reply, data, size);
	as_conn(data, size, chunk);
	request(data, size);
	return 0;
}
