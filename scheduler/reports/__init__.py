"""Monthly reports for the branch secretary, and everyone's own service hours on /me."""
