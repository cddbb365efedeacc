-- 0005: each account snapshot is stored once, not in every mail.
--
-- The mails of one account carry the same snapshot (the conf_dump() text
-- of the resolved account, some 800 bytes), and it was most of a mail's
-- row: 10,000 queued mails held 8 MB of copies, four rows filled a page,
-- and a runner rewrote a whole row twice for every delivery (the lease,
-- then the record). A mail now names its snapshot; equal texts share one.

CREATE TABLE snapshot (
	id		INTEGER PRIMARY KEY,
	settings	TEXT NOT NULL UNIQUE	-- msmtprc lines, secrets left out
);
INSERT OR IGNORE INTO snapshot (settings) SELECT settings FROM mail
	ORDER BY rowid;
ALTER TABLE mail ADD COLUMN snapshot INTEGER REFERENCES snapshot(id);
UPDATE mail SET snapshot = (SELECT s.id FROM snapshot AS s
	WHERE s.settings = mail.settings);
ALTER TABLE mail DROP COLUMN settings;
