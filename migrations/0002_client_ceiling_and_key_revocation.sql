ALTER TABLE "signing_keys" ALTER COLUMN "private_key_ciphertext" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth_clients" ADD COLUMN "approved_scope" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth_clients" ADD COLUMN "approved_resources" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth_clients" ADD COLUMN "approved_grant_types" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth_clients" ADD COLUMN "registration_token_expires_at" timestamp with time zone DEFAULT now() NOT NULL;