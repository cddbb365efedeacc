/*
 * json - the members of one flat JSON object, as OAuth2 endpoints answer
 * (RFC 6749 §5.1/§5.2, RFC 8628 §3.2): a string or a number by name.
 *
 * json_string() gives the named member's string value, unescaped (\uXXXX
 * as UTF-8, surrogate pairs joined), newly allocated; json_long() the
 * named member's integer value (a string of digits counts too: some
 * servers quote expires_in). Both look at the top-level object only and
 * give NULL / -1 when the text is not an object, the member is missing
 * or has another type. Nested values are skipped, bounded by the text.
 */
#ifndef UTIL_JSON_H
#define UTIL_JSON_H

char *json_string(const char *text, const char *name);
long json_long(const char *text, const char *name);

#endif
