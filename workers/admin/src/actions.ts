/**
 * The Cedar actions of the admin API, one per route (workers/policy/policies/default.cedarschema declares them). An
 * operator API token's scopes are chosen among these.
 */
export const ADMIN_API_ACTIONS = [
  'Admin_clients_read',
  'Admin_clients_create',
  'Admin_clients_update',
  'Admin_clients_rotate_secret',
  'Admin_clients_disable',
  'Admin_clients_delete',
  'Admin_users_read',
  'Admin_users_read_one',
  'Admin_users_create',
  'Admin_users_disable',
  'Admin_users_reset_password',
  'Admin_users_sessions_read',
  'Admin_users_sessions_revoke',
  'Admin_users_mfa_remove',
  'Admin_users_refresh_revoke',
  'Admin_alerts_read',
  'Admin_alerts_acknowledge',
  'Admin_alerts_resolve',
  'Admin_events_read',
  'Admin_webhooks_read',
  'Admin_webhooks_create',
  'Admin_webhooks_update',
  'Admin_webhooks_delete',
  'Admin_keys_read',
  'Admin_keys_rotate',
  'Admin_keys_emergency_rotate',
  'Admin_policy_read',
  'Admin_policy_publish',
  'Admin_policy_activate',
  'Admin_entities_read',
  'Admin_entities_write',
  'Admin_credentials_read',
  'Admin_credentials_create',
  'Admin_credentials_revoke',
] as const;

export type AdminApiAction = (typeof ADMIN_API_ACTIONS)[number];
