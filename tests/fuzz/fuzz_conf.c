/*
 * fuzz_conf - msmtprc files: the reader, then every account's snapshot
 * written and read back as the spool does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "account/conf.h"
#include "account/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_conf_XXXXXX";
	struct conf c;
	struct buf dump;
	char *errstr = NULL;
	size_t i;
	int fd;

	/* eval runs shell commands: keep the fuzzer away from them. */
	for (i = 0; i + 4 <= size; i++)
		if (data[i] == 'e' && data[i + 1] == 'v' && data[i + 2] == 'a' &&
		    data[i + 3] == 'l')
			return 0;
	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	conf_init(&c);
	if (conf_load(NULL, path, 1, 0, &c, &errstr) == 0) {
		for (i = 0; i < c.nacc; i++) {
			struct account *a = account_new(NULL);

			buf_init(&dump);
			snapshot_dump(c.acc[i], &dump);
			if (snapshot_undump(dump.data, a, &errstr) != 0)
				abort();	/* a dump must read back */
			buf_free(&dump);
			account_free(a);
		}
	}
	free(errstr);
	conf_free(&c);
	unlink(path);
	return 0;
}
