"""Admin session routes: list and revoke a user's sessions."""
