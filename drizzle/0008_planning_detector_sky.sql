ALTER TABLE "cameras" ADD COLUMN "detector_width_px" integer;--> statement-breakpoint
ALTER TABLE "cameras" ADD COLUMN "detector_height_px" integer;--> statement-breakpoint
ALTER TABLE "fits_jobs" ADD COLUMN "fits_naxis1" integer;--> statement-breakpoint
ALTER TABLE "fits_jobs" ADD COLUMN "fits_naxis2" integer;--> statement-breakpoint
ALTER TABLE "fits_jobs" ADD COLUMN "fits_background_adu" double precision;--> statement-breakpoint
ALTER TABLE "fits_jobs" ADD COLUMN "fits_background_rms_adu" double precision;--> statement-breakpoint
ALTER TABLE "fits_jobs" ADD COLUMN "fits_aperture_radius_px" double precision;--> statement-breakpoint
ALTER TABLE "fits_jobs" ADD COLUMN "fits_aperture_correction_mag" double precision;