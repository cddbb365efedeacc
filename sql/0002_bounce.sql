-- 0002: delivery status notifications.
--
-- A recipient that failed for good (refused, or given up on when the
-- mail's lifetime ran out) while the runner delivered it owes its sender
-- a bounce: bounce 1. The runner's bounce pass queues one notification
-- per mail for its recipients at 1 and sets them to 2 in the same
-- transaction, so a bounce is neither lost nor sent twice. msmtp itself
-- never sets 1: whoever ran it was told on stderr and by the exit code.

ALTER TABLE rcpt ADD COLUMN bounce INTEGER NOT NULL DEFAULT 0
	CHECK (bounce IN (0, 1, 2));
CREATE INDEX rcpt_bounce ON rcpt (mail_id) WHERE bounce = 1;
