"""The register of residents who receive home visits, and who opened their records."""
