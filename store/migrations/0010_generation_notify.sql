-- Nothing on SQLite: PostgreSQL's 0010 (0010_generation_notify.postgres.sql)
-- notifies the replicas that follow the generation and the decisions; a
-- SQLite file is read in-process, where asking costs a read of a page.
SELECT 1;
