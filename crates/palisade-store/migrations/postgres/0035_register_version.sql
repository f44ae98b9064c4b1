-- A number every change to the register of organisations moves on, in the change's own
-- transaction. Each request reads it in the statement that checks its credentials; a server
-- that holds an organisation and its chain read at the same number knows they still stand,
-- and answers from them without reading them again. A trigger does the counting, so no write
-- to the register, now or later, can forget it. Each change moves the version on by one and a
-- random stride (below a billion), so a database put back to an earlier point (a restore, a
-- failover that lost its last commits) does not come back to a version a server holds with
-- other contents.
CREATE TABLE register_version (
    id      BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO register_version (id, version) VALUES (1, 0);

CREATE FUNCTION register_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE register_version SET version = version + 1 + floor(random() * 1e9)::bigint WHERE id = 1;
    RETURN NULL;
END;
$$;

-- Once a statement, however many rows it changed (an import changes thousands in one).
CREATE TRIGGER organisations_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION register_changed();
