-- The generation and the decisions tell the replicas that follow them
-- (generation_watch.go) when they moved: one notification a transaction
-- (PostgreSQL folds the same channel and payload into one), on channels of
-- this schema's own, so two tach databases in two schemas of one server do
-- not wake each other. A follower reads what moved itself: the payload
-- says only "moved".
CREATE FUNCTION tach_generation_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tach_generation_' || md5(TG_TABLE_SCHEMA), '');
    RETURN NULL;
END $$;
CREATE TRIGGER rollup_generation_notify AFTER UPDATE ON rollup_generation
FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_notify();

-- A decision edited moves no figure (no generation), but every page
-- lists the decisions of its scope.
CREATE FUNCTION tach_decisions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tach_decisions_' || md5(TG_TABLE_SCHEMA), '');
    RETURN NULL;
END $$;
CREATE TRIGGER decisions_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON decisions
FOR EACH STATEMENT EXECUTE FUNCTION tach_decisions_notify();
