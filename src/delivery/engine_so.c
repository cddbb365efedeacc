/*
 * engine_so - the table of entry points, msmtp_engine; see engine.h.
 * Linked into msmtp-engine.so, which exports it (engine.map), and into
 * msmtp-queue, which calls it directly; never into msmtp itself.
 */
#include "delivery/engine.h"
#include "delivery/oauth2auth.h"

const struct engine_api msmtp_engine = {
	ENGINE_ABI,
	deliver_now,
	deliver_report_free,
	oauth2_authorize,
};
