/*
 * sysexit - names of the sysexits.h codes, for log lines and messages.
 *
 * Errors in this project travel as a sysexits code (int, EX_OK on success)
 * plus a message string that the callee allocates and the caller owns and
 * frees (msmtp's errstr idiom). This module only names the codes.
 */
#ifndef UTIL_SYSEXIT_H
#define UTIL_SYSEXIT_H

#include <sysexits.h>

/* sysexit_name - "EX_TEMPFAIL" for 75; "EX_UNKNOWN" for a code not listed. */
const char *sysexit_name(int code);

#endif
