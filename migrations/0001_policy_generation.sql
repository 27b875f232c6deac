ALTER TABLE "policy_sets" ADD COLUMN "generation" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- The active version must be a published version of the same set (NULL only before the first one).
ALTER TABLE "policy_sets" ADD CONSTRAINT "policy_sets_active_version_fk" FOREIGN KEY ("id","active_version") REFERENCES "public"."policy_versions"("policy_set_id","version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Published policy versions are immutable: a change is a new version.
CREATE FUNCTION "policy_versions_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'policy versions are immutable (% %)', OLD.policy_set_id, OLD.version;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "policy_versions_no_update" BEFORE UPDATE ON "policy_versions"
  FOR EACH ROW EXECUTE FUNCTION "policy_versions_immutable"();
