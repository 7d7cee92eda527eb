CREATE TABLE "camera_colour_terms" (
	"id" serial PRIMARY KEY NOT NULL,
	"camera_id" integer NOT NULL,
	"survey" varchar(32) NOT NULL,
	"band" varchar(10) NOT NULL,
	"colour_index" varchar(10) NOT NULL,
	"k" double precision NOT NULL,
	"k_err" double precision NOT NULL,
	"k_scatter" double precision NOT NULL,
	"n_frames" integer NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "camera_colour_terms_cameraId_survey_band_unique" UNIQUE("camera_id","survey","band")
);
--> statement-breakpoint
ALTER TABLE "cameras" ADD COLUMN "colour_terms" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "cameras" ADD COLUMN "unfiltered_band" varchar(20) DEFAULT 'GaiaDR3/G' NOT NULL;--> statement-breakpoint
ALTER TABLE "calibration_bands" ADD COLUMN "colour_k" double precision;--> statement-breakpoint
ALTER TABLE "calibration_bands" ADD COLUMN "colour_k_err" double precision;--> statement-breakpoint
ALTER TABLE "calibration_bands" ADD COLUMN "colour_k_source" varchar(10);--> statement-breakpoint
ALTER TABLE "calibration_bands" ADD COLUMN "colour_c0" double precision;--> statement-breakpoint
ALTER TABLE "calibration_run_bands" ADD COLUMN "colour_k" double precision;--> statement-breakpoint
ALTER TABLE "calibration_run_bands" ADD COLUMN "colour_k_err" double precision;--> statement-breakpoint
ALTER TABLE "calibration_run_bands" ADD COLUMN "colour_k_source" varchar(10);--> statement-breakpoint
ALTER TABLE "calibration_run_bands" ADD COLUMN "colour_c0" double precision;--> statement-breakpoint
ALTER TABLE "calibration_runs" ADD COLUMN "colour_term" jsonb;--> statement-breakpoint
ALTER TABLE "calibrations" ADD COLUMN "colour_term" jsonb;--> statement-breakpoint
ALTER TABLE "camera_colour_terms" ADD CONSTRAINT "camera_colour_terms_camera_id_cameras_id_fk" FOREIGN KEY ("camera_id") REFERENCES "public"."cameras"("id") ON DELETE cascade ON UPDATE no action;