/*
 * configure - msmtp --configure=ADDRESS; see configure.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "account/conf.h"
#include "client/configure.h"
#include "util/srvrec.h"
#include "util/xalloc.h"

#define FAILED	"automatic configuration based on SRV records failed: "

/* The two halves of the address, newly allocated. */
struct mailbox {
	char	*user;
	char	*domain;
};

/* The server found: its SRV record, and how TLS starts there. */
struct server {
	struct srvrec	 rec;
	int		 starttls;
};

static int has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* split_address - address at its last '@', both sides non-empty. */
static int split_address(const char *address, struct mailbox *mb,
    char **errstr)
{
	const char *at = strrchr(address, '@');

	if (at == NULL || at == address || at[1] == '\0' ||
	    has_control(address)) {
		*errstr = xstrdup(FAILED "invalid mail address");
		return EX_DATAERR;
	}
	mb->user = xstrndup(address, (size_t)(at - address));
	mb->domain = xstrdup(at + 1);
	return EX_OK;
}

/* find_server - implicit TLS's record first (RFC 8314), then STARTTLS's. */
static int find_server(const char *domain, struct server *sv, char **errstr)
{
	char *implicit = xasprintf("_submissions._tcp.%s", domain);
	char *starttls = xasprintf("_submission._tcp.%s", domain);
	int rc = EX_OK;

	if (srvrec_lookup(implicit, &sv->rec) == EX_OK) {
		sv->starttls = 0;
	} else if (srvrec_lookup(starttls, &sv->rec) == EX_OK) {
		sv->starttls = 1;
	} else {
		*errstr = xasprintf(FAILED "no SRV records for %s or %s",
		    implicit, starttls);
		rc = EX_NOHOST;
	}
	free(implicit);
	free(starttls);
	return rc;
}

/* in_domain - host is the domain or a name under it, case aside. */
static int in_domain(const char *host, const char *domain)
{
	size_t h = strlen(host), d = strlen(domain);

	if (h < d || strcasecmp(host + h - d, domain) != 0)
		return 0;
	return h == d || host[h - d - 1] == '.';
}

/* user_file - the file to name: -C's, else the one --version names. */
static char *user_file(const struct cmdline *cl)
{
	char *sysfile = NULL, *userfile = NULL;

	if (cl->conffile != NULL)
		return xstrdup(cl->conffile);
	conf_default_files(&sysfile, &userfile);
	free(sysfile);
	return userfile;
}

static void print_advice(const char *file, const struct mailbox *mb,
    const struct server *sv)
{
	printf("# - copy this to your configuration file %s\n", file);
	if (!in_domain(sv->rec.host, mb->domain))
		printf("# - warning: the host does not match the mail "
		    "domain; please check\n");
	printf("# - add your password to the key ring:\n"
	    "#   secret-tool store --label=msmtp host %s service smtp "
	    "user %s\n", sv->rec.host, mb->user);
}

static void print_account(const char *address, const struct mailbox *mb,
    const struct server *sv)
{
	printf("account %s\n"
	    "host %s\n"
	    "port %u\n"
	    "tls on\n"
	    "tls_starttls %s\n"
	    "auth on\n"
	    "user %s\n"
	    "from %s\n",
	    address, sv->rec.host, sv->rec.port,
	    sv->starttls ? "on" : "off", mb->user, address);
}

int configure_run(const struct cmdline *cl, char **errstr)
{
	struct mailbox mb = { NULL, NULL };
	struct server sv;
	char *file;
	int rc;

	rc = split_address(cl->configure, &mb, errstr);
	if (rc == EX_OK)
		rc = find_server(mb.domain, &sv, errstr);
	if (rc == EX_OK) {
		file = user_file(cl);
		print_advice(file, &mb, &sv);
		print_account(cl->configure, &mb, &sv);
		free(file);
		free(sv.rec.host);
	}
	free(mb.user);
	free(mb.domain);
	return rc;
}
