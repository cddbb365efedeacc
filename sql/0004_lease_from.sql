-- 0004: a claim remembers the state it took the mail from.
--
-- A runner's session claims its next mail while it still sends the one
-- before, so that the two overlap; when the session then stops (the
-- server went away, the runner was asked to stop), the claim it did not
-- use is given back, and the mail returns to the state it was in --
-- queued, deferred or uncertain -- as if it had never been claimed.

ALTER TABLE mail ADD COLUMN lease_from TEXT;
