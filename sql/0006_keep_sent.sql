-- 0006: a sent mail's next_attempt is when its record goes.
--
-- Sent mails were kept for ever, their next_attempt the time they were
-- sent. Their records now stay for the account's queue_keep_sent (for
-- msmtp-queue --list --sent), and next_attempt says until when, so that
-- the runner finds the ones to prune through the mail_due index. Those
-- sent before this version get the default, seven days.

UPDATE mail SET next_attempt = coalesce(last_attempt, created) + 604800
	WHERE state = 'sent';
