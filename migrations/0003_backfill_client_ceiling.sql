-- The RFC 7592 ceiling of existing clients is what they hold today: nothing recorded the approval before, so the
-- current metadata is the best record of it (a client that already widened itself keeps that, and no more).
UPDATE "oauth_clients"
SET "approved_scope" = "scope",
    "approved_resources" = "allowed_resources",
    "approved_grant_types" = "grant_types";--> statement-breakpoint
-- Registration access tokens issued before they had a lifetime get the default one (90 days) from now, so nothing
-- stops working at the upgrade; the column's default (already expired) is only for rows inserted without a value.
UPDATE "oauth_clients"
SET "registration_token_expires_at" = now() + interval '90 days'
WHERE "status" = 'active';
