-- 0010: the listing's order has an index.
--
-- msmtp-queue --list, --list --json and -bp show the mails oldest first
-- (ORDER BY created, id). Without an index SQLite sorted every mail on
-- each listing, through temporary files past a few thousand: at a
-- million mails the sort was most of the wait. The index hands them out
-- in order, one at a time, in constant memory. The runner's queries,
-- which pick mails by state, keep the mail_due index.
--
-- On an existing spool the index is built once, inside the migration's
-- transaction: a million mails take a few seconds, and a spool left
-- half-migrated is not possible.

CREATE INDEX IF NOT EXISTS mail_created ON mail (created, id);
