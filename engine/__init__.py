"""mtus-engine: check workers' compensation treatment requests against the MTUS guidelines."""
