ALTER TABLE "data_products" DROP CONSTRAINT "data_products_productId_unique";--> statement-breakpoint
ALTER TABLE "data_products" DROP CONSTRAINT "data_products_target_sha256";--> statement-breakpoint
CREATE UNIQUE INDEX "data_products_target_sha256" ON "data_products" USING btree ("target_id","sha256") WHERE "data_products"."dry_run" = false;--> statement-breakpoint
ALTER TABLE "calibrations" DROP COLUMN "use_catalog";--> statement-breakpoint
ALTER TABLE "data_products" DROP COLUMN "product_id";--> statement-breakpoint
ALTER TABLE "data_products" DROP COLUMN "fits_webp";--> statement-breakpoint
ALTER TABLE "data_products" DROP COLUMN "extra_data";--> statement-breakpoint
ALTER TABLE "data_products" DROP COLUMN "featured";--> statement-breakpoint
ALTER TABLE "data_products" DROP COLUMN "thumbnail";--> statement-breakpoint
-- fits_file uploads: the FITS image is the stored upload (BHTOM's fits_data; nothing wrote it before).
UPDATE "data_products" SET "fits_data" = "data" WHERE "data_product_type" = 'fits_file' AND "fits_data" IS NULL;
