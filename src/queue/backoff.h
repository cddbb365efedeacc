/*
 * backoff - the retry policy for deferred mail, as pure functions.
 *
 * The n-th retry of a mail waits min * 2^(n-1) seconds, capped at max,
 * scaled by a jitter factor in [0.8, 1.2) so that mails deferred
 * together do not all come back in the same second. Only attempts that
 * reached the server count (an offline laptop burns no attempts), and a
 * mail that has been reaching the server without success for longer
 * than its lifetime fails for good. Time and randomness are arguments,
 * so tests need no clock.
 */
#ifndef QUEUE_BACKOFF_H
#define QUEUE_BACKOFF_H

#include <time.h>

struct backoff_policy {
	int	min;		/* seconds before the first retry */
	int	max;		/* the longest wait */
	int	lifetime;	/* seconds of failing against the server */
};

/*
 * backoff_next - when to try again after the attempts-th attempt that
 * reached the server (0: none did yet, so wait min). rnd is any random
 * 32-bit value; it picks the jitter.
 */
time_t backoff_next(const struct backoff_policy *p, int attempts,
    time_t now, unsigned rnd);
/* backoff_expired - whether a mail first refused at first_attempt
 * (0: never reached the server) has run out of time at now. */
int backoff_expired(const struct backoff_policy *p, time_t first_attempt,
    time_t now);

#endif
