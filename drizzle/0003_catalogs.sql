CREATE TABLE "reference_catalogues" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" varchar(200) NOT NULL,
	"survey" varchar(32) NOT NULL,
	"source_file" text NOT NULL,
	"row_count" integer DEFAULT 0 NOT NULL,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reference_catalogues_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "reference_stars" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"catalogue_id" integer NOT NULL,
	"ra" double precision NOT NULL,
	"dec" double precision NOT NULL,
	"cx" double precision NOT NULL,
	"cy" double precision NOT NULL,
	"cz" double precision NOT NULL,
	"gaiasp_sdss_u" double precision,
	"gaiasp_sdss_u_err" double precision,
	"gaiasp_sdss_g" double precision,
	"gaiasp_sdss_g_err" double precision,
	"gaiasp_sdss_r" double precision,
	"gaiasp_sdss_r_err" double precision,
	"gaiasp_sdss_i" double precision,
	"gaiasp_sdss_i_err" double precision,
	"gaiasp_sdss_z" double precision,
	"gaiasp_sdss_z_err" double precision,
	"gaiasp_jkc_u" double precision,
	"gaiasp_jkc_u_err" double precision,
	"gaiasp_jkc_b" double precision,
	"gaiasp_jkc_b_err" double precision,
	"gaiasp_jkc_v" double precision,
	"gaiasp_jkc_v_err" double precision,
	"gaiasp_jkc_r" double precision,
	"gaiasp_jkc_r_err" double precision,
	"gaiasp_jkc_i" double precision,
	"gaiasp_jkc_i_err" double precision,
	"gaiadr3_g" double precision,
	"gaiadr3_g_err" double precision,
	"gaiadr3_gbp" double precision,
	"gaiadr3_gbp_err" double precision,
	"gaiadr3_grp" double precision,
	"gaiadr3_grp_err" double precision,
	"tmass_j" double precision,
	"tmass_j_err" double precision,
	"tmass_h" double precision,
	"tmass_h_err" double precision,
	"tmass_k" double precision,
	"tmass_k_err" double precision
);
--> statement-breakpoint
ALTER TABLE "reference_stars" ADD CONSTRAINT "reference_stars_catalogue_id_reference_catalogues_id_fk" FOREIGN KEY ("catalogue_id") REFERENCES "public"."reference_catalogues"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reference_stars_cone_idx" ON "reference_stars" USING btree ("cz","cx","cy");--> statement-breakpoint
CREATE INDEX "reference_stars_catalogue_idx" ON "reference_stars" USING btree ("catalogue_id");