/*
 * msmtp-queue - the queue runner. Until the spool lands it only says so.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("msmtp-queue version %s\n", VERSION);
		return EX_OK;
	}
	fprintf(stderr, "msmtp-queue: the queue runner is not implemented "
	    "yet; send with 'msmtp --queue=off'\n");
	return EX_UNAVAILABLE;
}
