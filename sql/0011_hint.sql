-- 0011: a held (or failed) mail keeps the advice its attempt got.
--
-- When an attempt fails in a way only the user can fix (a certificate
-- that fails verification, a login the server wants, a TLS setting that
-- does not match the port), msmtp prints "msmtp: hint:" lines after its
-- own (delivery/advice.h). A mail held or failed for it keeps those
-- lines here, one line break between them, so that msmtp-queue --list,
-- --show, --list --json and the notification can say how to fix it long
-- after msmtp's stderr is gone. NULL: no advice. Each attempt writes it
-- afresh; releasing the mail (or retrying a failed one) clears it with
-- the reason. It never holds a secret: the advice names settings, never
-- a password or a token.

ALTER TABLE mail ADD COLUMN hint TEXT;
