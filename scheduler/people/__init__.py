"""Accounts, stations and the station's own details."""
