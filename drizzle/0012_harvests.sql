CREATE TABLE "harvest_states" (
	"id" serial PRIMARY KEY NOT NULL,
	"target_id" integer NOT NULL,
	"source" varchar(50) NOT NULL,
	"object_id" varchar(200) DEFAULT '' NOT NULL,
	"last_attempt" timestamp (6) with time zone NOT NULL,
	"last_success" timestamp (6) with time zone,
	"last_error" text,
	"points_added" integer DEFAULT 0 NOT NULL,
	"points_returned" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "harvest_states_targetId_source_unique" UNIQUE("target_id","source")
);
--> statement-breakpoint
CREATE TABLE "name_resolutions" (
	"id" serial PRIMARY KEY NOT NULL,
	"query" varchar(200) NOT NULL,
	"resolver" varchar(50) DEFAULT '' NOT NULL,
	"ra_deg" double precision,
	"dec_deg" double precision,
	"identifiers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "name_resolutions_query_unique" UNIQUE("query")
);
--> statement-breakpoint
ALTER TABLE "harvest_states" ADD CONSTRAINT "harvest_states_target_id_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."targets"("id") ON DELETE cascade ON UPDATE no action;