/*
 * cmdcheck - msmtpd's look at its pipe command before it serves: a
 * command whose program cannot be executed would answer 451 to every
 * mail, so msmtpd refuses to start instead, naming the program and the
 * option that fixes it.
 *
 * The program is the command's first word, read as the shell would read
 * it when it is made of plain characters and '...' quotes:
 *   - a name with a '/' must be an executable regular file;
 *   - a bare name must be one in $PATH (as execvp(3) and sh(1) look),
 *     unless it is a shell reserved word or builtin ("exec ...",
 *     "echo ... > f"), which no file needs to back.
 * A first word the shell would have to interpret ($, `, ", \,
 * redirections, "(", a variable assignment) cannot be told without
 * running it; then only the shell, /bin/sh, is checked.
 *
 * default_command says the command is msmtpd's own default (the msmtp
 * beside msmtpd, else BINDIR's: util/selfexe.h), so that the message
 * says where msmtp was looked for.
 *
 * Errors: EX_CONFIG with *errstr (allocated; the caller frees it and
 * reports it): msmtpd's settings cannot work as given, as for its other
 * start-up refusals (exposure.h, the AUTH password), and as msmtp exits
 * when a program its configuration names cannot be run (passwordeval).
 */
#ifndef MSMTPD_CMDCHECK_H
#define MSMTPD_CMDCHECK_H

#define CMDCHECK_SHELL	"/bin/sh"

int cmdcheck(const char *command, int default_command, char **errstr);

#endif
