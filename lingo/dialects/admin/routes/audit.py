"""Admin audit routes: the security event log, filtered and paginated."""
