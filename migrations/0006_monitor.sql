-- The monitor Worker (issue 12): the audit log, alerts, the consumer's state and webhooks. `security_events` and
-- `alerts` of 0000 were never written (nothing consumed the stream before): the audit log gains its query columns
-- and indexes, and `alerts` is replaced by the shape the alert deduplication keeps (workers/monitor/src/alerts).
ALTER TABLE "security_events" DROP COLUMN IF EXISTS "severity";--> statement-breakpoint
ALTER TABLE "security_events" ADD COLUMN "actor" text;--> statement-breakpoint
ALTER TABLE "security_events" ADD COLUMN "entry_id" text;--> statement-breakpoint
ALTER TABLE "security_events" ADD COLUMN "received_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "security_events_user_idx" ON "security_events" USING btree ("user_id","occurred_at");--> statement-breakpoint
CREATE INDEX "security_events_actor_idx" ON "security_events" USING btree ("actor","occurred_at");--> statement-breakpoint
DROP TABLE "alerts";--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" text PRIMARY KEY NOT NULL,
	"dedup_key" text NOT NULL,
	"detector" text NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"finding_severity" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"summary" text NOT NULL,
	"subject" jsonb NOT NULL,
	"count" integer NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"first_event_ids" jsonb NOT NULL,
	"last_event_ids" jsonb NOT NULL,
	"dropped_event_ids" integer DEFAULT 0 NOT NULL,
	"evidence" jsonb NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "alerts_status_idx" ON "alerts" USING btree ("status","last_seen");--> statement-breakpoint
CREATE INDEX "alerts_dedup_idx" ON "alerts" USING btree ("dedup_key","last_seen");--> statement-breakpoint
CREATE INDEX "alerts_detector_idx" ON "alerts" USING btree ("detector","last_seen");--> statement-breakpoint
CREATE INDEX "alerts_last_seen_idx" ON "alerts" USING btree ("last_seen");--> statement-breakpoint
CREATE TABLE "monitor_state" (
	"name" text PRIMARY KEY NOT NULL,
	"detector_state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_entry_id" text,
	"pruned_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"secrets" jsonb NOT NULL,
	"types" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"min_severity" text DEFAULT 'low' NOT NULL,
	"breaker" jsonb DEFAULT '{"state":"closed","failures":0}'::jsonb NOT NULL,
	"disabled_at" timestamp with time zone,
	"disabled_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"endpoint_id" text NOT NULL,
	"msg_id" text NOT NULL,
	"alert_id" text NOT NULL,
	"type" text NOT NULL,
	"payload" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"dead_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"delivery_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"endpoint_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"outcome" text NOT NULL,
	"status" integer,
	"detail" text,
	"next_attempt_at" timestamp with time zone,
	CONSTRAINT "webhook_attempts_delivery_id_attempt_pk" PRIMARY KEY("delivery_id","attempt")
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_msg_idx" ON "webhook_deliveries" USING btree ("endpoint_id","msg_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "webhook_attempts_endpoint_idx" ON "webhook_attempts" USING btree ("endpoint_id","at");
