/*
 * eyeballs - the schedule of a Happy Eyeballs connect (RFC 8305): in
 * which order a conn tries the resolved addresses, and how long it lets
 * one attempt run alone before starting the next in parallel. Pure
 * logic, no I/O: conn_race.c carries it out.
 *
 * The order (RFC 8305 §4): IPv6 first, then the families alternate
 * (IPv6, IPv4, IPv6, ...), each family's addresses in the order the
 * resolver gave them (RFC 6724, gai.conf); when one family runs out the
 * other's remaining addresses follow. Addresses of other families (none
 * in practice: the lookup asks for streams over IP) go last, in order.
 */
#ifndef SMTP_EYEBALLS_H
#define SMTP_EYEBALLS_H

#include <stddef.h>
#include <netdb.h>

/*
 * The Connection Attempt Delay (RFC 8305 §5): 250 ms, the RFC's default,
 * between its recommended bounds of 100 ms and 2 s. An attempt that
 * fails before the delay is over starts the next one at once.
 */
#define EYEBALLS_ATTEMPT_DELAY_MS 250

/* eyeballs_count - the number of addresses in list. */
size_t eyeballs_count(const struct addrinfo *list);

/* eyeballs_order - fill out[0..n) with the addresses of list in the
 * order they are tried; out has room for eyeballs_count(list) pointers,
 * which point into list (owned by the caller). Returns n, that count. */
size_t eyeballs_order(const struct addrinfo *list,
    const struct addrinfo **out);

#endif
