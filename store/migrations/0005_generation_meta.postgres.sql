-- PostgreSQL's 0005_generation_meta.sql: the generation moves when repos
-- or teams change, with the functions of 0004_rollups.postgres.sql.

CREATE TRIGGER generation_repos_insert AFTER INSERT ON repos
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();
CREATE TRIGGER generation_repos_update AFTER UPDATE OF provider, name, provider_id, default_branch, url, created_at, archived ON repos
FOR EACH ROW EXECUTE FUNCTION tach_generation_row();
CREATE TRIGGER generation_repos_delete AFTER DELETE ON repos
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();

CREATE TRIGGER generation_teams_insert AFTER INSERT ON teams
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();
CREATE TRIGGER generation_teams_delete AFTER DELETE ON teams
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();
CREATE TRIGGER generation_team_repos_insert AFTER INSERT ON team_repos
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();
CREATE TRIGGER generation_team_repos_delete AFTER DELETE ON team_repos
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tach_generation_statement();
