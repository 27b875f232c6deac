-- Stored entities are now authoritative over what a request supplies, so a stored `Admin` entity would shadow the
-- roles and attributes the calling Workers send from the admin credential (shared/admin/entity.ts). Admin
-- attributes live on the credential only: move the ones the schema declares (clearance, mfa_verified,
-- authenticated, department) onto every live credential of that principal, then drop the entities. Their `roles`
-- are not moved: roles always came from the credential (the request's roles won over stored ones).
UPDATE "admin_credentials" AS c
SET "attributes" = c."attributes" || jsonb_strip_nulls(jsonb_build_object(
      'clearance', e."attrs" -> 'clearance',
      'mfa_verified', e."attrs" -> 'mfa_verified',
      'authenticated', e."attrs" -> 'authenticated',
      'department', e."attrs" -> 'department'))
FROM "policy_entities" AS e
WHERE e."entity_type" = 'Admin' AND e."entity_id" = c."principal_id" AND c."revoked_at" IS NULL;--> statement-breakpoint
DELETE FROM "policy_entities" WHERE "entity_type" = 'Admin';
