/*
 * selfexe - files installed beside the running program.
 *
 * The programs find each other (msmtp-queue runs msmtp) and the engine
 * from where the running executable is, so that the build tree and an
 * installed tree unpacked anywhere (a DESTDIR, a relocated PREFIX) work
 * without a search of $PATH, which could name another msmtp.
 *
 * selfexe_sibling() returns a new string the caller frees: the path of
 * name in rel (a directory relative to the executable's, "." for its
 * own) if access(2) grants mode there; NULL otherwise, and when
 * /proc/self/exe cannot be read.
 *
 * selfexe_program() returns a new string: the program name beside the
 * running one if it can be executed there, else BINDIR's (where make
 * install puts the programs). It never fails.
 */
#ifndef UTIL_SELFEXE_H
#define UTIL_SELFEXE_H

char *selfexe_sibling(const char *rel, const char *name, int mode);
char *selfexe_program(const char *name);

#endif
