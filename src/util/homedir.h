/*
 * homedir - the user's home directory as msmtp finds it: $HOME if set
 * (even if empty), else the passwd entry's, else "". Newly allocated;
 * the caller frees it.
 */
#ifndef UTIL_HOMEDIR_H
#define UTIL_HOMEDIR_H

char *homedir(void);

#endif
