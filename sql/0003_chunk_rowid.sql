-- 0003: the bytes move to an ordinary (rowid) table.
--
-- A WITHOUT ROWID table keeps whole rows in its b-tree's interior cells,
-- and SQLite compares a key against a cell too large for its page by
-- reading all of the cell's overflow pages: every lookup of a mail's
-- chunk read a dozen pages of other mails' bytes (a 128 KB chunk spills
-- over 32 pages). In a rowid table the blob stays in the leaves and the
-- (mail_id, seq) index holds only the key.

CREATE TABLE chunk_v3 (
	mail_id		TEXT NOT NULL REFERENCES mail(id) ON DELETE CASCADE,
	seq		INTEGER NOT NULL,
	data		BLOB NOT NULL,
	UNIQUE (mail_id, seq)
);
INSERT INTO chunk_v3 (mail_id, seq, data)
	SELECT mail_id, seq, data FROM chunk ORDER BY mail_id, seq;
DROP TABLE chunk;
ALTER TABLE chunk_v3 RENAME TO chunk;
