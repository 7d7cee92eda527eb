ALTER TABLE "targets" ADD COLUMN "datums_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE FUNCTION skytom_bump_datums_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE targets SET datums_version = datums_version + 1 WHERE id IN (SELECT DISTINCT target_id FROM new_table);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION skytom_bump_datums_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE targets SET datums_version = datums_version + 1 WHERE id IN (SELECT DISTINCT target_id FROM old_table);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION skytom_bump_datums_both() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE targets SET datums_version = datums_version + 1
    WHERE id IN (SELECT target_id FROM old_table UNION SELECT target_id FROM new_table);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION skytom_bump_datums_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE targets SET datums_version = datums_version + 1;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER reduced_datums_bump_ins AFTER INSERT ON "reduced_datums" REFERENCING NEW TABLE AS new_table FOR EACH STATEMENT EXECUTE FUNCTION skytom_bump_datums_new();--> statement-breakpoint
CREATE TRIGGER reduced_datums_bump_upd AFTER UPDATE ON "reduced_datums" REFERENCING OLD TABLE AS old_table NEW TABLE AS new_table FOR EACH STATEMENT EXECUTE FUNCTION skytom_bump_datums_both();--> statement-breakpoint
CREATE TRIGGER reduced_datums_bump_del AFTER DELETE ON "reduced_datums" REFERENCING OLD TABLE AS old_table FOR EACH STATEMENT EXECUTE FUNCTION skytom_bump_datums_old();--> statement-breakpoint
CREATE TRIGGER reduced_datums_bump_trunc AFTER TRUNCATE ON "reduced_datums" FOR EACH STATEMENT EXECUTE FUNCTION skytom_bump_datums_all();
