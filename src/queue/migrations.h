/*
 * migrations - the spool's schema, as ordered SQL scripts from sql/.
 *
 * spool_migrations[i] brings a database from user_version i to i + 1.
 * The array is generated at build time (tests/sql2c.sh) and is static.
 */
#ifndef QUEUE_MIGRATIONS_H
#define QUEUE_MIGRATIONS_H

extern const char *const spool_migrations[];
extern const int spool_nmigrations;

#endif
