"""A staff member's phone home page, /me, assembled from every area's sections."""
