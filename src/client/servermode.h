/*
 * servermode - msmtp's two modes that talk to the server without a mail:
 * --serverinfo (-S) prints what the server offers, and --rmqs=ARG sends
 * ETRN ARG (Remote Message Queue Starting, RFC 1985).
 *
 * The account is chosen as in sendmail mode (-a, -f, "default", EMAIL and
 * SMTPSERVER, or --host with command-line settings only) and checked
 * without the sendmail-mode checks (no envelope-from needed). With auth
 * on, passwordeval runs before anything is printed, as in msmtp. -P
 * prints the configuration (with "RMQS argument = ARG") and stops; -d
 * prints it and then the dialogue.
 *
 * Both modes run in the delivery engine (engine.h, deliver.h kinds), on
 * the same session path as a mail: TLS as configured; --rmqs also
 * authenticates, --serverinfo never does. Nothing is logged.
 *
 * servermode_run() returns msmtp's exit code. Errors before the session
 * come back as *errstr (newly allocated, printed by the caller after
 * "msmtp: "); what the session says ("msmtp: <error>", "msmtp: server
 * message: <reply>") is printed here, with no "could not send mail"
 * line, as msmtp does in these modes.
 */
#ifndef CLIENT_SERVERMODE_H
#define CLIENT_SERVERMODE_H

#include "client/cmdline.h"

int servermode_run(struct cmdline *cl, char **errstr);

#endif
