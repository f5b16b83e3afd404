"""Moving accounts off legacy systems: the import, first-sign-in progress, legacy id links."""
