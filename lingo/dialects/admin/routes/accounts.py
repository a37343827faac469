"""Admin account routes: operator-initiated deletion and pending deletions."""
