/*
 * idn - host names in A-label form for the resolver; see idn.h.
 */
#include "util/idn.h"

#include <idn2.h>
#include <netdb.h>
#include <string.h>

#include "util/xalloc.h"

int idn_is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 127)
			return 0;
	return 1;
}

const char *idn_error(void)
{
	return gai_strerror(EAI_IDN_ENCODE);
}

char *idn_host_to_ascii(const char *host)
{
	uint8_t *out = NULL;
	char *ascii;
	int rc;

	if (idn_is_ascii(host))
		return xstrdup(host);
	/* glibc refuses these before libidn2 sees them. */
	if (strchr(host, '\\') != NULL)
		return NULL;
	rc = idn2_lookup_u8((const uint8_t *)host, &out,
	    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc == IDN2_MALLOC)
		xalloc_failed();
	if (rc != IDN2_OK)
		return NULL;
	ascii = xstrdup((const char *)out);
	idn2_free(out);
	return ascii;
}
