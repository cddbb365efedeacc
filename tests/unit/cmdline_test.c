/*
 * cmdline_test - the command-line values that go on an SMTP command line
 * (-f, --rmqs, recipients, --domain and the other msmtprc options) are
 * refused with EX_USAGE when they hold a CR or LF; ordinary ones pass.
 * Which mode several mode options give (msmtp's precedence).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "client/cmdline.h"
#include "unit.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static void test_line_breaks(void)
{
	static const struct {
		const char	*argv[4];
		int		 rc;
		const char	*err;
	} cases[] = {
		{ { "-f", "a@b.example", "c@d.example" }, EX_OK, NULL },
		{ { "--rmqs=@example.org" }, EX_OK, NULL },
		{ { "--domain=client.example", "c@d.example" }, EX_OK, NULL },
		{ { "c@d.example", "e f <g@h.example>" }, EX_OK, NULL },
		{ { "-f", "a@b>\r\nRCPT TO:<x@y", "c@d" }, EX_USAGE,
		    "--from: a@b>\\x0d\\x0aRCPT TO:<x@y: a line break (CR or "
		    "LF) is not allowed there" },
		{ { "--from=a@b\n" }, EX_USAGE,
		    "--from: a@b\\x0a: a line break (CR or LF) is not "
		    "allowed there" },
		{ { "--rmqs=x\rETRN y" }, EX_USAGE,
		    "--rmqs: x\\x0dETRN y: a line break (CR or LF) is not "
		    "allowed there" },
		{ { "c@d", "e@f\r\nRSET" }, EX_USAGE,
		    "recipient e@f\\x0d\\x0aRSET: a line break (CR or LF) is "
		    "not allowed there" },
		{ { "--domain=a\r\nb", "c@d" }, EX_USAGE,
		    "--domain: a\\x0d\\x0ab: a line break (CR or LF) is not "
		    "allowed there" },
		{ { "-F", "Al\nBcc: x@y", "c@d" }, EX_USAGE,
		    "--F: Al\\x0aBcc: x@y: a line break (CR or LF) is not "
		    "allowed there" },
		{ { "--maildomain=a\rb" }, EX_USAGE,
		    "--maildomain: a\\x0db: a line break (CR or LF) is not "
		    "allowed there" },
		/* msmtp's message for other bad arguments, escaped */
		{ { "--port=1\x1b" }, EX_USAGE,
		    "invalid argument 1\\x1b for --port" },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		char *argv[6] = { (char *)"msmtp" };
		struct cmdline cl;
		char *err = NULL;
		int argc = 1, rc;

		while (argc - 1 < 4 && cases[i].argv[argc - 1] != NULL) {
			argv[argc] = (char *)cases[i].argv[argc - 1];
			argc++;
		}
		cmdline_init(&cl);
		rc = cmdline_parse(&cl, argc, argv, &err);
		if (rc != cases[i].rc)
			fprintf(stderr, "case %zu\n", i);
		CHECK_INT(rc, cases[i].rc);
		CHECK_STR(err, cases[i].err);
		free(err);
		cmdline_free(&cl);
	}
}

static void test_modes(void)
{
	static const struct {
		const char	*argv[4];
		enum cl_mode	 mode;
		int		 version, help;
		const char	*configure;
	} cases[] = {
		{ { "bob@example.net" }, MODE_SENDMAIL, 0, 0, NULL },
		{ { "--help", "--version" }, MODE_SENDMAIL, 1, 1, NULL },
		{ { "--version", "-S" }, MODE_SERVERINFO, 1, 0, NULL },
		{ { "-q", "--rmqs=x" }, MODE_RMQS, 0, 0, NULL },
		{ { "-S", "--configure=a@b" }, MODE_CONFIGURE, 0, 0, "a@b" },
		{ { "--configure=a@b", "-S" }, MODE_CONFIGURE, 0, 0, "a@b" },
		{ { "--configure=a@b", "--rmqs=x" }, MODE_CONFIGURE, 0, 0,
		    "a@b" },
		{ { "--configure=a@b", "-q", "-bp" }, MODE_CONFIGURE, 0, 0,
		    "a@b" },
		{ { "--configure=a@b", "--configure", "c@d" }, MODE_CONFIGURE,
		    0, 0, "c@d" },
		{ { "--help", "--configure=a@b" }, MODE_CONFIGURE, 0, 1,
		    "a@b" },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		char *argv[6] = { (char *)"msmtp" };
		struct cmdline cl;
		char *err = NULL;
		int argc = 1;

		while (argc - 1 < 4 && cases[i].argv[argc - 1] != NULL) {
			argv[argc] = (char *)cases[i].argv[argc - 1];
			argc++;
		}
		cmdline_init(&cl);
		CHECK_INT(cmdline_parse(&cl, argc, argv, &err), EX_OK);
		if (cl.mode != cases[i].mode)
			fprintf(stderr, "case %zu\n", i);
		CHECK_INT(cl.mode, cases[i].mode);
		CHECK_INT(cl.version, cases[i].version);
		CHECK_INT(cl.help, cases[i].help);
		CHECK_STR(cl.configure, cases[i].configure);
		free(err);
		cmdline_free(&cl);
	}
}

UNIT_MAIN(UNIT_CASE(test_line_breaks), UNIT_CASE(test_modes))
