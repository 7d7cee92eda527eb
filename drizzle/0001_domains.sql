CREATE TABLE "comments" (
	"id" serial PRIMARY KEY NOT NULL,
	"target_id" integer NOT NULL,
	"user_id" integer,
	"user_name" varchar(150) DEFAULT '' NOT NULL,
	"comment" text NOT NULL,
	"submit_date" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"is_public" boolean DEFAULT true NOT NULL,
	"is_removed" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "downloaded_targets" (
	"id" serial PRIMARY KEY NOT NULL,
	"target_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"download_type" char(1) DEFAULT 'P' NOT NULL,
	"ip_address" varchar(45) DEFAULT '' NOT NULL,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "target_aliases" (
	"id" serial PRIMARY KEY NOT NULL,
	"target_id" integer NOT NULL,
	"source_name" varchar(100) NOT NULL,
	"name" varchar(100) NOT NULL,
	"url" varchar(250),
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "target_aliases_sourceName_targetId_unique" UNIQUE("source_name","target_id")
);
--> statement-breakpoint
CREATE TABLE "target_group_members" (
	"group_id" integer NOT NULL,
	"target_id" integer NOT NULL,
	CONSTRAINT "target_group_members_group_id_target_id_pk" PRIMARY KEY("group_id","target_id")
);
--> statement-breakpoint
CREATE TABLE "target_groups" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" varchar(200) NOT NULL,
	"created_by" integer,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "targets" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" varchar(100) NOT NULL,
	"type" varchar(100) DEFAULT 'SIDEREAL' NOT NULL,
	"has_optical" boolean DEFAULT false,
	"has_infrared" boolean DEFAULT false,
	"has_radio" boolean DEFAULT false,
	"has_xray" boolean DEFAULT false,
	"has_gamma" boolean DEFAULT false,
	"has_polarimetry" boolean DEFAULT false,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"ra" double precision,
	"dec" double precision,
	"cx" double precision,
	"cy" double precision,
	"cz" double precision,
	"epoch" double precision,
	"parallax" double precision,
	"pm_ra" double precision,
	"pm_dec" double precision,
	"galactic_lng" double precision,
	"galactic_lat" double precision,
	"distance" double precision,
	"distance_err" double precision,
	"scheme" varchar(50) DEFAULT '' NOT NULL,
	"epoch_of_elements" double precision,
	"mean_anomaly" double precision,
	"arg_of_perihelion" double precision,
	"eccentricity" double precision,
	"lng_asc_node" double precision,
	"inclination" double precision,
	"mean_daily_motion" double precision,
	"semimajor_axis" double precision,
	"epoch_of_perihelion" double precision,
	"ephemeris_period" double precision,
	"ephemeris_period_err" double precision,
	"ephemeris_epoch" double precision,
	"ephemeris_epoch_err" double precision,
	"perihdist" double precision,
	"classification" varchar(50),
	"discovery_date" timestamp (6) with time zone,
	"mjd_last" double precision DEFAULT 0 NOT NULL,
	"mag_last" double precision DEFAULT 100 NOT NULL,
	"filter_last" varchar(100) DEFAULT '' NOT NULL,
	"importance" double precision DEFAULT 0 NOT NULL,
	"cadence" double precision DEFAULT 0 NOT NULL,
	"priority" double precision DEFAULT 0 NOT NULL,
	"cadence_priority" double precision DEFAULT 0 NOT NULL,
	"sun_separation" double precision,
	"creation_date" timestamp (6) with time zone,
	"constellation" varchar(50),
	"dont_update_me" boolean,
	"phot_class" varchar(50),
	"data_plot" timestamp (6) with time zone,
	"description" varchar(200),
	"created_by" integer,
	CONSTRAINT "targets_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "cameras" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer,
	"observatory_id" integer NOT NULL,
	"camera_name" varchar(255) NOT NULL,
	"active_flg" boolean DEFAULT false NOT NULL,
	"prefix" varchar(255) NOT NULL,
	"gain" double precision DEFAULT 2 NOT NULL,
	"readout_noise" double precision DEFAULT 2 NOT NULL,
	"binning" integer DEFAULT 1 NOT NULL,
	"saturation_level" double precision DEFAULT 63000 NOT NULL,
	"pixel_scale" double precision DEFAULT 0.8 NOT NULL,
	"readout_speed" double precision DEFAULT 9999 NOT NULL,
	"pixel_size" double precision DEFAULT 13.5 NOT NULL,
	"date_time_keyword" varchar(255) DEFAULT 'DATE-OBS' NOT NULL,
	"time_keyword" varchar(255) DEFAULT 'TIME-OBS' NOT NULL,
	"exposure_time_keyword" varchar(255) DEFAULT 'EXPTIME' NOT NULL,
	"mode_recognition_keyword" varchar(255) DEFAULT '' NOT NULL,
	"additional_info" text DEFAULT '' NOT NULL,
	"example_file" varchar(500),
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cameras_prefix_unique" UNIQUE("prefix"),
	CONSTRAINT "cameras_observatoryId_cameraName_unique" UNIQUE("observatory_id","camera_name")
);
--> statement-breakpoint
CREATE TABLE "favourites" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"camera_id" integer NOT NULL,
	"active_flg" boolean DEFAULT true NOT NULL,
	"comment" text,
	"number_of_uploaded_file" integer DEFAULT 0 NOT NULL,
	"file_size" double precision DEFAULT 0 NOT NULL,
	"last_file_process" timestamp (6) with time zone,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "favourites_userId_cameraId_unique" UNIQUE("user_id","camera_id")
);
--> statement-breakpoint
CREATE TABLE "observatories" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer,
	"name" varchar(255) NOT NULL,
	"lon" double precision NOT NULL,
	"lat" double precision NOT NULL,
	"altitude" double precision DEFAULT 0 NOT NULL,
	"calibration_flg" boolean DEFAULT false NOT NULL,
	"comment" text,
	"approx_lim_mag" double precision DEFAULT 18 NOT NULL,
	"filters" varchar(100) DEFAULT 'V,R,I' NOT NULL,
	"authors" varchar(255),
	"acknowledgements" varchar(255),
	"origin" varchar(255),
	"telescope" varchar(255),
	"aperture" double precision,
	"focal_length" double precision,
	"seeing" double precision DEFAULT 0 NOT NULL,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "observatories_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "calibration_bands" (
	"id" serial PRIMARY KEY NOT NULL,
	"calibration_id" integer NOT NULL,
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
CREATE TABLE "calibrations" (
	"id" serial PRIMARY KEY NOT NULL,
	"data_product_id" integer NOT NULL,
	"use_catalog" integer,
	"status" char(1) DEFAULT 'C' NOT NULL,
	"status_message" text DEFAULT '' NOT NULL,
	"mjd" double precision NOT NULL,
	"exp_time" double precision,
	"mag" double precision,
	"mag_error" double precision,
	"ra" double precision,
	"dec" double precision,
	"zeropoint" double precision,
	"zeropoint_err" double precision,
	"outlier_fraction" double precision,
	"scatter" double precision,
	"npoints" integer,
	"processing_time" double precision,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"start_processing" timestamp (6) with time zone,
	"best_filter" varchar(10),
	"survey" varchar(32),
	"match_dist" double precision DEFAULT 0.5 NOT NULL,
	"no_plot" boolean DEFAULT true NOT NULL,
	"calibration_plot" varchar(500),
	"number_tries" integer DEFAULT 0 NOT NULL,
	"calibration_log" varchar(500),
	"filter_request" varchar(50) DEFAULT 'GaiaSP/any' NOT NULL,
	CONSTRAINT "calibrations_dataProductId_unique" UNIQUE("data_product_id")
);
--> statement-breakpoint
CREATE TABLE "data_products" (
	"id" serial PRIMARY KEY NOT NULL,
	"product_id" varchar(255),
	"target_id" integer NOT NULL,
	"favourite_id" integer,
	"camera_id" integer,
	"facility" varchar(255) DEFAULT '' NOT NULL,
	"user_id" integer,
	"observers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"data" varchar(500) NOT NULL,
	"original_name" varchar(255) DEFAULT '' NOT NULL,
	"sha256" char(64) NOT NULL,
	"size_bytes" bigint DEFAULT 0 NOT NULL,
	"status" char(1) DEFAULT 'C' NOT NULL,
	"status_message" text DEFAULT '' NOT NULL,
	"photometry_data" varchar(500),
	"fits_data" varchar(500),
	"fits_webp" varchar(500),
	"extra_data" text DEFAULT '' NOT NULL,
	"data_product_type" varchar(50) NOT NULL,
	"featured" boolean DEFAULT false NOT NULL,
	"thumbnail" varchar(500),
	"dry_run" boolean DEFAULT false NOT NULL,
	"comment" text,
	"filter" varchar(50) DEFAULT 'GaiaSP/any' NOT NULL,
	"match_dist" double precision,
	"mjd" double precision,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "data_products_productId_unique" UNIQUE("product_id"),
	CONSTRAINT "data_products_target_sha256" UNIQUE("target_id","sha256")
);
--> statement-breakpoint
CREATE TABLE "fits_jobs" (
	"id" serial PRIMARY KEY NOT NULL,
	"data_product_id" integer NOT NULL,
	"status" char(1) DEFAULT 'P' NOT NULL,
	"status_message" text DEFAULT '' NOT NULL,
	"start_time" timestamp (6) with time zone,
	"status_time" timestamp (6) with time zone,
	"fits_object" varchar(100),
	"fits_ra" double precision,
	"fits_dec" double precision,
	"fits_mjd" double precision,
	"fits_exp" double precision,
	"fits_filter" varchar(50),
	"fits_origin" varchar(100),
	"fits_observat" varchar(100),
	"fits_telescop" varchar(100),
	"fits_instrume" varchar(100),
	"fits_observer" varchar(100),
	"fits_dateobs" varchar(50),
	"fits_fwhm_av" double precision,
	"fits_seeing" double precision,
	"fits_airmass" double precision,
	"fits_moonelev" double precision,
	"fits_sunelev" double precision,
	"fits_moondist" double precision,
	"fits_sundist" double precision,
	"fits_moonfrac" double precision,
	"fits_numstars" integer,
	"fits_binning" integer,
	"fits_pixscale" double precision,
	"fits_glim" double precision,
	"fits_toiifov" boolean,
	"fits_altitude" double precision,
	"fits_azimuth" double precision,
	"preview_png" varchar(500),
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"modified" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fits_jobs_dataProductId_unique" UNIQUE("data_product_id")
);
--> statement-breakpoint
CREATE TABLE "reduced_datums" (
	"id" serial PRIMARY KEY NOT NULL,
	"target_id" integer NOT NULL,
	"data_product_id" integer,
	"data_type" varchar(100) DEFAULT 'photometry' NOT NULL,
	"source_name" varchar(100) DEFAULT '' NOT NULL,
	"source_location" varchar(200) DEFAULT '' NOT NULL,
	"mjd" double precision NOT NULL,
	"timestamp" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"observer" varchar(100) DEFAULT '' NOT NULL,
	"observers" jsonb,
	"facility" varchar(100) DEFAULT '' NOT NULL,
	"value" double precision DEFAULT 100 NOT NULL,
	"error" double precision DEFAULT 1 NOT NULL,
	"value_unit" varchar(30) DEFAULT 'MAG' NOT NULL,
	"filter" varchar(100) DEFAULT '' NOT NULL,
	"extra_data" jsonb,
	"active_flg" boolean DEFAULT true NOT NULL,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "spectra" (
	"id" serial PRIMARY KEY NOT NULL,
	"target_id" integer NOT NULL,
	"data_product_id" integer,
	"mjd" double precision NOT NULL,
	"facility" varchar(100) DEFAULT '' NOT NULL,
	"observer" varchar(100) DEFAULT '' NOT NULL,
	"wavelength" double precision[] NOT NULL,
	"flux" double precision[] NOT NULL,
	"wavelength_units" varchar(30) DEFAULT 'Angstrom' NOT NULL,
	"flux_units" varchar(30) DEFAULT '' NOT NULL,
	"active_flg" boolean DEFAULT true NOT NULL,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downloaded_targets" ADD CONSTRAINT "downloaded_targets_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "downloaded_targets" ADD CONSTRAINT "downloaded_targets_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "target_aliases" ADD CONSTRAINT "target_aliases_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "target_group_members" ADD CONSTRAINT "target_group_members_group_id_target_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."target_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "target_group_members" ADD CONSTRAINT "target_group_members_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "target_groups" ADD CONSTRAINT "target_groups_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "targets" ADD CONSTRAINT "targets_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cameras" ADD CONSTRAINT "cameras_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cameras" ADD CONSTRAINT "cameras_observatory_id_observatories_id_fk" FOREIGN KEY ("observatory_id") REFERENCES "public"."observatories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "favourites" ADD CONSTRAINT "favourites_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "favourites" ADD CONSTRAINT "favourites_camera_id_cameras_id_fk" FOREIGN KEY ("camera_id") REFERENCES "public"."cameras"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observatories" ADD CONSTRAINT "observatories_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibration_bands" ADD CONSTRAINT "calibration_bands_calibration_id_calibrations_id_fk" FOREIGN KEY ("calibration_id") REFERENCES "public"."calibrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calibrations" ADD CONSTRAINT "calibrations_data_product_id_data_products_id_fk" FOREIGN KEY ("data_product_id") REFERENCES "public"."data_products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_products" ADD CONSTRAINT "data_products_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_products" ADD CONSTRAINT "data_products_favourite_id_favourites_id_fk" FOREIGN KEY ("favourite_id") REFERENCES "public"."favourites"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_products" ADD CONSTRAINT "data_products_camera_id_cameras_id_fk" FOREIGN KEY ("camera_id") REFERENCES "public"."cameras"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_products" ADD CONSTRAINT "data_products_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fits_jobs" ADD CONSTRAINT "fits_jobs_data_product_id_data_products_id_fk" FOREIGN KEY ("data_product_id") REFERENCES "public"."data_products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reduced_datums" ADD CONSTRAINT "reduced_datums_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reduced_datums" ADD CONSTRAINT "reduced_datums_data_product_id_data_products_id_fk" FOREIGN KEY ("data_product_id") REFERENCES "public"."data_products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spectra" ADD CONSTRAINT "spectra_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spectra" ADD CONSTRAINT "spectra_data_product_id_data_products_id_fk" FOREIGN KEY ("data_product_id") REFERENCES "public"."data_products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "comments_target_id_index" ON "comments" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "comments_submit_date_index" ON "comments" USING btree ("submit_date");--> statement-breakpoint
CREATE INDEX "downloaded_targets_created_index" ON "downloaded_targets" USING btree ("created");--> statement-breakpoint
CREATE INDEX "target_aliases_lower_name_idx" ON "target_aliases" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "target_group_members_target_id_index" ON "target_group_members" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "targets_cone_idx" ON "targets" USING btree ("cz","cx","cy");--> statement-breakpoint
CREATE INDEX "targets_created_idx" ON "targets" USING btree ("created","id");--> statement-breakpoint
CREATE INDEX "targets_classification_idx" ON "targets" USING btree ("classification");--> statement-breakpoint
CREATE INDEX "targets_importance_idx" ON "targets" USING btree ("importance");--> statement-breakpoint
CREATE INDEX "targets_lower_name_idx" ON "targets" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "observatories_created_index" ON "observatories" USING btree ("created");--> statement-breakpoint
CREATE INDEX "calibration_bands_calibration_id_index" ON "calibration_bands" USING btree ("calibration_id");--> statement-breakpoint
CREATE INDEX "data_products_user_id_index" ON "data_products" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "data_products_created_index" ON "data_products" USING btree ("created");--> statement-breakpoint
CREATE INDEX "data_products_status_index" ON "data_products" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "reduced_datums_identity" ON "reduced_datums" USING btree ("target_id","mjd","value","error","filter","facility","observer");--> statement-breakpoint
CREATE INDEX "reduced_datums_target_mjd_idx" ON "reduced_datums" USING btree ("target_id","mjd","id");--> statement-breakpoint
CREATE INDEX "reduced_datums_data_product_id_index" ON "reduced_datums" USING btree ("data_product_id");--> statement-breakpoint
CREATE INDEX "spectra_target_id_index" ON "spectra" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "spectra_data_product_id_index" ON "spectra" USING btree ("data_product_id");