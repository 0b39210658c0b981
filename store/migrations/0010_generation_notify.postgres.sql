-- The generation tells the replicas that follow it (generation_watch.go)
-- when it moved: one notification a transaction (PostgreSQL folds the
-- same channel and payload into one), on a channel of this schema's own,
-- so two tach databases in two schemas of one server do not wake each
-- other. A follower reads the value itself: the payload says only "moved".
CREATE FUNCTION tach_generation_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tach_generation_' || md5(TG_TABLE_SCHEMA), '');
    RETURN NULL;
END $$;
CREATE TRIGGER rollup_generation_notify AFTER UPDATE ON rollup_generation
FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_notify();
