/*
 * engine_so - the table msmtp-engine.so exports; see engine.h.
 * Linked into the shared object only.
 */
#include "delivery/engine.h"

extern const struct engine_api msmtp_engine;

const struct engine_api msmtp_engine = {
	ENGINE_ABI,
	deliver_now,
	deliver_report_free,
};
