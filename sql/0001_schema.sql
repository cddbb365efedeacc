-- 0001: the spool's first schema.
--
-- A mail is one row of `mail`, its recipients rows of `rcpt` (each with its
-- own state, so a partial success retries only the deferred ones), and its
-- bytes -- exactly what goes after DATA, before dot-stuffing -- rows of
-- `chunk`, so memory stays bounded whatever the mail's size. The three are
-- written in one transaction: a mail is either wholly present or absent.
--
-- Times are Unix seconds. States are constrained here, not only in C.

CREATE TABLE mail (
	id		TEXT PRIMARY KEY,	-- short, typeable, time-ordered
	created		INTEGER NOT NULL,
	account		TEXT NOT NULL,		-- account name ('' for --host)
	conffile	TEXT,			-- where the account came from
	settings	TEXT NOT NULL,		-- msmtprc lines of the resolved
						-- account, secrets left out
	envelope_from	TEXT NOT NULL,
	message_id	TEXT,
	size		INTEGER NOT NULL,	-- bytes stored
	state		TEXT NOT NULL DEFAULT 'queued' CHECK (state IN
			('queued', 'inflight', 'deferred', 'held', 'uncertain',
			 'sent', 'failed')),
	attempts	INTEGER NOT NULL DEFAULT 0,	-- reached the server
	tries		INTEGER NOT NULL DEFAULT 0,	-- any attempt
	next_attempt	INTEGER NOT NULL,
	first_attempt	INTEGER,
	last_attempt	INTEGER,
	last_code	INTEGER,
	last_enh	TEXT,
	last_text	TEXT,
	last_class	TEXT CHECK (last_class IS NULL OR last_class IN
			('ok', 'temporary', 'permanent', 'local')),
	reason		TEXT,			-- why held, failed or uncertain
	uncertain	INTEGER NOT NULL DEFAULT 0,	-- may have been sent
						-- already: a resend may
						-- duplicate
	lease_owner	TEXT,			-- "bootid:pid:starttime"
	lease_expiry	INTEGER,
	queued_as	TEXT			-- the server's 250 text
);

CREATE TABLE rcpt (
	mail_id		TEXT NOT NULL REFERENCES mail(id) ON DELETE CASCADE,
	idx		INTEGER NOT NULL,
	address		TEXT NOT NULL,
	state		TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
			('pending', 'sent', 'deferred', 'failed')),
	last_code	INTEGER,
	last_enh	TEXT,
	last_text	TEXT,
	PRIMARY KEY (mail_id, idx)
) WITHOUT ROWID;

CREATE TABLE chunk (
	mail_id		TEXT NOT NULL REFERENCES mail(id) ON DELETE CASCADE,
	seq		INTEGER NOT NULL,
	data		BLOB NOT NULL,
	PRIMARY KEY (mail_id, seq)
) WITHOUT ROWID;

-- The runner's question: what is due, oldest first, per account.
CREATE INDEX mail_due ON mail (state, next_attempt, created);
CREATE INDEX mail_account ON mail (account, created);
