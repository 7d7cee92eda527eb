ALTER TABLE "calibrations" DROP CONSTRAINT "calibrations_dataProductId_unique";--> statement-breakpoint
ALTER TABLE "cameras" ADD COLUMN "bayer_bands" jsonb;--> statement-breakpoint
ALTER TABLE "calibration_runs" ADD COLUMN "channel" varchar(1) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "calibrations" ADD COLUMN "channel" varchar(1) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "reduced_datums" ADD COLUMN "channel" varchar(1) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "calibrations" ADD CONSTRAINT "calibrations_data_product_channel" UNIQUE("data_product_id","channel");