CREATE TABLE "calibration_run_bands" (
	"id" serial PRIMARY KEY NOT NULL,
	"run_id" integer NOT NULL,
	"survey" varchar(32) NOT NULL,
	"band" varchar(10) NOT NULL,
	"zeropoint" double precision,
	"zeropoint_err" double precision,
	"scatter" double precision,
	"outlier_fraction" double precision,
	"npoints" integer DEFAULT 0 NOT NULL,
	"passed" boolean DEFAULT false NOT NULL,
	"chosen" boolean DEFAULT false NOT NULL,
	"reason" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calibration_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"data_product_id" integer NOT NULL,
	"status" char(1) DEFAULT 'C' NOT NULL,
	"status_message" text DEFAULT '' NOT NULL,
	"reason" varchar(20) DEFAULT 'upload' NOT NULL,
	"make_current" boolean DEFAULT true NOT NULL,
	"requested_by" varchar(150) DEFAULT '' NOT NULL,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"finished" timestamp (6) with time zone,
	"algorithm_version" varchar(20),
	"skytom_version" varchar(40),
	"file_sha256" char(64),
	"catalogue_sha256" char(64),
	"filter_request" varchar(50) NOT NULL,
	"match_dist_requested" double precision,
	"target_ra" double precision,
	"target_dec" double precision,
	"epoch_mjd" double precision,
	"reference_surveys" jsonb,
	"cone_radius_deg" double precision,
	"reference_stars" integer,
	"reference_sha256" char(64),
	"cuts" jsonb,
	"mag" double precision,
	"mag_error" double precision,
	"zeropoint" double precision,
	"zeropoint_err" double precision,
	"outlier_fraction" double precision,
	"scatter" double precision,
	"npoints" integer,
	"best_filter" varchar(10),
	"survey" varchar(32),
	"match_dist" double precision,
	"is_limit" boolean DEFAULT false NOT NULL,
	"light_curve_filter" varchar(100),
	"rows_total" integer,
	"rows_usable" integer,
	"stars_matched" integer,
	"stars_kept" integer,
	"calibration_plot" varchar(500),
	"processing_time" double precision,
	"quality_flag" varchar(30)
);
--> statement-breakpoint
ALTER TABLE "calibrations" ADD COLUMN "run_id" integer;--> statement-breakpoint
ALTER TABLE "reduced_datums" ADD COLUMN "calibration_run_id" integer;--> statement-breakpoint
ALTER TABLE "reduced_datums" ADD COLUMN "quality_flag" varchar(30);--> statement-breakpoint
ALTER TABLE "calibration_run_bands" ADD CONSTRAINT "calibration_run_bands_run_id_calibration_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."calibration_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_runs" ADD CONSTRAINT "calibration_runs_data_product_id_data_products_id_fk" FOREIGN KEY ("data_product_id") REFERENCES "public"."data_products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "calibration_run_bands_run_id_index" ON "calibration_run_bands" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "calibration_runs_data_product_id_id_index" ON "calibration_runs" USING btree ("data_product_id","id");--> statement-breakpoint
ALTER TABLE "calibrations" ADD CONSTRAINT "calibrations_run_id_calibration_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."calibration_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reduced_datums" ADD CONSTRAINT "reduced_datums_calibration_run_id_calibration_runs_id_fk" FOREIGN KEY ("calibration_run_id") REFERENCES "public"."calibration_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reduced_datums_calibration_run_id_index" ON "reduced_datums" USING btree ("calibration_run_id");