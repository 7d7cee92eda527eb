CREATE TABLE "cache_versions" (
	"name" varchar(50) PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
INSERT INTO "cache_versions" ("name", "version") VALUES ('targets', 0), ('plots', 0);--> statement-breakpoint
CREATE FUNCTION skytom_bump_cache() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE cache_versions SET version = version + 1 WHERE name = ANY (TG_ARGV);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER targets_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "targets" FOR EACH STATEMENT EXECUTE FUNCTION skytom_bump_cache('targets');--> statement-breakpoint
CREATE TRIGGER target_aliases_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "target_aliases" FOR EACH STATEMENT EXECUTE FUNCTION skytom_bump_cache('targets');--> statement-breakpoint
CREATE TRIGGER target_groups_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "target_groups" FOR EACH STATEMENT EXECUTE FUNCTION skytom_bump_cache('targets');--> statement-breakpoint
CREATE TRIGGER target_group_members_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "target_group_members" FOR EACH STATEMENT EXECUTE FUNCTION skytom_bump_cache('targets');--> statement-breakpoint
CREATE TRIGGER reduced_datums_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "reduced_datums" FOR EACH STATEMENT EXECUTE FUNCTION skytom_bump_cache('targets', 'plots');
