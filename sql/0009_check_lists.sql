-- 0009: the CHECK constraints of mail and rcpt compare, not look up.
--
-- SQLite evaluates "x IN (a, b, c)" -- a list of more than two constants
-- -- by building a temporary b-tree of the list, anew each time a
-- statement runs; a CHECK is evaluated by every INSERT, and by every
-- UPDATE that sets its column. So each claim and each record of a runner
-- opened, filled and dropped two such trees: a third of what those
-- statements cost, a tenth of a runner's CPU. The same constraints as
-- comparisons ("x = a OR x = b OR x = c") mean the same -- the same
-- values pass, NULL passes as it did -- and cost a few compares.
--
-- A constraint is not stored in the rows, so it is changed where SQLite
-- keeps it: in the table's CREATE text in sqlite_schema (what SQLite's
-- documentation gives for changing a constraint without copying the
-- table; a million-mail spool upgrades at once). Each replace() names the
-- exact text that 0001 and 0002 wrote; a spool whose text differs keeps
-- its own constraints, which are as right, only slower. RESET makes this
-- connection read the schema again before anything else runs.

PRAGMA writable_schema = ON;

UPDATE sqlite_schema SET sql = replace(replace(sql,
	'CHECK (state IN' || char(10) || char(9, 9, 9) ||
	'(''queued'', ''inflight'', ''deferred'', ''held'', ''uncertain'',' ||
	char(10) || char(9, 9, 9) || ' ''sent'', ''failed''))',
	'CHECK (state = ''queued'' OR' || char(10) || char(9, 9, 9) ||
	'state = ''inflight'' OR state = ''deferred'' OR state = ''held'' OR' ||
	char(10) || char(9, 9, 9) ||
	'state = ''uncertain'' OR state = ''sent'' OR state = ''failed'')'),
	'CHECK (last_class IS NULL OR last_class IN' || char(10) ||
	char(9, 9, 9) || '(''ok'', ''temporary'', ''permanent'', ''local''))',
	'CHECK (last_class IS NULL OR' || char(10) || char(9, 9, 9) ||
	'last_class = ''ok'' OR last_class = ''temporary'' OR' ||
	char(10) || char(9, 9, 9) ||
	'last_class = ''permanent'' OR last_class = ''local'')')
	WHERE type = 'table' AND name = 'mail';

UPDATE sqlite_schema SET sql = replace(replace(sql,
	'CHECK (state IN' || char(10) || char(9, 9, 9) ||
	'(''pending'', ''sent'', ''deferred'', ''failed''))',
	'CHECK (state = ''pending'' OR' || char(10) || char(9, 9, 9) ||
	'state = ''sent'' OR state = ''deferred'' OR state = ''failed'')'),
	'CHECK (bounce IN (0, 1, 2))',
	'CHECK (bounce = 0 OR bounce = 1 OR bounce = 2)')
	WHERE type = 'table' AND name = 'rcpt';

PRAGMA writable_schema = RESET;
