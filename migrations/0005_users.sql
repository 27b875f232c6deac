-- Accounts for the hosted login: the email uniqueness key (accounts/domain/email.ts) beside the address as typed,
-- and the operator flag that lets a first-party client skip consent.
ALTER TABLE "oauth_clients" ADD COLUMN "first_party" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "email_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key_idx" ON "users" USING btree ("email_key");