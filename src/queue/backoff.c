/*
 * backoff - the retry policy; see backoff.h.
 */
#include "queue/backoff.h"

time_t backoff_next(const struct backoff_policy *p, int attempts,
    time_t now, unsigned rnd)
{
	long long delay = p->min;
	int i;

	for (i = 1; i < attempts && delay < p->max; i++)
		delay *= 2;
	if (delay > p->max)
		delay = p->max;
	/* Jitter in [0.8, 1.2): rnd's low 16 bits as a fraction. */
	delay = delay * (8000 + (long long)(rnd & 0xffff) * 4000 / 65536) /
	    10000;
	if (delay < 1)
		delay = 1;
	return now + (time_t)delay;
}

int backoff_expired(const struct backoff_policy *p, time_t first_attempt,
    time_t now)
{
	return first_attempt != 0 && now - first_attempt > p->lifetime;
}
