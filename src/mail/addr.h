/*
 * addr - the bare addresses (local@domain) in an address-list header value.
 *
 * This is msmtp's own address scanner, reproduced quirk for quirk because
 * -t and the command-line recipients must give exactly the list msmtp
 * would: display names, quoted strings with backslash escapes, comments
 * (nested, with msmtp's own idea of nesting), angle addresses, groups
 * ("name: a, b;" -- the group name is not an address), empty groups
 * ("undisclosed-recipients:;" gives nothing) and folded lines are handled
 * the msmtp way. It is not an RFC 5322 validator and never rejects input:
 * a display-name word is dropped when another word follows it, "a@b c@d"
 * gives only c@d, an unterminated "<x" gives x, and inside an address
 * every control or white-space byte becomes '_'. 8-bit bytes pass
 * through unchanged.
 *
 * Two interfaces:
 *
 *   addr_list_parse() takes one complete header value (the text after
 *   the colon, folding newlines included) and appends each address to
 *   out. It cannot fail today; it returns EX_OK and leaves *errstr alone,
 *   and keeps the project's error contract (a sysexits code, and a new
 *   message for the caller to free only on error) so callers need not
 *   change if it ever learns to.
 *
 *   struct addr_scan is the incremental scanner under it, for the header
 *   reader: feed it a header value byte by byte or in pieces (a '\n' must
 *   be followed by the ' ' or '\t' of a continuation line), call
 *   addr_scan_end() where the header ends. As in msmtp, an unclosed
 *   comment's depth survives into the next address header unless
 *   addr_scan_fresh_line() is called for a line of some other header.
 *
 * The scanner owns its buffer (addr_scan_free()); every address goes into
 * the caller's strlist, which owns it from then on.
 */
#ifndef MAIL_ADDR_H
#define MAIL_ADDR_H

#include <stddef.h>

#include "util/buf.h"
#include "util/strlist.h"

struct addr_scan {
	int		 state;		/* enum in addr.c */
	int		 esc_ret;	/* state to resume after a '\\' pair */
	int		 cmt_ret;	/* state to resume after a comment */
	int		 fold_ret;	/* state to resume after a folding */
	int		 depth;		/* comment nesting, msmtp's count */
	struct buf	 cur;		/* the address so far; empty: none */
};

void addr_scan_init(struct addr_scan *s);
void addr_scan_free(struct addr_scan *s);
/* addr_scan_feed - scan len bytes; completed addresses go to out. */
void addr_scan_feed(struct addr_scan *s, const char *p, size_t len,
    struct strlist *out);
/* addr_scan_pending - an address is being collected. */
int addr_scan_pending(const struct addr_scan *s);
/* addr_scan_end - the header ends: complete the pending address, if any. */
void addr_scan_end(struct addr_scan *s, struct strlist *out);
/* addr_scan_fresh_line - a line of another header: forget comment depth. */
void addr_scan_fresh_line(struct addr_scan *s);

int addr_list_parse(const char *value, struct strlist *out, char **errstr);

#endif
