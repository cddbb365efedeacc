/*
 * msmtpd - the minimal SMTP server in front of the spool. Not built yet.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("msmtpd version %s\n", VERSION);
		return EX_OK;
	}
	fprintf(stderr, "msmtpd: not implemented yet\n");
	return EX_UNAVAILABLE;
}
