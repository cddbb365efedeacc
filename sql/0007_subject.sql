-- 0007: each mail keeps its Subject, for msmtp-queue --list.
--
-- A listing of 100,000 mails must take well under a second; reading each
-- mail's first chunk to find its Subject would read a page or more of
-- bytes per mail. The Subject (the header's value, folds joined, at most
-- 200 bytes, undecoded) is taken from the first chunk when the mail is
-- enqueued. Mails queued before this version have none.

ALTER TABLE mail ADD COLUMN subject TEXT;
