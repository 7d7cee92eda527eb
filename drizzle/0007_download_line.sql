ALTER TABLE "reduced_datums" ADD COLUMN "download_line" text GENERATED ALWAYS AS (case when greatest(abs(mjd), abs(value), abs(error)) < 1e15
  and facility !~ '[;"\r\n]' and filter !~ '[;"\r\n]' and observer !~ '[;"\r\n]'
  then mjd::text || case when mjd = trunc(mjd) then '.0' else '' end || ';' || value::text || case when value = trunc(value) then '.0' else '' end || ';' || error::text || case when error = trunc(error) then '.0' else '' end || ';'
    || facility || ';' || filter || ';' || observer || E'\n' end) STORED;--> statement-breakpoint
-- Downloads read a light curve's lines from this index alone (index-only scans, no row visited): the
-- photometry/radio points of one target and unit, active, in (mjd, id) order (domain/downloads/batches.ts).
CREATE INDEX "reduced_datums_download_idx" ON "reduced_datums" USING btree ("target_id", "value_unit", "mjd", "id") INCLUDE ("download_line") WHERE "active_flg" AND "data_type" = 'photometry';
