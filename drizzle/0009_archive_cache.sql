CREATE TABLE "reference_cones" (
	"id" serial PRIMARY KEY NOT NULL,
	"catalogue_id" integer NOT NULL,
	"survey" varchar(32) NOT NULL,
	"ra" double precision NOT NULL,
	"dec" double precision NOT NULL,
	"radius_deg" double precision NOT NULL,
	"cx" double precision NOT NULL,
	"cy" double precision NOT NULL,
	"cz" double precision NOT NULL,
	"rows" integer NOT NULL,
	"service" text NOT NULL,
	"fetched" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "reference_catalogues" ADD COLUMN "origin" varchar(16) DEFAULT 'import' NOT NULL;--> statement-breakpoint
ALTER TABLE "reference_stars" ADD COLUMN "source_id" varchar(40);--> statement-breakpoint
ALTER TABLE "reference_stars" ADD COLUMN "pmra_mas_yr" double precision;--> statement-breakpoint
ALTER TABLE "reference_stars" ADD COLUMN "pmdec_mas_yr" double precision;--> statement-breakpoint
ALTER TABLE "reference_stars" ADD COLUMN "epoch_year" double precision;--> statement-breakpoint
ALTER TABLE "reference_cones" ADD CONSTRAINT "reference_cones_catalogue_id_reference_catalogues_id_fk" FOREIGN KEY ("catalogue_id") REFERENCES "public"."reference_catalogues"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reference_cones_survey_idx" ON "reference_cones" USING btree ("survey");--> statement-breakpoint
CREATE UNIQUE INDEX "reference_stars_source_uq" ON "reference_stars" USING btree ("catalogue_id","source_id") WHERE "reference_stars"."source_id" is not null;