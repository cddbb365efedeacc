/*
 * manage - msmtp-queue's commands that change or show single mails:
 * --hold, --release, --retry, --delete, --purge, --show; see runner.h.
 */
#include "runner/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/escape.h"
#include "util/xalloc.h"

static const char *const action_names[] = {
	"held", "released", "queued for a retry", "deleted"
};

/* manage_one - the action on id (NULL: all) in one spool; *found: mails
 * in a state for it, *count: mails changed. */
static int manage_one(struct spool *sp, enum spool_action action,
    const char *id, const char *account, int *found, int *count,
    char **errstr)
{
	int rc;

	if (action == SPOOL_RELEASE || action == SPOOL_RETRY)
		return runner_renew(sp, action, id, account, found, count,
		    errstr);
	rc = spool_manage(sp, action, id, account, time(NULL), count, errstr);
	*found = *count;
	return rc;
}

/* note_state - the state of the mail walked (spool_walk()). */
static void note_state(const struct spool_entry *e, void *arg)
{
	snprintf(arg, 16, "%s", e->state);
}

/* tell_unchanged - why the mail id was not changed: there is no such
 * mail (in any spool), or it is in a state the action does not apply
 * to. */
static void tell_unchanged(struct spool *const *sps, size_t nsp,
    const char *id)
{
	char state[16] = "", *err = NULL;
	size_t j;

	for (j = 0; state[0] == '\0' && j < nsp; j++) {
		if (spool_walk(sps[j], id, NULL, note_state, state, &err) !=
		    EX_OK) {
			free(err);
			err = NULL;
		}
	}
	if (state[0] == '\0')
		fprintf(stderr, "msmtp-queue: %s: no such mail\n", id);
	else
		fprintf(stderr, "msmtp-queue: %s: the mail is %s, which this "
		    "does not apply to\n", id, state);
}

int runner_manage(struct spool *const *sps, size_t nsp,
    enum spool_action action, const struct strlist *ids,
    const char *account, char **errstr)
{
	size_t i, j;
	int rc = EX_OK, count, found, one, seen, total = 0, missed = 0;

	for (i = 0; rc == EX_OK && i < ids->n; i++) {
		const char *id = strcmp(ids->v[i], "ALL") == 0 ? NULL :
		    ids->v[i];

		/* An id is in whichever spool holds it. */
		for (count = found = 0, j = 0; rc == EX_OK && j < nsp; j++) {
			rc = manage_one(sps[j], action, id, account, &seen,
			    &one, errstr);
			count += rc == EX_OK ? one : 0;
			found += rc == EX_OK ? seen : 0;
		}
		if (rc == EX_OK && found == 0 && id != NULL) {
			tell_unchanged(sps, nsp, id);
			missed = 1;
		}
		total += count;
	}
	if (rc == EX_OK)
		printf("%d mail%s %s.\n", total, total == 1 ? "" : "s",
		    action_names[action]);
	if (rc == EX_OK && (total == 0 || missed))
		rc = EX_NOINPUT;
	return rc;
}

/* confirm - ask on a terminal; without one, only --yes may purge. */
static int confirm(const char *question)
{
	char answer[16];

	if (!isatty(STDIN_FILENO))
		return 0;
	fprintf(stderr, "%s [y/N] ", question);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}

int runner_purge(struct spool *const *sps, size_t nsp, const char *account,
    int yes, char **errstr)
{
	struct strlist all;
	int rc;

	if (!yes && !confirm("Delete every mail in the queue?")) {
		*errstr = xstrdup("not purging: confirm on a terminal, or "
		    "give --yes");
		return EX_USAGE;
	}
	strlist_init(&all);
	strlist_add(&all, "ALL");
	rc = runner_manage(sps, nsp, SPOOL_DELETE, &all, account, errstr);
	strlist_free(&all);
	return rc == EX_NOINPUT ? EX_OK : rc;
}

/* put_block - the header block for a terminal: its control characters
 * escaped but for line ends and tabs (util/escape.h). */
static void put_block(const struct buf *block)
{
	struct buf shown;

	buf_init(&shown);
	escape_text(&shown, block->data, block->len,
	    ESCAPE_KEEP_LF | ESCAPE_KEEP_TAB);
	fwrite(shown.data, 1, shown.len, stdout);
	buf_free(&shown);
}

/* count_entry - print the entry as --list does, and count it. */
static void count_entry(const struct spool_entry *e, void *arg)
{
	runner_print_entry(e, NULL);
	(*(int *)arg)++;
}

/* show_headers - the mail's header block, as stored (escaped), or with
 * raw the whole mail as it is. */
static int show_headers(struct spool *sp, const char *id, int raw,
    char **errstr)
{
	struct spool_body *b;
	struct buf block;
	char buf[8192], *end;
	ssize_t n;
	int rc, at_bol = 1;

	rc = spool_body_open(sp, id, &b, errstr);
	if (rc != EX_OK)
		return rc;
	buf_init(&block);
	while ((n = spool_body_read(b, buf, sizeof(buf), errstr)) > 0) {
		if (raw) {
			fwrite(buf, 1, (size_t)n, stdout);
			continue;
		}
		/* Up to the empty line that ends the header block. */
		end = at_bol && buf[0] == '\n' ? buf :
		    memmem(buf, (size_t)n, "\n\n", 2);
		if (end != NULL) {
			buf_append(&block, buf, (size_t)(end - buf) + 1);
			break;
		}
		buf_append(&block, buf, (size_t)n);
		at_bol = buf[n - 1] == '\n';
	}
	spool_body_close(b);
	put_block(&block);
	buf_free(&block);
	return n < 0 ? EX_IOERR : EX_OK;
}

/* show_entry - the mail as --list prints it; EX_NOINPUT if none. */
static int show_entry(struct spool *sp, const char *id, char **errstr)
{
	int found = 0, rc;

	rc = spool_walk(sp, id, NULL, count_entry, &found, errstr);
	if (rc == EX_OK && found == 0) {
		*errstr = xasprintf("no mail %s in the queue", id);
		return EX_NOINPUT;
	}
	return rc;
}

int runner_show(struct spool *sp, const char *id, int raw, int readable,
    char **errstr)
{
	char *json = NULL;
	int rc;

	if (!raw && readable) {
		rc = show_entry(sp, id, errstr);
		if (rc == EX_OK)
			putchar('\n');
		if (rc == EX_OK)
			rc = runner_show_settings(sp, id, errstr);
		if (rc != EX_OK)
			return rc;
	} else if (!raw) {
		rc = spool_json(sp, id, NULL, &json, errstr);
		if (rc != EX_OK)
			return rc;
		if (strcmp(json, "[]") == 0) {
			free(json);
			*errstr = xasprintf("no mail %s in the queue", id);
			return EX_NOINPUT;
		}
		printf("%s\n\n", json);
		free(json);
		rc = runner_show_settings(sp, id, errstr);
		if (rc != EX_OK)
			return rc;
	}
	return show_headers(sp, id, raw, errstr);
}
