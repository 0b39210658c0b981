-- Nothing on SQLite: PostgreSQL's 0010 (0010_generation_notify.postgres.sql)
-- notifies the replicas that follow the generation; a SQLite file is read
-- in-process, where asking the generation costs a read of one row.
SELECT 1;
