ALTER TABLE "reference_catalogues" DROP CONSTRAINT "reference_catalogues_name_unique";--> statement-breakpoint
ALTER TABLE "reference_catalogues" ADD COLUMN "state" varchar(16) DEFAULT 'ready' NOT NULL;--> statement-breakpoint
ALTER TABLE "reference_catalogues" ADD COLUMN "modified" timestamp (6) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "reference_catalogues_ready_name" ON "reference_catalogues" USING btree ("name") WHERE state = 'ready';