"""The people who work the cases: staff accounts and roles, API tokens, two-factor sign-in,
and the audit log of every staff view and change."""
