-- A number every change to the register of organisations moves on, in the change's own
-- transaction. Each request reads it in the statement that checks its credentials; a server
-- that holds an organisation and its chain read at the same number knows they still stand,
-- and answers from them without reading them again. Triggers do the counting, so no write to
-- the register, now or later, can forget it. (SQLite's triggers run once a row.) Each change
-- moves the version on by one and a random stride (below a billion), so a database put back to
-- an earlier point (a restore, a copy of an older file) does not come back to a version a
-- server holds with other contents.
CREATE TABLE register_version (
    id      INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO register_version (id, version) VALUES (1, 0);

CREATE TRIGGER organisations_inserted AFTER INSERT ON organisations
BEGIN
    UPDATE register_version SET version = version + 1 + abs(random() % 1000000000) WHERE id = 1;
END;

CREATE TRIGGER organisations_updated AFTER UPDATE ON organisations
BEGIN
    UPDATE register_version SET version = version + 1 + abs(random() % 1000000000) WHERE id = 1;
END;

CREATE TRIGGER organisations_deleted AFTER DELETE ON organisations
BEGIN
    UPDATE register_version SET version = version + 1 + abs(random() % 1000000000) WHERE id = 1;
END;
