/*
 * srvrec - one DNS SRV record for a service name; see srvrec.h.
 */
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "util/srvrec.h"
#include "util/xalloc.h"

/* A reply over TCP may be this long (RFC 1035's 16-bit length). */
#define SRV_REPLY_MAX	65535

/* Priority, weight and port come before the target in the record data. */
#define SRV_FIXED	(3 * NS_INT16SZ)

struct candidate {
	unsigned	priority;
	unsigned	weight;
	unsigned	port;
	char		host[NS_MAXDNAME];
};

/*
 * read_record - rr as an SRV record with a target, into *rec; 0 if it is
 * one, -1 if it is another type or class, has no target, or its data is
 * malformed (too short, a target name running out of it).
 */
static int read_record(const ns_msg *msg, const ns_rr *rr,
    struct candidate *rec)
{
	const unsigned char *data = ns_rr_rdata(*rr);
	unsigned len = ns_rr_rdlen(*rr);
	int n;

	if (ns_rr_type(*rr) != ns_t_srv || ns_rr_class(*rr) != ns_c_in)
		return -1;
	if (len <= SRV_FIXED)
		return -1;
	rec->priority = ns_get16(data);
	rec->weight = ns_get16(data + NS_INT16SZ);
	rec->port = ns_get16(data + 2 * NS_INT16SZ);
	n = dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), data + SRV_FIXED,
	    rec->host, sizeof(rec->host));
	if (n < 0 || (unsigned)n > len - SRV_FIXED)
		return -1;
	return rec->host[0] == '\0' ? -1 : 0;	/* "." */
}

/* better - whether rec comes before best in msmtp's order (srvrec.h). */
static int better(const struct candidate *rec, const struct candidate *best)
{
	if (rec->priority != best->priority)
		return rec->priority < best->priority;
	return rec->weight > best->weight;
}

int srvrec_parse(const unsigned char *msg, size_t len, struct srvrec *out)
{
	struct candidate best, rec;
	ns_msg handle;
	ns_rr rr;
	int i, n, found = 0;

	if (len > SRV_REPLY_MAX || ns_initparse(msg, (int)len, &handle) < 0)
		return EX_NOHOST;
	if (ns_msg_getflag(handle, ns_f_rcode) != ns_r_noerror)
		return EX_NOHOST;
	n = ns_msg_count(handle, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(&handle, ns_s_an, i, &rr) < 0 ||
		    read_record(&handle, &rr, &rec) < 0)
			continue;
		if (!found || better(&rec, &best)) {
			best = rec;
			found = 1;
		}
	}
	if (!found)
		return EX_NOHOST;
	out->host = xstrdup(best.host);
	out->port = best.port;
	return EX_OK;
}

int srvrec_lookup(const char *name, struct srvrec *out)
{
	struct __res_state res;
	unsigned char *reply;
	int len, rc = EX_NOHOST;

	memset(&res, 0, sizeof(res));
	if (res_ninit(&res) != 0)
		return EX_NOHOST;
	reply = xmalloc(SRV_REPLY_MAX);
	len = res_nquery(&res, name, ns_c_in, ns_t_srv, reply, SRV_REPLY_MAX);
	res_nclose(&res);
	if (len > 0)
		rc = srvrec_parse(reply, len > SRV_REPLY_MAX ? SRV_REPLY_MAX :
		    (size_t)len, out);
	free(reply);
	return rc;
}
