/*
 * msmtpq - msmtp-queue --import-msmtpq: msmtpq's queue moved into the
 * spool.
 *
 * msmtpq (the script Debian's msmtp package ships in
 * /usr/libexec/msmtp/msmtpq) keeps each mail it could not send as two
 * files in its queue directory ($MSMTPQ_Q, else $Q, else
 * ~/.msmtp.queue): ID.mail, the mail as msmtp would have read it, and
 * ID.msmtp, msmtp's arguments as `echo "$@"` wrote them, one line.
 * msmtpq replays them as `msmtp $(< ID.msmtp) < ID.mail`; the import
 * splits the line the same way (at blanks, without globbing) and runs
 * msmtp itself with them to spool the mail (runner/frontend.h), so the
 * account, envelope and headers are the ones msmtp would have used. The
 * msmtp-queue -C file applies when the arguments name none.
 *
 * Each mail is one spool transaction; its two files are removed only
 * after the commit (never with keep). A crash between the commit and
 * the removal leaves the pair, so importing again would spool it twice.
 * A pair that cannot be understood (a .mail without its .msmtp or the
 * reverse, arguments msmtp refuses, an account that cannot be chosen,
 * another file) stays where it is and is reported on stderr, then
 * counted. msmtpq's own lock (the directory DIR/.lock) is held during
 * the import, so that msmtpq sends none of these mails meanwhile.
 *
 * Returns EX_OK when every mail was imported (or there was none),
 * EX_DATAERR when some file was left, EX_NOINPUT when the directory
 * cannot be read, EX_TEMPFAIL when msmtpq holds its lock, or the
 * spool's code when a mail could not be spooled (the import then stops;
 * what was imported stays imported). *errstr (newly allocated) says
 * why, for every code but EX_DATAERR, whose files were said already.
 */
#ifndef RUNNER_MSMTPQ_H
#define RUNNER_MSMTPQ_H

struct import_opts {
	const char	*dir;		/* NULL: msmtpq's default */
	const char	*conffile;	/* msmtp-queue -C; may be NULL */
	const char	*queue_file;	/* --queue-file; NULL: the account's */
	int		 keep;		/* --keep: leave the originals */
};

int runner_import_msmtpq(const struct import_opts *o, char **errstr);

#endif
